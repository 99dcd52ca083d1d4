#!/usr/bin/env bash
# Single layers over the applications' shapes: `tessera bench layers` and the PyTorch peer
# (bench/pytorch_layers.py, the faster of its default and channels-last layouts) on the same rows
# in the same run. Writes bench/results/layers.md: each pass in GFLOP/s, its share of the peak
# (a 4096^3 matrix product on the same threads) and tessera's speed-up over PyTorch.
#   bench/layers.sh                        (about 15 minutes on 2 cores)
#   ARGS="--dims 3" bench/layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=${RESULTS:-bench/results}
ARGS=${ARGS:-}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
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
print("# Layers: tessera against PyTorch\n")
print(f"`bench/layers.sh` on {sys.argv[2]} cores. Peak: {peak:.1f} GFLOP/s (a 4096^3 matrix product, "
      "same threads). Convolutions in GFLOP/s and share of that peak; pooling and batch norm + "
      "ReLU in GB/s (input and output read or written once). PyTorch: the faster of its default "
      "and channels-last layouts, per row. Input gradient: the engine makes both gradients in "
      "one call, so it is that call less the weight gradient alone.\n")
print("| layer | dims | in -> out | size | pass | tessera ms | GFLOP/s (GB/s) | share of peak | PyTorch ms | layout | speed-up |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows[1:]:
    rate = f"{r['gflops']:.1f}" if "gflops" in r else f"({r['gbytes_per_s']:.2f})"
    share = f"{100 * r['share_of_peak']:.0f}%" if "share_of_peak" in r else ""
    print(f"| {r['layer']} | {r['dims']}D | {r['in']} -> {r['out']} | {r['size']} | {r['pass']} | "
          f"{r['ms']:.2f} | {rate} | {share} | {r['torch_ms']:.2f} | {r['torch_layout']} | "
          f"{r['torch_ms'] / r['ms']:.2f}x |")
PY
cat "$RESULTS/layers.md"
