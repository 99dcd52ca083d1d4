#!/usr/bin/env bash
# Engine benchmark: tessera against PyTorch on this machine, same networks, same
# training step, same thread count.
#   bench/engine.sh [steps]        (default 10 timed steps; THREADS defaults to nproc)
# Writes bench/results/engine.md (tables) and bench/results/engine.jsonl (raw lines).
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${1:-10}
T=${THREADS:-$(nproc)}
# model batch size [depth]: affinity3d trains on the connectomics default, 2 crops of 16 x 64 x 64;
# reversible3d is `tessera bench reversible --dims 3 --blocks 64 --channels 16 --size 32`.
CONFIGS=("unet2d 4 256" "unet3d 1 64" "lstm 256 365" "affinity3d 2 64 16" "reversible3d 2 32")
TESSERA=${TESSERA:-build/apps/tessera}  # another build to compare: TESSERA=path bench/engine.sh
# Both engines on the CPU: a build that has --device would otherwise take a GPU where one is.
on_cpu=()
"$TESSERA" bench engine --help | grep -q -- --device && on_cpu=(--device cpu)
# The first python3 on PATH may lack torch (pyenv, venv); Debian's python3-torch lives in
# /usr/bin/python3. PYTHON overrides.
if [[ -z ${PYTHON:-} ]]; then
  PYTHON=python3
  $PYTHON -c 'import torch' 2>/dev/null || PYTHON=/usr/bin/python3
fi
RESULTS=bench/results
mkdir -p "$RESULTS"

[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }

jsonl=$(mktemp "$RESULTS/.engine.jsonl.XXXXXX")
trap 'rm -f "$jsonl"' EXIT

for cfg in "${CONFIGS[@]}"; do
  read -r model batch size depth <<<"$cfg"
  shape=(--batch "$batch" --size "$size" --steps "$STEPS")
  [[ -n $depth ]] && shape+=(--depth "$depth")
  echo "== $model batch $batch size $size${depth:+ depth $depth}, $STEPS steps, $T threads" >&2
  echo "   tessera" >&2
  OMP_NUM_THREADS=$T "$TESSERA" bench engine --model "$model" "${shape[@]}" "${on_cpu[@]}" |
    grep '^{' | tail -n 1 >>"$jsonl"
  if [[ $model != lstm ]] && ! "$TESSERA" info | grep -q '^bf16.*: no$'; then
    echo "   tessera, bf16" >&2
    OMP_NUM_THREADS=$T "$TESSERA" bench engine --model "$model" "${shape[@]}" "${on_cpu[@]}" --precision bf16 |
      grep '^{' | tail -n 1 >>"$jsonl"
  fi
  # PyTorch in both memory formats of its convolutions; the table compares with the faster.
  formats=(contiguous channels_last)
  [[ $model == lstm ]] && formats=(contiguous)
  for fmt in "${formats[@]}"; do
    echo "   pytorch ($fmt)" >&2
    OMP_NUM_THREADS=$T "$PYTHON" bench/pytorch_peer.py --model "$model" "${shape[@]}" \
      --threads "$T" --memory-format "$fmt" | grep '^{' | tail -n 1 >>"$jsonl"
  done
done

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
dnnl=$(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo unknown)
torch_v=$("$PYTHON" -c 'import torch; print(torch.__version__)')

python3 - "$jsonl" "$RESULTS/engine.md" "$cpu" "$T" "$dnnl" "$torch_v" "$STEPS" <<'PY'
import datetime, json, os, sys

src, out, cpu, threads, dnnl, torch_v, steps = sys.argv[1:]
rows = [json.loads(line) for line in open(src) if line.strip()]
mib = lambda b: b / 2**20

