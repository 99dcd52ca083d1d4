#!/usr/bin/env bash
# Single layers over the applications' shapes: `tessera bench layers` and the PyTorch peer
# (bench/pytorch_layers.py, the faster of its default and channels-last layouts) on the same rows
# in the same run. Writes bench/results/layers.md: each pass in GFLOP/s, its share of the peak
# (a 4096^3 matrix product on the same threads) and tessera's speed-up over PyTorch.
#   bench/layers.sh                        (about 15 minutes on 2 cores)
#   ARGS="--dims 3" bench/layers.sh
# Where the CPU runs bf16 (tessera info), each convolution is also timed in bf16 (--bf16).
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=${RESULTS:-bench/results}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
if [[ -z ${ARGS+set} ]]; then
  ARGS=""
  "$TESSERA" info | grep -q '^bf16.*: \(native\|emulated\)' && ARGS="--bf16"
fi
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "error: python3-torch is not installed" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
"$TESSERA" bench layers $ARGS | tee "$tmp/tessera.jsonl"
/usr/bin/python3 bench/pytorch_layers.py "$tmp/tessera.jsonl" > "$tmp/both.jsonl"
/usr/bin/python3 - "$tmp/both.jsonl" "$(nproc)" > "$RESULTS/layers.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
peak = rows[0]["peak_gflops"]
bf16_peak = rows[0].get("bf16_peak_gflops")
print("# Layers: tessera against PyTorch\n")
print(f"`bench/layers.sh` on {sys.argv[2]} cores. Peak: {peak:.1f} GFLOP/s (a 4096^3 matrix product, "
      "same threads). Convolutions in GFLOP/s and share of that peak; pooling and batch norm + "
      "ReLU in GB/s (input and output read or written once). PyTorch: the faster of its default "
      "and channels-last layouts, per row. Input gradient: the engine makes both gradients in "
      "one call, so it is that call less the weight gradient alone.\n")
if bf16_peak:
    print(f"bf16 columns: the same convolution multiplying in bfloat16 and summing in float32 "
          f"(`--precision bf16`), its share of a bf16 peak of {bf16_peak:.1f} GFLOP/s (a 1x1 "
          "convolution of 2048 channels over 64 x 64, a 4096 x 2048 x 2048 matrix product).\n")
print("| layer | dims | in -> out | size | pass | tessera ms | GFLOP/s (GB/s) | share of peak | PyTorch ms | layout | speed-up | bf16 ms | bf16 share of bf16 peak |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows[1:]:
    rate = f"{r['gflops']:.1f}" if "gflops" in r else f"({r['gbytes_per_s']:.2f})"
    share = f"{100 * r['share_of_peak']:.0f}%" if "share_of_peak" in r else ""
    b_ms = f"{r['bf16_ms']:.2f}" if "bf16_ms" in r else ""
    b_share = f"{100 * r['bf16_share_of_peak']:.0f}%" if "bf16_share_of_peak" in r else ""
    print(f"| {r['layer']} | {r['dims']}D | {r['in']} -> {r['out']} | {r['size']} | {r['pass']} | "
          f"{r['ms']:.2f} | {rate} | {share} | {r['torch_ms']:.2f} | {r['torch_layout']} | "
          f"{r['torch_ms'] / r['ms']:.2f}x | {b_ms} | {b_share} |")
PY
cat "$RESULTS/layers.md"
