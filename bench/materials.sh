#!/usr/bin/env bash
# Weakly supervised phase maps on the shared UHCS micrographs: the segmenter trained on the 4x5
# tile tags only (no pixel mask) of 12 annotated micrographs, each fold of the published
# cross-validation (DeCost et al. 2019, folds 0-3) held out in turn, so every one of the 16
# images is segmented by a model that never saw it; scored against the region masks. The
# classical baselines (`--method forest`, `otsu`, `kmeans`) are trained on the same tags and
# scored the same way beside it.
# Writes bench/results/materials.md.
#   bench/materials.sh           (about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=bench/results
UHCS=$(realpath ../shared/data/materials/uhcs/segmentation)
STEPS=${STEPS:-600}
BASELINES=${BASELINES:-forest otsu kmeans}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -d $UHCS ]] || { echo "error: ../shared/data/materials/uhcs not found" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
PHASES=matrix,network,spheroidite,widmanstatten

mkdir -p "$tmp/maps"
for method in $BASELINES; do mkdir -p "$tmp/maps_$method"; done
for fold in 0 1 2 3; do
  held=$(tr -d '\r' <"$UHCS/splits_decost2019_6fold.csv" | awk -F, -v f=$fold 'NR>1 && $2==f {print $1}')
  tr -d '\r' <"$UHCS/tags_tiles_4x5.csv" |
    awk -F, -v list="$held" 'BEGIN{n=split(list,a," "); for(i=1;i<=n;i++) t[a[i]]=1} NR==1 || !($1 in t)' \
      >"$tmp/tags_$fold.csv"
  mkdir -p "$tmp/test_$fold"
  for name in $held; do ln -s "$UHCS/images/$name.png" "$tmp/test_$fold/$name.png"; done
  start=$(date +%s)
  "$TESSERA" materials train-segmenter --images "$UHCS/images" --tags "$tmp/tags_$fold.csv" \
    --output "$tmp/model_$fold.h5" --steps "$STEPS" --seed "$fold" >/dev/null
  trained=$(date +%s)
  "$TESSERA" materials segment --model "$tmp/model_$fold.h5" --images "$tmp/test_$fold" \
    --output "$tmp/out_$fold" >/dev/null
  done_at=$(date +%s)
  echo "fold $fold: trained in $((trained - start)) s, segmented 4 images in $((done_at - trained)) s" |
    tee -a "$tmp/timings.txt"
  for name in $held; do cp "$tmp/out_$fold/$name.png" "$tmp/maps/"; done
  for method in $BASELINES; do
    start=$(date +%s)
    "$TESSERA" materials train-segmenter --method "$method" --images "$UHCS/images" \
      --tags "$tmp/tags_$fold.csv" --output "$tmp/${method}_$fold.yml" --seed "$fold" >/dev/null
    "$TESSERA" materials segment --model "$tmp/${method}_$fold.yml" --images "$tmp/test_$fold" \
      --output "$tmp/out_${method}_$fold" >/dev/null
    echo "fold $fold: $method trained and segmented in $(($(date +%s) - start)) s" |
      tee -a "$tmp/timings.txt"
    for name in $held; do cp "$tmp/out_${method}_$fold/$name.png" "$tmp/maps_$method/"; done
  done
done
# Speed and memory of segment (the last fold's model): the 16 micrographs at 645x484, then one
# generated 4096x4096 micrograph through the tiled executor.
mkdir -p "$tmp/all"
for f in "$UHCS"/images/*.png; do ln -s "$f" "$tmp/all/"; done
/usr/bin/time -f "%e %M" -o "$tmp/time_small" "$TESSERA" materials segment \
  --model "$tmp/model_3.h5" --images "$tmp/all" --output "$tmp/out_all" >/dev/null
"$TESSERA" materials synth --output "$tmp/big" --specimens 1 --images 1 --size 4096,4096 >/dev/null
/usr/bin/time -f "%e %M" -o "$tmp/time_big" "$TESSERA" materials segment \
  --model "$tmp/model_3.h5" --images "$tmp/big/images" --output "$tmp/out_big" >/dev/null
read -r small_s small_kb <"$tmp/time_small"
read -r big_s big_kb <"$tmp/time_big"
"$TESSERA" materials evaluate --prediction "$tmp/maps" --truth "$UHCS/labels_region" \
  --phases "$PHASES" --output "$tmp/scores.json" >/dev/null
# One row per method: the "all pixels" row of its evaluation.
summary=$(grep 'all pixels' "$tmp/scores.md" | sed 's/\*\*all pixels\*\*/network (weak, tile tags)/')
for method in $BASELINES; do
  "$TESSERA" materials evaluate --prediction "$tmp/maps_$method" --truth "$UHCS/labels_region" \
    --phases "$PHASES" --output "$tmp/scores_$method.json" >/dev/null
  summary+=$'\n'$(grep 'all pixels' "$tmp/scores_$method.md" | sed "s/\*\*all pixels\*\*/$method (tile tags)/")
done
{
  echo "# Materials: weakly supervised phase maps (UHCS, 16 annotated micrographs)"
  echo
  echo "\`bench/materials.sh\`: \`materials train-segmenter\` on the 4x5 tile tags of 12 images"
  echo "($STEPS steps, defaults otherwise), \`materials segment\` on the 4 held out, for each of the"
  echo "published folds 0-3; every image scored by a model that never saw it, against"
  echo "\`labels_region\`. References on this data: a fully supervised random-forest pixel classifier"
  echo "about 0.40 mIoU, the authors' fully supervised PixelNet 0.626."
  echo
  echo "Every method on the same tags, over all 16 images' pixels:"
  echo
  echo "| method | IoU matrix | IoU network | IoU spheroidite | IoU widmanstatten | mIoU | pixel accuracy | fraction error |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "$summary"
  echo
  echo "The network per image:"
  echo
  cat "$tmp/scores.md"
  echo
  echo "Time on this machine (2 cores):"
  echo
  sed 's/^/- /' "$tmp/timings.txt"
  echo
  echo "Segmentation speed (\`materials segment\`, whole command, 2 cores):"
  echo
  echo "| input | time | images/s | peak RSS |"
  echo "|---|---|---|---|"
  awk -v s="$small_s" -v kb="$small_kb" 'BEGIN{printf "| 16 UHCS micrographs, 645x484 | %.1f s | %.2f | %.0f MiB |\n", s, 16/s, kb/1024}'
  awk -v s="$big_s" -v kb="$big_kb" 'BEGIN{printf "| 1 generated micrograph, 4096x4096 | %.1f s | %.3f | %.0f MiB |\n", s, 1/s, kb/1024}'
} >"$RESULTS/materials.md"
cat "$RESULTS/materials.md"
