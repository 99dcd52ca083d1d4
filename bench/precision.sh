#!/usr/bin/env bash
# Quality in f32 and bf16 (--precision) of the applications that bench/app_speed.sh does not
# score: materials (the phase segmenter from tile tags, the anneal from micrographs) and video
# (the 5-frame denoiser at 10 electrons at white), each trained and run once in each precision on
# the same generated data (the demo's recipes), with its training time. Connectomics and ecology
# are in app_speed.md; hydrology's networks have no convolutions, so bf16 does not apply.
# Writes bench/results/precision.md.
#   bench/precision.sh                 (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=${RESULTS:-bench/results}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
if "$TESSERA" info | grep -q '^bf16.*: no$'; then
  echo "error: this CPU runs no bf16 (tessera info)" >&2
  exit 1
fi
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { local t0=$EPOCHREALTIME; "$@" > /dev/null; echo "$EPOCHREALTIME - $t0" | bc; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$TESSERA" materials synth --output "$tmp/mt" --specimens 6 --images 3 > /dev/null
"$TESSERA" video scene --output "$tmp/train" --frames 24 --size 192,144 --seed 1 > /dev/null
"$TESSERA" video scene --output "$tmp/test" --frames 8 --size 192,144 --seed 2 > /dev/null
profile=../shared/data/video/noise_models/crvd_imx385_noise_params.json
[[ -f $profile ]] || { echo "error: $profile not found (../shared/data)" >&2; exit 1; }
"$TESSERA" video synth --input "$tmp/test" --camera "$profile" --photons 10 --output "$tmp/noisy" > /dev/null

{
  echo "# Quality in f32 and bf16"
  echo
  echo "\`bench/precision.sh\` on $(nproc) cores ($(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)); tessera info: $("$TESSERA" info | grep '^bf16')."
  echo "Each model trained and run in the precision of its row, on the same generated data (the demo's"
  echo "recipes: 6 specimens x 3 micrographs; a 24-frame clip to train on, 8 frames at 10 electrons"
  echo "at white to score)."
  echo
  echo "| precision | phase maps: mean IoU | pixel accuracy | segmenter training (s) | anneal: accuracy per image | property training (s) | video PSNR (dB) | SSIM | denoiser training (s) |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$tmp/report.md"
for p in f32 bf16; do
  m=$tmp/mt
  seg_s=$(seconds "$TESSERA" materials train-segmenter --images "$m/images" --tags "$m/tags_tiles.csv" \
    --metadata "$m/metadata.csv" --output "$tmp/seg_$p.h5" --steps 300 --patch 48 --precision "$p")
  "$TESSERA" materials segment --model "$tmp/seg_$p.h5" --images "$m/images" --metadata "$m/metadata.csv" \
    --output "$tmp/maps_$p" --precision "$p" > /dev/null
  "$TESSERA" materials evaluate --prediction "$tmp/maps_$p" --truth "$m/labels" \
    --phases matrix,network,spheroidite,widmanstatten --output "$tmp/seg_$p.json" > /dev/null
  prop_s=$(seconds "$TESSERA" materials train-property --images "$m/images" --table "$m/metadata.csv" \
    --target anneal --output "$tmp/anneal_$p.h5" --steps 300 --patch 64 --precision "$p")
  "$TESSERA" materials predict --model "$tmp/anneal_$p.h5" --images "$m/images" --metadata "$m/metadata.csv" \
    --output "$tmp/anneal_$p" --precision "$p" > /dev/null
  "$TESSERA" materials evaluate --prediction "$tmp/anneal_$p/predictions.csv" --truth "$m/metadata.csv" \
    --target anneal --output "$tmp/anneal_$p.json" > /dev/null
  vid_s=$(seconds "$TESSERA" video train --clean "$tmp/train" --camera "$profile" --output "$tmp/den_$p.h5" \
    --steps 400 --patch 48 --precision "$p")
  "$TESSERA" video denoise --model "$tmp/den_$p.h5" --input "$tmp/noisy" --photons 10 \
    --output "$tmp/den_$p" --quiet --precision "$p" > /dev/null
  "$TESSERA" video evaluate --result "$tmp/den_$p/frames" --reference "$tmp/test" --label "$p" \
    --output "$tmp/den_$p.json" > /dev/null
  printf '| %s | %.3f | %.3f | %.0f | %.3f | %.0f | %.2f | %.3f | %.0f |\n' "$p" \
    "$(json "$tmp/seg_$p.json" "d['all']['mean_iou']")" "$(json "$tmp/seg_$p.json" "d['all']['pixel_accuracy']")" "$seg_s" \
    "$(json "$tmp/anneal_$p.json" "d['images']['accuracy']")" "$prop_s" \
    "$(json "$tmp/den_$p.json" "d['psnr_db']")" "$(json "$tmp/den_$p.json" "d['ssim']")" "$vid_s" >> "$tmp/report.md"
done
cp "$tmp/report.md" "$RESULTS/precision.md"
cat "$RESULTS/precision.md"
