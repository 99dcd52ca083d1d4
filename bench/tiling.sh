#!/usr/bin/env bash
# Tiled-inference benchmark: a U-Net run over generated volumes on disk (HDF5) of growing size
# under a fixed memory budget, one process per run so peak RSS belongs to that run; whole-input
# inference beside it where the whole fits. Writes bench/results/tiling.md and tiling.jsonl.
#   bench/tiling.sh            (sizes below; takes about 15 minutes on 2 cores)
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
# The runs compared with whole-input inference are short, and a shared 2-core machine's timing
# wanders by 20%: those run three times and the table keeps the fastest of each.
run3() { for _ in 1 2 3; do run "$@"; done; }
# 2D, budget 16 MiB: from 16 MiB of input (1x the budget) to 1 GiB (64x the budget, 64x the
# voxels); whole-input inference beside it up to 4096^2 (3.4 GiB of working set; 8192^2 would
# need 13 GiB and its freed blocks as much again, too close to a 24 GiB machine's memory).
for s in 2048 4096; do run3 --dims 2 --size $s --whole; done
for s in 2048 4096; do run3 --dims 2 --size $s --max-memory 16M; done
for s in 8192 16384; do run --dims 2 --size $s --max-memory 16M; done
# 3D, budget 256 MiB: 256 x 256 slices from 64 to 4096 deep (64x the voxels; the last 1 GiB,
# 4x the budget) against whole-input inference up to 256 deep; then 512^3 (512 MiB, wider than
# one column the budget holds).
for d in 64 256; do run3 --dims 3 --size 256 --depth $d --whole; done
for d in 64 256; do run3 --dims 3 --size 256 --depth $d --max-memory 256M; done
for d in 1024 4096; do run --dims 3 --size 256 --depth $d --max-memory 256M; done
run --dims 3 --size 512 --max-memory 256M

"$PYTHON" - "$jsonl" "$RESULTS" <<'PY'
import datetime, json, os, sys
src, out = sys.argv[1:]
runs = [json.loads(l) for l in open(src) if l.strip()]
# Repeated runs: keep the fastest of each configuration, in the order first seen.
fastest = {}
for r in runs:
    k = (r["dims"], tuple(r["shape"]), r["mode"], r.get("max_memory"))
    if k not in fastest or r["seconds"] < fastest[k]["seconds"]:
        fastest[k] = r
rows = list(fastest.values())
mib = lambda b: b / 2**20
key = lambda r: (r["dims"], tuple(r["shape"]))
whole = {key(r): r for r in rows if r["mode"] == "whole"}
md = ["# Tiled inference: memory and time against input size", "",
      f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, threads: {rows[0]['threads']}",
      "- network: U-Net with 3 levels of 8, 16, 32 channels (batch norm, eval mode), random weights",
      "- input: seeded random float32 volume in an HDF5 file, output written to HDF5 region by region",
      "- tiled: columns across the axes after the first, each streamed along the first axis in chunks of rows",
      "- peak RSS: whole process (libraries included, about 80 MiB before the run); RSS growth: peak RSS minus RSS before inference",
      "- tracked: the engine's allocator, the executor's own working set (what --max-memory bounds)",
      "",
      "| dims | shape | input MiB | mode | budget MiB | input / budget | columns x chunk rows | peak RSS MiB | RSS growth MiB | tracked peak MiB | s | Mvoxel/s | tiled / whole throughput |",
      "|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    tiled = r["mode"] == "tiled"
    budget = f"{mib(r['max_memory']):.0f}" if tiled else "-"
    times = f"{4 * r['voxels'] / r['max_memory']:.1f}" if tiled else "-"
    layout = f"{r['columns']} x {r['chunk_rows']}" if tiled else "-"
    ratio = "-"
    w = whole.get(key(r))
    if tiled and w:
        ratio = f"{r['voxels_per_second'] / w['voxels_per_second']:.2f}"
    md.append(f"| {r['dims']}D | {' x '.join(map(str, r['shape']))} | {mib(4 * r['voxels']):.0f} | {r['mode']} | {budget} | {times} "
              f"| {layout} | {mib(r['peak_rss_bytes']):.1f} | {mib(r['peak_rss_bytes'] - r['rss_before_bytes']):.1f} "
              f"| {mib(r['tracked_peak_bytes']):.1f} | {r['seconds']:.2f} | {r['voxels_per_second'] / 1e6:.2f} | {ratio} |")
for dims in (2, 3):
    tiled = [r for r in rows if r["dims"] == dims and r["mode"] == "tiled"]
    # The growth series: one cross-section shape (3D) or square images (2D), 64x the voxels.
    series = [r for r in tiled if dims == 2 or r["shape"][1:] == tiled[0]["shape"][1:]]
    if len(series) > 1:
        growth = series[-1]["voxels"] / series[0]["voxels"]
        for field, name in (("peak_rss_bytes", "peak RSS"), ("tracked_peak_bytes", "tracked peak")):
            lo, hi = min(r[field] for r in series), max(r[field] for r in series)
            md += ["", f"{dims}D tiled: input grows {growth:.0f}x, {name} varies {100 * (hi - lo) / lo:.1f}% "
                   f"({mib(lo):.1f} to {mib(hi):.1f} MiB)"]
    ratios = [r["voxels_per_second"] / whole[key(r)]["voxels_per_second"]
              for r in tiled if key(r) in whole]
    if ratios:
        md += ["", f"{dims}D tiled / whole throughput where the whole fits: {min(ratios):.2f} to {max(ratios):.2f}"]
tmp = os.path.join(out, ".tiling.md.tmp")
open(tmp, "w").write("\n".join(md) + "\n")
os.replace(tmp, os.path.join(out, "tiling.md"))
PY
chmod 644 "$jsonl"
mv "$jsonl" "$RESULTS/tiling.jsonl"
trap - EXIT
cat "$RESULTS/tiling.md"
