#!/usr/bin/env bash
# Application wall times of two tessera builds on the same data in one run, to show what an
# engine change does to the work users wait for: connectomics training steps per second (the
# 8-16-32 affinity U-Net, 3D), tiled affinity prediction in voxels per second, ecology detection
# in photos per second (the 8-16-32 detector), and connectomics segmentation quality after the
# same training with each build (float32 results must not move).
# Writes bench/results/app_speed.md.
#   BEFORE=/path/to/old/tessera bench/app_speed.sh     (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
AFTER=${AFTER:-$PWD/build/apps/tessera}
BEFORE=${BEFORE:?set BEFORE to the tessera binary to compare against}
RESULTS=${RESULTS:-bench/results}
STEPS=${STEPS:-200}
for b in "$BEFORE" "$AFTER"; do [[ -x $b ]] || { echo "error: $b not found" >&2; exit 1; }; done
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { local t0=$EPOCHREALTIME; "$@" > /dev/null; echo "$EPOCHREALTIME - $t0" | bc; }
"$AFTER" connectomics synth --raw "$tmp/train.h5:raw" --labels "$tmp/train_ids.h5:ids" --size 32,96,96 --seed 1 > /dev/null
"$AFTER" connectomics synth --raw "$tmp/test.h5:raw" --labels "$tmp/test_ids.h5:ids" --size 64,192,192 --seed 2 > /dev/null
"$AFTER" ecology synth --output "$tmp/photos" --photos 8 --size 768,576 --insects 40 --insect-size 14,30 --seed 2 > /dev/null
"$AFTER" ecology train --images "$tmp/photos" --annotations "$tmp/photos/annotations.json" \
  --output "$tmp/insects.h5" --steps 50 --patch 64 --batch 4 --channels 8,16,32 > /dev/null
voxels=$((64 * 192 * 192))
{
  echo "# Application speed: $(basename "$BEFORE") (before) against $(basename "$AFTER") (after)"
  echo
  echo "\`bench/app_speed.sh\` on $(nproc) cores, both builds in the same run on the same data."
  echo
  echo "| build | connectomics train (steps/s) | tiled predict (voxels/s) | ecology detect (photos/s) | connectomics VOI after $STEPS steps | adapted Rand error |"
  echo "|---|---|---|---|---|---|"
} > "$tmp/report.md"
for name in before after; do
  t=$BEFORE; [[ $name == after ]] && t=$AFTER
  train=$(seconds "$t" connectomics train --raw "$tmp/train.h5:raw" --labels "$tmp/train_ids.h5:ids" \
    --output "$tmp/$name.h5" --steps "$STEPS")
  predict=$(seconds "$t" connectomics predict --model "$tmp/$name.h5" --raw "$tmp/test.h5:raw" \
    --output "$tmp/$name.aff.h5:aff" --quiet)
  detect=$(seconds "$t" ecology detect --model "$tmp/insects.h5" --images "$tmp/photos" --output "$tmp/$name.found")
  "$t" connectomics segment --affinities "$tmp/$name.aff.h5:aff" --output "$tmp/$name.seg.h5:seg" > /dev/null
  "$t" connectomics evaluate --segmentation "$tmp/$name.seg.h5:seg" --truth "$tmp/test_ids.h5:ids" \
    --output "$tmp/$name.json" > /dev/null
  read -r voi arand < <(/usr/bin/python3 -c "import json; d=json.load(open('$tmp/$name.json')); print(d.get('voi', d.get('voi_total', float('nan'))), d.get('adapted_rand_error', d.get('arand', float('nan'))))")
  printf '| %s | %.2f | %.0f | %.2f | %s | %s |\n' "$name" "$(echo "$STEPS / $train" | bc -l)" \
    "$(echo "$voxels / $predict" | bc -l)" "$(echo "8 / $detect" | bc -l)" "$voi" "$arand" >> "$tmp/report.md"
done
cp "$tmp/report.md" "$RESULTS/app_speed.md"
cat "$RESULTS/app_speed.md"
