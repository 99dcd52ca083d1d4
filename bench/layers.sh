#!/usr/bin/env bash
# Single layers over the applications' shapes: `tessera bench layers` and the PyTorch peer
# (bench/pytorch_layers.py, the faster of its default and channels-last layouts) on the same rows
# in the same run. Writes bench/results/layers.md: each pass in GFLOP/s, its share of the peak
# (a 4096^3 matrix product on the same threads), the share its memory traffic allows (roofline),
# tessera's speed-up over PyTorch, and a summary of the rows short of the issue's targets.
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
head, rows = rows[0], rows[1:]
peak, bandwidth = head["peak_gflops"], head["bandwidth_gbs"]
bf16_peak = head.get("bf16_peak_gflops")
print("# Layers: tessera against PyTorch\n")
print(f"`bench/layers.sh` on {sys.argv[2]} cores. Peak: {peak:.1f} GFLOP/s (a 4096^3 matrix product, the fastest of 9 calls on the "
      f"same threads); memory bandwidth {bandwidth:.1f} GB/s (a 256 MiB copy, the fastest of 9), so a pass needs "
      f"{peak / bandwidth:.1f} FLOP per byte of its operands to reach the peak from memory. "
      "Convolutions in GFLOP/s and share of that peak; pooling and batch norm + "
      "ReLU in GB/s (input and output read or written once). PyTorch: the faster of its default "
      "and channels-last layouts, per row. Input gradient: the engine makes both gradients in "
      "one call, so it is that call less the weight gradient alone.\n")
print("Roofline: the share of the peak a pass could reach reading and writing its input, weights "
      "and output once from memory (FLOP per byte x bandwidth, at most the peak). PyTorch share: "
      "PyTorch's own share of the peak; where it is above 50%, being 2x faster than PyTorch would "
      "take more than the machine's peak.\n")
if bf16_peak:
    print(f"bf16 columns: the same convolution multiplying in bfloat16 and summing in float32 "
          f"(`--precision bf16`), its share of a bf16 peak of {bf16_peak:.1f} GFLOP/s (a 1x1 "
          "convolution of 2048 channels over 64 x 64, a 4096 x 2048 x 2048 matrix product).\n")

def name(r):
    return f"{r['layer']} {r['dims']}D {r['in']}->{r['out']} {r['pass']}"

conv = [r for r in rows if "gflops" in r]
for r in conv:
    r["torch_share"] = r["gflop"] / (r["torch_ms"] * 1e-3) / peak
low = [r for r in conv if r["share_of_peak"] < 0.5]
memory_bound = [r for r in low if r["roofline_share_of_peak"] < 0.5]
slow = [r for r in rows if r["torch_ms"] / r["ms"] < 2]
beyond_peak = [r for r in slow if r.get("torch_share", 0) > 0.5]
behind = [r for r in rows if r["torch_ms"] < r["ms"]]
print("## Summary\n")
kernel_bound = [r for r in low if r not in memory_bound]
print(f"- At 50% of the peak or more: {len(conv) - len(low)} of {len(conv)} convolution passes. "
      f"Of the {len(low)} below, {len(memory_bound)} cannot get there from memory (roofline below "
      f"50%): {', '.join(name(r) for r in memory_bound) or 'none'}. The other {len(kernel_bound)} "
      "run at the speed of oneDNN 2.6.3's kernels for their shapes (channel counts that do not "
      "fill the 16-float vector, stems of 1 to 3 channels, weight gradients): "
      f"{', '.join(name(r) for r in kernel_bound) or 'none'}.")
print(f"- At least 2x PyTorch: {len(rows) - len(slow)} of {len(rows)} passes. Of the {len(slow)} "
      f"below, {len(beyond_peak)} cannot be: PyTorch already runs them above half the peak. "
      f"Slower than PyTorch: {len(behind)} ({', '.join(name(r) for r in behind) or 'none'}).\n")
print("| layer | dims | in -> out | size | pass | tessera ms | GFLOP/s (GB/s) | share of peak | roofline | PyTorch ms | layout | PyTorch share | speed-up | bf16 ms | bf16 share of bf16 peak |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    rate = f"{r['gflops']:.1f}" if "gflops" in r else f"({r['gbytes_per_s']:.2f})"
    share = f"{100 * r['share_of_peak']:.0f}%" if "share_of_peak" in r else ""
    roof = f"{100 * r['roofline_share_of_peak']:.0f}%" if "roofline_share_of_peak" in r else ""
    t_share = f"{100 * r['torch_share']:.0f}%" if "torch_share" in r else ""
    b_ms = f"{r['bf16_ms']:.2f}" if "bf16_ms" in r else ""
    b_share = f"{100 * r['bf16_share_of_peak']:.0f}%" if "bf16_share_of_peak" in r else ""
    print(f"| {r['layer']} | {r['dims']}D | {r['in']} -> {r['out']} | {r['size']} | {r['pass']} | "
          f"{r['ms']:.2f} | {rate} | {share} | {roof} | {r['torch_ms']:.2f} | {r['torch_layout']} | "
          f"{t_share} | {r['torch_ms'] / r['ms']:.2f}x | {b_ms} | {b_share} |")
PY
cat "$RESULTS/layers.md"
