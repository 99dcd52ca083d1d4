#!/usr/bin/env bash
# Reversible-training benchmark: peak training memory and step time of the same coupling
# network trained by storing activations (plain) and by rebuilding them (reversible), over
# depth. Writes bench/results/reversible.md, reversible.jsonl and reversible_memory.png.
#   bench/reversible.sh [steps]     (default 2 timed steps per run)
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${1:-2}
TESSERA=build/apps/tessera
RESULTS=bench/results
PYTHON=${PYTHON:-/usr/bin/python3}
DEVICE=${DEVICE:-cpu}  # DEVICE=cuda bench/reversible.sh: the same study on a GPU
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
mkdir -p "$RESULTS"

jsonl=$(mktemp "$RESULTS/.reversible.jsonl.XXXXXX")
trap 'rm -f "$jsonl"' EXIT
for blocks in 8 16 32 64 128; do
  echo "== 2D, $blocks blocks" >&2
  "$TESSERA" bench reversible --dims 2 --blocks "$blocks" --channels 32 --size 128 --batch 2 \
    --steps "$STEPS" --device "$DEVICE" >>"$jsonl"
done
for blocks in 8 32; do
  echo "== 3D, $blocks blocks" >&2
  "$TESSERA" bench reversible --dims 3 --blocks "$blocks" --channels 16 --size 32 --batch 1 \
    --steps "$STEPS" --device "$DEVICE" >>"$jsonl"
done

"$PYTHON" - "$jsonl" "$RESULTS" "$(nproc)" <<'PY'
import datetime, json, os, sys
src, out, threads = sys.argv[1:]
rows = [json.loads(l) for l in open(src) if l.strip()]
mib = lambda b: b / 2**20
md = ["# Reversible training: memory and time against depth", "",
      f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, threads: {threads}",
      "- network: stem conv 3 (1 -> C) -> N additive coupling blocks (F, G = conv 3 -> batch norm",
      "  -> ReLU -> conv 3 on C/2 channels) -> conv 1 (C -> 1); BCE loss; SGD with momentum",
      "- plain: the same blocks storing their activations; reversible: inputs rebuilt in backward",
      "- peak: tracking allocator over a training step (weights, gradients, momentum, data,",
      "  activations); activation: peak minus what is held between steps",
      "- published reference: 352 bytes of training memory per input pixel for reversible CNN",
      "  training (Hascoet et al., 2023)", "",
      "| dims | blocks | C | input | plain peak MiB | rev peak MiB | plain act. MiB | rev act. MiB "
      "| memory plain/rev | plain ms | rev ms | time rev/plain | rev bytes/pixel | rev act. bytes/pixel |",
      "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    p, v = r["plain"], r["reversible"]
    shape = f"{r['batch']}x{r['size']}^{r['dims']}"
    md.append(f"| {r['dims']}D | {r['blocks']} | {r['channels']} | {shape} | {mib(p['peak_bytes']):.1f} "
              f"| {mib(v['peak_bytes']):.1f} | {mib(p['activation_bytes']):.1f} | {mib(v['activation_bytes']):.1f} "
              f"| {r['memory_ratio']:.1f}x | {p['ms_per_step_median']:.0f} | {v['ms_per_step_median']:.0f} "
              f"| {r['time_ratio']:.2f} | {v['bytes_per_pixel']:.0f} | {v['activation_bytes_per_pixel']:.0f} |")
md += ["", "![peak memory against depth](reversible_memory.png)", ""]
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    two = [r for r in rows if r["dims"] == 2]
    depth = [r["blocks"] for r in two]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(depth, [mib(r["plain"]["peak_bytes"]) for r in two], "o-", label="plain (stored activations)")
    ax.plot(depth, [mib(r["reversible"]["peak_bytes"]) for r in two], "s-", label="reversible")
    ax.set_xscale("log", base=2); ax.set_yscale("log")
    ax.set_xlabel("coupling blocks"); ax.set_ylabel("peak training memory (MiB)")
    ax.set_title(f"2D, C={two[0]['channels']}, input {two[0]['batch']}x{two[0]['size']}^2")
    ax.grid(True, which="both", alpha=0.3); ax.legend()
    fig.tight_layout(); fig.savefig(os.path.join(out, "reversible_memory.png"), dpi=110)
except ImportError:
    md.append("(matplotlib missing: no plot)")
tmp = os.path.join(out, ".reversible.md.tmp")
open(tmp, "w").write("\n".join(md) + "\n")
os.replace(tmp, os.path.join(out, "reversible.md"))
PY
chmod 644 "$jsonl"
mv "$jsonl" "$RESULTS/reversible.jsonl"
trap - EXIT
cat "$RESULTS/reversible.md"
