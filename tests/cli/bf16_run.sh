#!/usr/bin/env bash
# Runs a tessera command with --precision PRECISION where the CPU runs bf16, else skips (exit
# 77): the bf16 tests, and the f32 runs that use what they made, need a CPU with bf16 (elsewhere
# the flag is refused by design).
#   bf16_run.sh PRECISION TESSERA ARGS...
set -euo pipefail
precision=$1
tessera=$2
shift 2
"$tessera" info | grep -q '^bf16.*: no$' && { echo "no bf16 on this CPU: skipped"; exit 77; }
exec "$tessera" "$@" --precision "$precision"