md = [
    "# Engine benchmark: tessera vs PyTorch (CPU)",
    "",
    f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
    f"- CPU: {cpu}",
    f"- threads: {threads} (both engines)",
    f"- oneDNN (libdnnl-dev): {dnnl}; torch: {torch_v}",
    f"- timed training steps per run: {steps} (after warm-up); step = forward, loss, backward, SGD",
    "- memory: growth of the process's peak RSS from just before the model is built, for both",
    "  engines (weights, gradients, optimizer state, data, activations, allocator slack);",
    "  tessera also reports the bytes its tracking allocator held at peak",
    "- PyTorch runs its convolutional networks in both memory formats (contiguous and",
    "  channels_last); the ratios compare tessera with the faster run",
    "",
]
NOTES = {
    "lstm": "PyTorch's nn.LSTM has two bias vectors (b_ih, b_hh) where tessera has one: 4 x 64 "
            "parameters more, the same FLOPs",
    "affinity3d": "the connectomics affinity U-Net as `connectomics train` builds it by default "
                  "(3 levels of 8, 16, 32 channels, batch norm, ReLU, 8 affinity outputs), on its "
                  "default crops (2 x 16 x 64 x 64), BCE masked as it trains",
    "reversible3d": "`bench reversible --dims 3 --blocks 64 --channels 16`: 64 additive couplings "
                    "on halves of 8 channels; tessera trains it reversibly (activations rebuilt "
                    "in backward), PyTorch stores them (autograd)",
}
configs = []
for r in rows:
    key = (r["model"], r["batch"], r["size"], r.get("depth", r["size"]))
    if key not in configs:
        configs.append(key)
for key in configs:
    model, batch, size, depth = key
    runs = [r for r in rows if (r["model"], r["batch"], r["size"], r.get("depth", r["size"])) == key]
    edge = f"{depth} x {size} x {size}" if depth != size else f"{size}"
    md += [f"## {model}, batch {batch}, size {edge}", ""]
    if model in NOTES:
        md += [NOTES[model], ""]
    md += ["| engine | parameters | ms/step (median) | ms/step (min) | peak RSS growth (MiB) | tracked peak (MiB) |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in runs:
        name = r["engine"]
        if r.get("memory_format", "-") != "-":
            name += f" ({r['memory_format']})"
        if "precision" in r:
            name += f" ({r['precision']})"
        tracked = f"{mib(r['peak_bytes']):.1f}" if r["engine"] == "tessera" else "-"
        md.append(f"| {name} | {r.get('parameters', '-')} | {r['ms_per_step_median']:.1f} | "
                  f"{r['ms_per_step_min']:.1f} | {mib(r['rss_delta_bytes']):.1f} | {tracked} |")
    t = next((r for r in runs if r["engine"] == "tessera" and "precision" not in r), None)
    b = next((r for r in runs if r.get("precision") == "bf16"), None)
    torch_runs = [r for r in runs if r["engine"] == "pytorch"]
    p = min(torch_runs, key=lambda r: r["ms_per_step_median"]) if torch_runs else None
    if t and p:
        md += ["",
               f"speed = torch_ms / tessera_ms = **{p['ms_per_step_median'] / t['ms_per_step_median']:.2f}**"
               " (>= 1: tessera faster)  ",
               f"memory = tessera / torch peak RSS growth = **{t['rss_delta_bytes'] / max(p['rss_delta_bytes'], 1):.2f}**"
               " (< 1: tessera smaller)"]
        if b:
            md += ["", f"bf16 (`--precision bf16`): **{t['ms_per_step_median'] / b['ms_per_step_median']:.2f}x** "
                   f"the float32 step, **{p['ms_per_step_median'] / b['ms_per_step_median']:.2f}x** PyTorch's"]
        if "parameters" in p and p["parameters"] != t["parameters"] and model != "lstm":
            md += ["", f"**parameter counts differ: tessera {t['parameters']}, torch {p['parameters']}**"]
    md.append("")

tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(md))
os.replace(tmp, out)
PY

chmod 644 "$jsonl"
mv "$jsonl" "$RESULTS/engine.jsonl"
trap - EXIT
echo "wrote $RESULTS/engine.md and $RESULTS/engine.jsonl" >&2
cat "$RESULTS/engine.md"
