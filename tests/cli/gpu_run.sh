#!/usr/bin/env bash
# Runs a tessera command with --device cuda where a GPU is usable, else skips (exit 77): the
# applications' commands on the GPU, labelled gpu (ctest -L gpu runs them on a GPU machine).
#   gpu_run.sh TESSERA ARGS...
set -euo pipefail
tessera=$1
shift
"$tessera" info | grep -q '^CUDA: .*[1-9][0-9]* GPU(s)' || { echo "no usable GPU: skipped"; exit 77; }
exec "$tessera" "$@" --device cuda
