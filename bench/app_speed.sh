#!/usr/bin/env bash
# Application wall times on the same data in one run, to show what an engine change does to the
# work users wait for: connectomics training steps per second (the 8-16-32 affinity U-Net, 3D),
# tiled affinity prediction in voxels per second, ecology detection in photos per second (the
# 8-16-32 detector), and the quality each run ends with (connectomics segmentation after the same
# training; ecology mAP of the same detector). Rows: an older build (BEFORE, when set), this
# build, and this build with --precision bf16 where the CPU runs bf16. An older build trains its
# own networks, so its quality differs as a change of seed would; bench/same_training.sh compares
# the arithmetic of two builds from the same weights.
# Writes bench/results/app_speed.md.
#   bench/app_speed.sh                                   (about 10 minutes on 2 cores)
#   BEFORE=/path/to/old/tessera bench/app_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
AFTER=${AFTER:-$PWD/build/apps/tessera}
BEFORE=${BEFORE:-}
RESULTS=${RESULTS:-bench/results}
STEPS=${STEPS:-200}
for b in $BEFORE "$AFTER"; do [[ -x $b ]] || { echo "error: $b not found" >&2; exit 1; }; done
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { local t0=$EPOCHREALTIME; "$@" > /dev/null; echo "$EPOCHREALTIME - $t0" | bc; }
"$AFTER" connectomics synth --raw "$tmp/train.h5:raw" --labels "$tmp/train_ids.h5:ids" --size 32,96,96 --seed 1 > /dev/null
"$AFTER" connectomics synth --raw "$tmp/test.h5:raw" --labels "$tmp/test_ids.h5:ids" --size 64,192,192 --seed 2 > /dev/null
"$AFTER" ecology synth --output "$tmp/photos" --photos 8 --size 768,576 --insects 40 --insect-size 14,30 --seed 2 > /dev/null
"$AFTER" ecology train --images "$tmp/photos" --annotations "$tmp/photos/annotations.json" \
  --output "$tmp/insects.h5" --steps 400 --patch 64 --batch 4 --channels 8,16,32 > /dev/null
voxels=$((64 * 192 * 192))
runs=()
[[ -n $BEFORE ]] && runs+=("before|$BEFORE|")
runs+=("this build|$AFTER|")
"$AFTER" info | grep -q '^bf16.*: \(native\|emulated\)' && runs+=("this build, bf16|$AFTER|--precision bf16")
{
  echo "# Application speed"
  echo
  echo "\`bench/app_speed.sh\` on $(nproc) cores ($(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)), every row in the same run on the same data."
  echo "Connectomics: train $STEPS steps on a generated 32 x 96 x 96 volume, predict and segment a"
  echo "64 x 192 x 192 one. Ecology: one detector (400 steps, trained once in float32) detects 8 generated photos"
  echo "of 768 x 576; the bf16 row runs it in bf16, and an older build (before) trains its own the same way."
  echo "Training amplifies rounding, so a network the older build trains is another network, and its quality"
  echo "differs as a change of seed would (bench/results/same_training.md: the two builds compute alike)."
  echo
  echo "| run | connectomics train (steps/s) | tiled predict (voxels/s) | ecology detect (photos/s) | connectomics VOI after $STEPS steps | adapted Rand error | ecology mAP@0.5 |"
  echo "|---|---|---|---|---|---|---|"
} > "$tmp/report.md"
i=0
for run in "${runs[@]}"; do
  IFS='|' read -r name t flags <<<"$run"
  i=$((i + 1))
  # shellcheck disable=SC2086
  train=$(seconds "$t" connectomics train --raw "$tmp/train.h5:raw" --labels "$tmp/train_ids.h5:ids" \
    --output "$tmp/$i.h5" --steps "$STEPS" $flags)
  # shellcheck disable=SC2086
  predict=$(seconds "$t" connectomics predict --model "$tmp/$i.h5" --raw "$tmp/test.h5:raw" \
    --output "$tmp/$i.aff.h5:aff" --quiet $flags)
  # An older build may not read this build's model files: it detects with a detector of its own.
  detector=$tmp/insects.h5
  if [[ $t != "$AFTER" ]]; then
    detector=$tmp/insects_$i.h5
    "$t" ecology train --images "$tmp/photos" --annotations "$tmp/photos/annotations.json" \
      --output "$detector" --steps 400 --patch 64 --batch 4 --channels 8,16,32 > /dev/null
  fi
  # shellcheck disable=SC2086
  detect=$(seconds "$t" ecology detect --model "$detector" --images "$tmp/photos" \
    --output "$tmp/$i.found" $flags)
  "$t" connectomics segment --affinities "$tmp/$i.aff.h5:aff" --output "$tmp/$i.seg.h5:seg" > /dev/null
  "$t" connectomics evaluate --segmentation "$tmp/$i.seg.h5:seg" --truth "$tmp/test_ids.h5:ids" \
    --output "$tmp/$i.json" > /dev/null
  "$AFTER" ecology evaluate --detections "$tmp/$i.found/detections.json" \
    --annotations "$tmp/photos/annotations.json" --images "$tmp/photos" --output "$tmp/$i.map.json" > /dev/null
  read -r voi arand map < <(/usr/bin/python3 -c "
import json
d = json.load(open('$tmp/$i.json')); m = json.load(open('$tmp/$i.map.json'))
print(d.get('voi', d.get('voi_total', float('nan'))), d.get('adapted_rand_error', d.get('arand', float('nan'))),
      m.get('map50', m.get('mAP50', m.get('map', float('nan')))))")
  printf '| %s | %.2f | %.0f | %.2f | %.4f | %.4f | %.3f |\n' "$name" "$(echo "$STEPS / $train" | bc -l)" \
    "$(echo "$voxels / $predict" | bc -l)" "$(echo "8 / $detect" | bc -l)" "$voi" "$arand" "$map" >> "$tmp/report.md"
done
cp "$tmp/report.md" "$RESULTS/app_speed.md"
cat "$RESULTS/app_speed.md"
