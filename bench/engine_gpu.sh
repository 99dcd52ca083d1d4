#!/usr/bin/env bash
# The engine on a GPU against PyTorch on the same GPU (cuDNN autotuning on), one run:
#   - training steps of unet2d (batch 16, 256^2), unet3d (batch 2, 96^3) and the discharge LSTM;
#   - the largest cubic unet3d input (batch 1) that trains on this GPU, plain and reversible;
#   - tiled inference of the tiling benchmark's 3D U-Net over a generated volume a quarter larger
#     than the GPU's memory (computed as it is read, so it needs no disk), budget 8 GiB.
# Writes bench/results/engine_gpu.md and engine_gpu.jsonl. Needs a usable GPU; PyTorch's rows
# need a CUDA build of PyTorch (PYTHON=/path/to/python; Debian's python3-torch is CPU-only).
#   bench/engine_gpu.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-10}
TESSERA=${TESSERA:-build/apps/tessera}
PYTHON=${PYTHON:-python3}
RESULTS=${RESULTS:-bench/results}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
cuda=$("$TESSERA" info | grep '^CUDA:' || true)
if ! grep -q '[1-9][0-9]* GPU(s)' <<<"$cuda"; then
  echo "error: no usable GPU here (${cuda:-CUDA: not reported}); bench/results/engine_gpu.md not written" >&2
  exit 1
fi
torch_gpu=1
$PYTHON -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null || {
  torch_gpu=0
  echo "note: $PYTHON has no CUDA PyTorch; the PyTorch columns stay empty" >&2
}
mkdir -p "$RESULTS"
jsonl=$(mktemp "$RESULTS/.engine_gpu.jsonl.XXXXXX")
trap 'rm -f "$jsonl"' EXIT

for cfg in "unet2d 16 256" "unet3d 2 96" "lstm 256 365"; do
  read -r model batch size <<<"$cfg"
  echo "== $model batch $batch size $size" >&2
  "$TESSERA" bench engine --device cuda --model "$model" --batch "$batch" --size "$size" \
    --steps "$STEPS" | grep '^{' >>"$jsonl"
  if ((torch_gpu)); then
    for fmt in contiguous channels_last; do
      [[ $model == lstm && $fmt == channels_last ]] && continue
      $PYTHON bench/pytorch_peer.py --device cuda --model "$model" --batch "$batch" \
        --size "$size" --steps "$STEPS" --memory-format "$fmt" >>"$jsonl" || true
    done
  fi
done

# Largest input: grow the edge until a step fails (out of GPU memory), plain and reversible.
for kind in plain reversible; do
  flag=()
  [[ $kind == reversible ]] && flag=(--reversible)
  for size in 64 96 128 160 192 224 256 320 384 448 512 640 768; do
    echo "== unet3d $kind, 1 x $size^3" >&2
    line=$("$TESSERA" bench engine --device cuda --model unet3d --batch 1 --size "$size" \
      --steps 1 --warmup 1 "${flag[@]}" 2>/dev/null | grep '^{') || break
    echo "{\"largest\": \"$kind\", \"run\": $line}" >>"$jsonl"
  done
done

# A volume larger than the GPU: edge^3 float32 voxels = 1.25 x the GPU's memory.
mib=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0 2>/dev/null | head -1 || true)
edge=$(/usr/bin/python3 -c "print(round((1.25 * ${mib:-81559} * 2**20 / 4) ** (1 / 3)))")
echo "== tiled unet3d over a generated ${edge}^3 volume (GPU memory ${mib:-unknown} MiB)" >&2
if line=$("$TESSERA" bench tiling --device cuda --generated --dims 3 --size "$edge" \
  --max-memory 8G | grep '^{'); then
  echo "{\"gpu_mib\": ${mib:-0}, ${line#\{}" >>"$jsonl"
else
  echo "note: the tiled run failed; its row stays empty" >&2
fi

"${PYTHON_MD:-/usr/bin/python3}" - "$jsonl" "$RESULTS" "$cuda" <<'PY'
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out, cuda = sys.argv[2], sys.argv[3]
rows, largest, tiled = {}, {}, None
for l in lines:
    if "gpu_mib" in l:
        tiled = l
        continue
    if "largest" in l:
        largest[l["largest"]] = l["run"]  # the last that trained is the largest
        continue
    r = rows.setdefault(l["model"], {})
    if l["engine"] == "tessera":
        r["tessera"] = l
    elif "pytorch" not in r or l["ms_per_step_median"] < r["pytorch"]["ms_per_step_median"]:
        r["pytorch"] = l
md = ["# Engine on a GPU", "", f"`bench/engine_gpu.sh`; {cuda}.", "",
      "| model | batch | size | tessera (ms/step) | PyTorch, faster format (ms/step) | speed-up | "
      "tessera peak (MiB) | PyTorch peak (MiB) |", "|---|---|---|---|---|---|---|---|"]
for m, r in rows.items():
    t, p = r.get("tessera"), r.get("pytorch")
    if not t:
        continue
    pt = f'{p["ms_per_step_median"]:.1f} ({p["memory_format"]})' if p else "—"
    sp = f'{p["ms_per_step_median"] / t["ms_per_step_median"]:.2f}x' if p else "—"
    pm = f'{p["peak_bytes"] / 2**20:.0f}' if p else "—"
    md.append(f'| {m} | {t["batch"]} | {t["size"]} | {t["ms_per_step_median"]:.1f} | {pt} | {sp} | '
              f'{t["peak_bytes"] / 2**20:.0f} | {pm} |')
md += ["", "Largest cubic unet3d input (batch 1, channels 16-64) that trains one step:", "",
       "| U-Net | edge | peak GPU memory (MiB) | ms/step |", "|---|---|---|---|"]
for kind in ("plain", "reversible"):
    r = largest.get(kind)
    md.append(f'| {kind} | {r["size"]} | {r["peak_bytes"] / 2**20:.0f} | {r["ms_per_step_median"]:.0f} |'
              if r else f"| {kind} | none trained | — | — |")
md += ["", "Tiled inference (the tiling benchmark's 3D U-Net, channels 8-32) over a generated volume",
       "larger than the GPU's memory, budget 8 GiB:", "",
       "| volume | input GiB | GPU memory GiB | tiles | tracked GPU peak (MiB) | seconds | Mvoxel/s |",
       "|---|---|---|---|---|---|---|"]
if tiled:
    gib = tiled["voxels"] * 4 / 2**30
    md.append(f'| {"x".join(map(str, tiled["shape"]))} | {gib:.0f} | {tiled["gpu_mib"] / 1024:.0f} | '
              f'{tiled["tiles"]} | {tiled["tracked_peak_bytes"] / 2**20:.0f} | {tiled["seconds"]:.0f} | '
              f'{tiled["voxels_per_second"] / 1e6:.0f} |')
else:
    md.append("| not run | — | — | — | — | — | — |")
open(os.path.join(out, "engine_gpu.md"), "w").write("\n".join(md) + "\n")
os.replace(sys.argv[1], os.path.join(out, "engine_gpu.jsonl"))
print("\n".join(md))
PY
trap - EXIT
