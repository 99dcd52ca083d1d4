#!/usr/bin/env bash
# Ecology: (1) quality on real data: the centre-heatmap detector against the threshold +
# connected-components baseline on the 60 sticky-trap photos of ../shared/data (every fifth
# photo in name order held out: trained on 48, scored on 12; each method's settings chosen on
# the 48); (2) speed and peak memory of `ecology detect` on the held-out 2048 x 1536 photos,
# tiled within two memory budgets and whole, each run its own process. Writes
# bench/results/ecology.md and ecology_detections.jpg.
#   bench/ecology.sh           (about 20 minutes on 2 cores; STEPS=... to train longer)
#   SEED=1 TESSERA=/path/to/other/tessera RESULTS=/tmp/eco bench/ecology.sh   (another seed or build)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-build/apps/tessera}
RESULTS=${RESULTS:-bench/results}
DATA=${DATA:-../shared/data/ecology/sticky_traps}
STEPS=${STEPS:-3000}
SEED=${SEED:-0}
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (Debian package 'time')" >&2; exit 1; }
[[ -f $DATA/_annotations.coco.json ]] || { echo "error: $DATA/_annotations.coco.json not found" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# The split: photos sorted by file name, every fifth held out; the held-out photos are also
# linked into a folder of their own for the speed runs.
python3 - "$DATA" "$tmp" <<'PY'
import json, os, sys
data, tmp = sys.argv[1], sys.argv[2]
d = json.load(open(os.path.join(data, "_annotations.coco.json")))
images = sorted(d["images"], key=lambda i: i["file_name"])
os.makedirs(os.path.join(tmp, "test_photos"))
for name, keep in (("train", lambda k: k % 5 != 4), ("test", lambda k: k % 5 == 4)):
    part = [im for k, im in enumerate(images) if keep(k)]
    ids = {im["id"] for im in part}
    out = dict(d, images=part, annotations=[a for a in d["annotations"] if a["image_id"] in ids])
    json.dump(out, open(os.path.join(tmp, name + ".json"), "w"))
    with open(os.path.join(tmp, name + ".count"), "w") as f:
        f.write(f"{len(part)} {len(out['annotations'])}\n")
    if name == "test":
        for im in part:
            os.symlink(os.path.abspath(os.path.join(data, im["file_name"])),
                       os.path.join(tmp, "test_photos", im["file_name"]))
PY

timed() {  # prints "seconds peak_kib" of the command
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  cat "$tmp/time"
}
read -r t_s t_kib < <(timed "$TESSERA" ecology train --images "$DATA" --annotations "$tmp/train.json" \
  --output "$tmp/insects.h5" --steps "$STEPS" --patch 128 --calibration-photos 8 --seed "$SEED")
grep "score threshold" "$tmp/out"
"$TESSERA" ecology evaluate --images "$DATA" --annotations "$tmp/test.json" --model "$tmp/insects.h5" \
  --output "$tmp/detector.json" >/dev/null
"$TESSERA" bench ecology-baseline --images "$DATA" --train "$tmp/train.json" --test "$tmp/test.json" \
  --output "$tmp/baseline.json" >/dev/null
read -r d1_s d1_kib < <(timed "$TESSERA" ecology detect --model "$tmp/insects.h5" --images "$tmp/test_photos" \
  --output "$tmp/det1" --max-memory 1G --no-annotated)
read -r d2_s d2_kib < <(timed "$TESSERA" ecology detect --model "$tmp/insects.h5" --images "$tmp/test_photos" \
  --output "$tmp/det2" --max-memory 128M --no-annotated)
read -r d3_s d3_kib < <(timed "$TESSERA" ecology detect --model "$tmp/insects.h5" --images "$tmp/test_photos" \
  --output "$tmp/det3" --whole --no-annotated)
"$TESSERA" ecology detect --model "$tmp/insects.h5" --images "$tmp/test_photos" --output "$tmp/drawn" >/dev/null
first=$(find "$tmp/drawn/annotated" -name '*.jpg' | sort | head -1)
[[ -n $first ]] || { echo "error: detect drew no photos" >&2; exit 1; }
cp "$first" "$RESULTS/ecology_detections.jpg"
photos=$(ls "$tmp/test_photos" | wc -l)
read -r train_photos train_insects <"$tmp/train.count"
read -r test_photos test_insects <"$tmp/test.count"
size=$(python3 -c "import json; i=json.load(open('$tmp/test.json'))['images'][0]; print(f\"{i['width']} x {i['height']}\")")

row() {  # method json -> a table row
  python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]} | {s['map50']:.3f} | {s['map50_95']:.3f} | {s['precision']:.3f} | "
      f"{s['recall']:.3f} | {s['count_relative_error']:.3f} | {s['count_mae']:.1f} | {s['score_threshold']:.2f} |")
PY
}
{
  echo "# Ecology (\`bench/ecology.sh\`)"
  echo
  echo "Machine: $(nproc) threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo
  echo "## Real data: sticky-trap photos (../shared/data/ecology/sticky_traps)"
  echo
  echo "Trained on $train_photos photos ($train_insects insects), scored on the $test_photos held out (every fifth"
  echo "by file name, $test_insects insects). Detector: centre-heatmap U-Net (16-128 channels), $STEPS steps of 8 crops of"
  echo "128 px, $(awk -v s="$t_s" 'BEGIN { printf "%.0f", s / 60 }') min of training (peak RSS"
  echo "$(awk -v k="$t_kib" 'BEGIN { printf "%.0f", k / 1024 }') MiB). Counts, precision and recall at each method's score threshold,"
  echo "chosen on the training photos; the baseline's minimum area too ($(python3 -c "import json; print(json.load(open('$tmp/baseline.json'))['min_area'])") px)."
  echo
  echo "| method | mAP@0.5 | mAP@0.5:0.95 | precision | recall | count relative error | count MAE per photo | score threshold |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  row "centre-heatmap detector" "$tmp/detector.json"
  row "threshold + connected components" "$tmp/baseline.json"
  echo
  echo "A held-out photo with its detections: [ecology_detections.jpg](ecology_detections.jpg)."
  echo
  echo "## Speed and memory: \`ecology detect\` on the $photos held-out $size photos"
  echo
  echo "Each run is one process: model load, JPEG decoding, the network, decoding and the"
  echo "detection files."
  echo
  echo "| run | seconds | photos per second | peak RSS (MiB) |"
  echo "| --- | --- | --- | --- |"
  awk -v s="$d1_s" -v k="$d1_kib" -v n="$photos" 'BEGIN { printf "| tiled, --max-memory 1G | %.1f | %.3f | %.0f |\n", s, n / s, k / 1024 }'
  awk -v s="$d2_s" -v k="$d2_kib" -v n="$photos" 'BEGIN { printf "| tiled, --max-memory 128M | %.1f | %.3f | %.0f |\n", s, n / s, k / 1024 }'
  awk -v s="$d3_s" -v k="$d3_kib" -v n="$photos" 'BEGIN { printf "| whole photo (--whole) | %.1f | %.3f | %.0f |\n", s, n / s, k / 1024 }'
} >"$RESULTS/ecology.md"
cat "$RESULTS/ecology.md"
