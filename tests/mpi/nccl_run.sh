#!/usr/bin/env bash
# Runs a command (the NCCL data-parallel test under mpirun) where this build has NCCL and the
# machine 2 GPUs or more, else skips (exit 77).
#   nccl_run.sh TESSERA COMMAND...
set -euo pipefail
info=$("$1" info)
shift
grep -q '^CUDA: .*NCCL' <<<"$info" || { echo "built without NCCL: skipped"; exit 77; }
gpus=$(sed -n 's/^CUDA: .*; \([0-9][0-9]*\) GPU(s).*/\1/p' <<<"$info")
[ "${gpus:-0}" -ge 2 ] || { echo "NCCL over 2 ranks needs 2 GPUs, this machine has ${gpus:-0}: skipped"; exit 77; }
exec "$@"
