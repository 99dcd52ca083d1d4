#!/usr/bin/env bash
# Does this build train and detect as an older one did? An engine change that only reorders
# floating-point work moves a trained network as much as running on another thread count does, and
# no more. This puts the same starting weights into both builds (the ecology detector) and
# measures, on the same crops: the detections of one trained model in both builds, and how far
# apart one step and 200 steps of training leave the two builds, beside how far apart they leave
# the older build on 1 and 2 threads. Writes bench/results/same_training.md (about 4 minutes).
#   BEFORE=/path/to/old/tessera [BEFORE_NAME="commit abc1234"] bench/same_training.sh
set -euo pipefail
cd "$(dirname "$0")/.."
AFTER=${AFTER:-$PWD/build/apps/tessera}
BEFORE=${BEFORE:?set BEFORE to an older build of tessera}
RESULTS=${RESULTS:-bench/results}
BEFORE_NAME=${BEFORE_NAME:-$BEFORE}
for b in "$BEFORE" "$AFTER"; do [[ -x $b ]] || { echo "error: $b not found" >&2; exit 1; }; done
weights() { /usr/bin/python3 bench/same_training.py "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$AFTER" ecology synth --output "$tmp/photos" --photos 8 --size 768,576 --insects 40 --insect-size 14,30 --seed 2 > /dev/null
# train BUILD THREADS OUT STEPS [FLAGS]: the default detector on 128 px crops of the 8 photos
train() {
  local build=$1 threads=$2 out=$3 steps=$4
  shift 4
  OMP_NUM_THREADS=$threads "$build" ecology train --images "$tmp/photos" --annotations "$tmp/photos/annotations.json" \
    --output "$out" --steps "$steps" --patch 128 --batch 8 --calibration-photos 4 --checkpoint-minutes 0 "$@" > /dev/null
}
# Starting weights: one step at a learning rate of 1e-30 writes them in each build's naming.
train "$BEFORE" 1 "$tmp/start_before.h5" 1 --optimizer sgd --lr 1e-30
train "$AFTER" 1 "$tmp/template.h5" 1 --optimizer sgd --lr 1e-30
weights adopt "$tmp/start_before.h5" "$tmp/template.h5" "$tmp/start.h5"
# run NAME STEPS FLAGS...: both builds on 1 thread and the older one on 2, from the same start
run() {
  local name=$1 steps=$2
  shift 2
  train "$AFTER" 1 "$tmp/${name}_after.h5" "$steps" --init-from "$tmp/start.h5" "$@" &
  train "$BEFORE" 1 "$tmp/${name}_before_raw.h5" "$steps" --init-from "$tmp/start_before.h5" "$@"
  wait
  train "$BEFORE" 2 "$tmp/${name}_before2_raw.h5" "$steps" --init-from "$tmp/start_before.h5" "$@"
  for b in before before2; do
    weights adopt "$tmp/${name}_${b}_raw.h5" "$tmp/${name}_after.h5" "$tmp/${name}_$b.h5"
  done
  echo "| $2 | $(weights apart "$tmp/${name}_after.h5" "$tmp/${name}_before.h5" "$tmp/start.h5") | $(weights apart "$tmp/${name}_before2.h5" "$tmp/${name}_before.h5" "$tmp/start.h5") |"
}
rows=$(run one 1 --optimizer sgd --lr 1e-3)$'\n'$(run many 200 --optimizer adam)
# Inference: the older build's 200-step detector in both builds.
OMP_NUM_THREADS=1 "$BEFORE" ecology detect --model "$tmp/many_before_raw.h5" --images "$tmp/photos" --output "$tmp/found_before" > /dev/null
OMP_NUM_THREADS=1 "$AFTER" ecology detect --model "$tmp/many_before.h5" --images "$tmp/photos" --output "$tmp/found_after" > /dev/null
same=$(weights detections "$tmp/found_after/detections.json" "$tmp/found_before/detections.json")
mkdir -p "$RESULTS"
{
  echo "# Same training in two builds"
  echo
  echo "\`BEFORE=<older build> bench/same_training.sh\` on $(nproc) cores; before: $BEFORE_NAME, after: this build."
  echo "The ecology detector (channels 16-128, 8 crops of 128 px per step) from the same starting weights"
  echo "in both builds, on 8 generated photos. A distance is |w_a - w_b| / |w_a - w_start| over every"
  echo "weight but the convolution biases that a batch norm cancels."
  echo
  echo "**Inference** (the older build's 200-step detector, run by both): $same."
  echo
  echo "| training | after vs before, 1 thread each | before on 2 threads vs 1 (rounding alone) |"
  echo "|---|---|---|"
  echo "$rows" | sed 's/^| sgd |/| one SGD step (lr 1e-3) |/; s/^| adam |/| 200 Adam steps |/'
  echo
  echo "When the first column is no larger than the second, the builds differ by the order of their"
  echo "floating-point sums and nothing else: training amplifies such rounding until two runs are"
  echo "different networks (the 200-step row), so a quality figure compares builds only over seeds."
} > "$tmp/report.md"
mv "$tmp/report.md" "$RESULTS/same_training.md"
cat "$RESULTS/same_training.md"
