#!/usr/bin/env bash
# A specimen's processing condition from its micrographs, on the shared UHCS set, every split
# by specimen (4 folds stratified by class, bench/materials/property_folds.py): each fold's
# specimens held out in turn, `materials train-property` (defaults) on the rest, `predict` on
# the held-out images, and `evaluate` of all held-out predictions per specimen; the network and
# the texture-forest baseline (`--method forest`) on the same folds.
#   temperature     anneal temperature, 800 vs 970 C, from the spheroidite micrographs (ROC-AUC)
#   time            log10 anneal time (h) from the spheroidite micrographs (R2 per specimen)
#   microstructure  the dominant microconstituent, 6 classes, all 507 images (macro-F1)
# Writes bench/results/materials_property.md.
#   bench/materials_property.sh            (about 30 minutes on 2 cores)
#   TASKS="temperature" bench/materials_property.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=${RESULTS:-bench/results}
UHCS=$(realpath ../shared/data/materials/uhcs)
TASKS=${TASKS:-temperature time microstructure}
METHODS=${METHODS:-network forest}  # forest: the texture baseline
TRAIN_ARGS=${TRAIN_ARGS:-}          # more train-property options, for experiments
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -d $UHCS ]] || { echo "error: ../shared/data/materials/uhcs not found" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
python3 bench/materials/property_folds.py "$UHCS/metadata.csv" "$tmp"

declare -A TARGET=([temperature]=anneal_temperature_C [time]=log10_anneal_time_h
                   [microstructure]=primary_microconstituent)
report=$tmp/report.md
for task in $TASKS; do
  dir=$tmp/$task
  target=${TARGET[$task]}
  for fold in 0 1 2 3; do
    # Training table: every fold but this one; test folder: this fold's images.
    { head -1 "$dir/table.csv"; for k in 0 1 2 3; do
        [[ $k == "$fold" ]] || tail -n +2 "$dir/fold$k.csv"; done; } >"$dir/train$fold.csv"
    mkdir -p "$dir/test$fold"
    python3 -c 'import csv,sys; [print(r["file"]) for r in csv.DictReader(open(sys.argv[1]))]' \
      "$dir/fold$fold.csv" | while read -r f; do ln -sf "$UHCS/$f" "$dir/test$fold/"; done
  done
  for method in $METHODS; do
    run=$dir/$method
    mkdir -p "$run"
    : >"$run/timings.txt"
    for fold in 0 1 2 3; do
      start=$(date +%s)
      "$TESSERA" materials train-property --method "$method" --images "$UHCS/images" \
        --table "$dir/train$fold.csv" --target "$target" --group sample_key \
        --output "$run/model$fold.h5" --seed "$fold" $TRAIN_ARGS | tail -1 >>"$run/timings.txt"
      trained=$(date +%s)
      "$TESSERA" materials predict --model "$run/model$fold.h5" --images "$dir/test$fold" \
        --metadata "$dir/table.csv" --group sample_key --output "$run/pred$fold" >/dev/null
      done_at=$(date +%s)
      echo "fold $fold: trained in $((trained - start)) s, predicted $(ls "$dir/test$fold" | wc -l) images in $((done_at - trained)) s" |
        tee -a "$run/timings.txt"
    done
    { head -1 "$run/pred0/predictions.csv"
      for k in 0 1 2 3; do tail -n +2 "$run/pred$k/predictions.csv"; done; } >"$run/predictions.csv"
    "$TESSERA" materials evaluate --prediction "$run/predictions.csv" --truth "$dir/table.csv" \
      --target "$target" --group sample_key --output "$run/scores.json" >/dev/null
    { echo "### $task: $method"; echo; tail -n +3 "$run/scores.md"; echo; echo '```'
      cat "$run/timings.txt"; echo '```'; echo; } >>"$report"
    evidence=$(ls "$run/pred0" | grep _evidence.png | head -1 || true)
    [[ -z $evidence ]] || cp "$run/pred0/$evidence" "$RESULTS/materials_evidence_$task.png"
  done
done

{
  echo "# Materials: processing conditions from micrographs (UHCS, folds by specimen)"
  echo
  echo "\`bench/materials_property.sh\`: \`materials train-property\` with its defaults on 3 of 4"
  echo "specimen folds, \`predict\` on the fourth, each fold in turn; scored by \`materials evaluate\`"
  echo "per specimen (the mean of its images' predictions) and per image. References on this data"
  echo "(specimen-split): the texture baseline about 0.83 ROC-AUC for the anneal temperature, the"
  echo "best published macro-F1 0.555 for the dominant microconstituent. \`network\` is the CNN"
  echo "of score maps, \`forest\` the texture baseline (\`--method forest\`), on the same folds."
  echo
  cat "$report"
} >"$RESULTS/materials_property.md"
cat "$RESULTS/materials_property.md"
