#!/usr/bin/env bash
# K-FAC against SGD (momentum 0.9) and Adam: the same U-Net trained on membrane segmentation of
# the ISBI 2012 stack (../shared/data) until its validation loss reaches 0.23; each optimizer at
# its default learning rate, then SGD at higher rates too, so K-FAC is not compared with an
# untuned SGD only. Writes bench/results/kfac.md and kfac.png.
#   bench/kfac.sh              (about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=build/apps/tessera
RESULTS=bench/results
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
DATA=${DATA:-../shared/data/connectomics}
stack=(--raw "$DATA/isbi2012_train_volume.tif" --labels "$DATA/isbi2012_train_labels.tif")

"$TESSERA" bench kfac "${stack[@]}" --markdown "$tmp/main.md" --plot "$RESULTS/kfac.png"
for lr in 0.1 0.2; do
  "$TESSERA" bench kfac "${stack[@]}" --optimizers sgd --lr sgd=$lr --markdown "$tmp/sgd_$lr.md"
done
{
  echo "# K-FAC against SGD and Adam (\`bench/kfac.sh\`)"
  echo
  echo "Machine: $(nproc) threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Training time excludes validation. Curves: [kfac.png](kfac.png)."
  echo
  cat "$tmp/main.md"
  for lr in 0.1 0.2; do grep '^| sgd' "$tmp/sgd_$lr.md"; done
} >"$RESULTS/kfac.md"
cat "$RESULTS/kfac.md"
