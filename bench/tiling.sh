#!/usr/bin/env bash
# Tiled-inference benchmark: a U-Net run over generated volumes on disk (HDF5) of growing size
# under a fixed memory budget, one process per run so peak RSS belongs to that run; whole-input
# inference beside it where the whole fits. Writes bench/results/tiling.md and tiling.jsonl.
#   bench/tiling.sh            (sizes below; takes a few minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=build/apps/tessera
RESULTS=bench/results
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
mkdir -p "$RESULTS"
jsonl=$(mktemp "$RESULTS/.tiling.jsonl.XXXXXX")
trap 'rm -f "$jsonl"' EXIT
tmp=${TMPDIR:-/tmp}

run() { echo "== $*" >&2; "$TESSERA" bench tiling --dir "$tmp" "$@" >>"$jsonl"; }
# 2D: 4 MiB to 256 MiB of input (64x the voxels; the largest 8x the 32 MiB budget).
for s in 1024 2048 4096; do run --dims 2 --size $s --whole; done
for s in 1024 2048 4096 8192; do run --dims 2 --size $s --max-memory 32M; done
# 3D: 0.4 MiB to 27 MiB of input, 64x the voxels from first to last, budget 256 MiB.
for s in 48 96 192; do run --dims 3 --size $s --whole; done
for s in 48 96 192; do run --dims 3 --size $s --max-memory 256M; done

"$PYTHON" - "$jsonl" "$RESULTS" <<'PY'
import datetime, json, os, sys
src, out = sys.argv[1:]
rows = [json.loads(l) for l in open(src) if l.strip()]
mib = lambda b: b / 2**20
whole = {(r["dims"], r["size"]): r for r in rows if r["mode"] == "whole"}
md = ["# Tiled inference: memory and time against input size", "",
      f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, threads: {rows[0]['threads']}",
      "- network: U-Net with 3 levels of 8, 16, 32 channels (batch norm, eval mode), random weights",
      "- input: seeded random float32 volume in an HDF5 file, output written to HDF5 region by region",
      "- peak RSS: whole process (libraries included, about 100 MiB); tracked: the engine's allocator",
      "",
      "| dims | size | input MiB | mode | budget MiB | tiles | peak RSS MiB | tracked peak MiB | s | Mvoxel/s | tiled / whole throughput |",
      "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    budget = f"{mib(r['max_memory']):.0f}" if "max_memory" in r else "-"
    ratio = "-"
    w = whole.get((r["dims"], r["size"]))
    if r["mode"] == "tiled" and w:
        ratio = f"{r['voxels_per_second'] / w['voxels_per_second']:.2f}"
    md.append(f"| {r['dims']}D | {r['size']} | {mib(4 * r['voxels']):.1f} | {r['mode']} | {budget} "
              f"| {r.get('tiles', 1)} | {mib(r['peak_rss_bytes']):.1f} | {mib(r['tracked_peak_bytes']):.1f} "
              f"| {r['seconds']:.2f} | {r['voxels_per_second'] / 1e6:.2f} | {ratio} |")
for dims in (2, 3):
    tiled = [r for r in rows if r["dims"] == dims and r["mode"] == "tiled"]
    if len(tiled) > 1:
        lo, hi = min(r["peak_rss_bytes"] for r in tiled), max(r["peak_rss_bytes"] for r in tiled)
        growth = tiled[-1]["voxels"] / tiled[0]["voxels"]
        md += ["", f"{dims}D tiled: input grows {growth:.0f}x, peak RSS varies {100 * (hi - lo) / lo:.1f}% "
               f"({mib(lo):.1f} to {mib(hi):.1f} MiB)"]
tmp = os.path.join(out, ".tiling.md.tmp")
open(tmp, "w").write("\n".join(md) + "\n")
os.replace(tmp, os.path.join(out, "tiling.md"))
PY
chmod 644 "$jsonl"
mv "$jsonl" "$RESULTS/tiling.jsonl"
trap - EXIT
cat "$RESULTS/tiling.md"
