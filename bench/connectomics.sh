#!/usr/bin/env bash
# Connectomics: (1) quality on real data: the learned pipeline as a user runs it (`connectomics
# train` and `run` with their defaults) against the classical baseline on the FIB-SEM volume of
# ../shared/data: train sees only a file of its first 35 slices (and chooses its segmentation
# settings on the last of those), both are scored on the last 15; (2) speed and memory of
# predict and segment on a generated 256^3 volume, each in its own process so its peak RSS is
# its own. Writes bench/results/connectomics.md and connectomics_fibsem.png.
#   bench/connectomics.sh      (about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-build/apps/tessera}
RESULTS=bench/results
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (Debian package 'time')" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

FIBSEM=${FIBSEM:-../shared/data/connectomics/fibsem_train.h5}
volume=(--raw "$FIBSEM:volumes/raw" --labels "$FIBSEM:volumes/labels/neuron_ids" --test-slices 15)
"$TESSERA" bench connectomics "${volume[@]}" --split-to "$tmp"
start=$(date +%s)
"$TESSERA" connectomics train --raw "$tmp/train.h5:raw" --labels "$tmp/train_ids.h5:ids" \
  --output "$tmp/model.h5" | tee "$tmp/train.log"
train_s=$(($(date +%s) - start))
"$TESSERA" connectomics run --model "$tmp/model.h5" --raw "$tmp/test.h5:raw" --output "$tmp/seg.h5:seg" \
  --preview "$RESULTS/connectomics_fibsem.png" --quiet | tee "$tmp/run.log"
"$TESSERA" bench connectomics "${volume[@]}" --segmentation "$tmp/seg.h5:seg" --markdown "$tmp/quality.md"

# A model for the speed runs (its weights do not change the speed).
"$TESSERA" connectomics synth --raw "$tmp/small_raw.h5:raw" --labels "$tmp/small_ids.h5:ids" --size 32,96,96 --seed 1
"$TESSERA" connectomics train --raw "$tmp/small_raw.h5:raw" --labels "$tmp/small_ids.h5:ids" --output "$tmp/m.h5" --steps 300
"$TESSERA" connectomics synth --raw "$tmp/big_raw.h5:raw" --labels "$tmp/big_ids.h5:ids" --size 256,256,256 --seed 3
timed() {  # prints "seconds peak_kib" of the command
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  cat "$tmp/time"
}
read -r p_s p_kib < <(timed "$TESSERA" connectomics predict --model "$tmp/m.h5" --raw "$tmp/big_raw.h5:raw" \
  --output "$tmp/aff.h5:aff" --max-memory 1G --quiet)
read -r s_s s_kib < <(timed "$TESSERA" connectomics segment --affinities "$tmp/aff.h5:aff" \
  --output "$tmp/seg.h5:seg" --threshold 0.5 --segment-memory 1G)
read -r q_s q_kib < <(timed "$TESSERA" connectomics segment --affinities "$tmp/aff.h5:aff" \
  --output "$tmp/seg_small.h5:seg" --threshold 0.5 --segment-memory 256M)
"$TESSERA" connectomics evaluate --segmentation "$tmp/seg.h5:seg" --truth "$tmp/big_ids.h5:ids" --output "$tmp/big_scores.json" >/dev/null
voxels=$((256 * 256 * 256))
{
  echo "# Connectomics (\`bench/connectomics.sh\`)"
  echo
  echo "Machine: $(nproc) threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo
  echo "## Real data: FIB-SEM volume ($FIBSEM)"
  echo
  echo "Volume [50,100,200] (z,y,x), split along z: \`connectomics train\` with its defaults sees only"
  echo "a file of slices 0..34 (it trains on 0..27 and chooses its segmentation settings on 28..34);"
  echo "\`connectomics run\` with its defaults segments slices 35..49, which are scored. The baseline's"
  echo "threshold is chosen on slices 0..34. Nothing is chosen on the scored slices."
  echo "Training took ${train_s} s (wall clock, $(nproc) threads shared with other work). Lower scores are better."
  echo
  cat "$tmp/quality.md"
  echo
  echo "train: \`$(grep -m1 '^training' "$tmp/train.log")\`"
  echo
  echo "train: \`$(grep -m1 '^segmentation settings' "$tmp/train.log")\`"
  echo
  echo "run: \`$(grep -m1 '^settings' "$tmp/run.log")\`"
  echo
  echo "Scored segmentation: [connectomics_fibsem.png](connectomics_fibsem.png)."
  echo
  echo "## Speed and memory on a generated 256^3 volume"
  echo
  echo "| stage | seconds | voxels per second | peak RSS (MiB) |"
  echo "| --- | --- | --- | --- |"
  awk -v s="$p_s" -v k="$p_kib" -v n=$voxels 'BEGIN { printf "| predict (tiled, --max-memory 1G, 8 affinities) | %.1f | %.0f | %.0f |\n", s, n / s, k / 1024 }'
  awk -v s="$s_s" -v k="$s_kib" -v n=$voxels 'BEGIN { printf "| segment (slabs, --segment-memory 1G) | %.1f | %.0f | %.0f |\n", s, n / s, k / 1024 }'
  awk -v s="$q_s" -v k="$q_kib" -v n=$voxels 'BEGIN { printf "| segment (slabs, --segment-memory 256M) | %.1f | %.0f | %.0f |\n", s, n / s, k / 1024 }'
  echo
  echo "Scores of that segmentation (model trained 300 steps on another generated volume): \`$(tr -d '\n ' <"$tmp/big_scores.json")\`"
} >"$RESULTS/connectomics.md"
cat "$RESULTS/connectomics.md"
