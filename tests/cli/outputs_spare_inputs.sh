#!/usr/bin/env bash
# Every command, with an output that names one of its inputs (the same file, the same HDF5 file
# under another dataset, a link to it, a folder that holds it, a folder inside an input folder),
# must refuse with one "error:" line and a non-zero exit, and leave every file byte-identical:
# nothing changed, nothing added. Generators must not replace files they did not make.
#
#   outputs_spare_inputs.sh path/to/tessera work-folder
set -u
T=$1
W=$2
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

# Small real inputs for the three applications.
quiet() { "$@" >/dev/null 2>"$W/setup.err" || { cat "$W/setup.err"; echo "setup failed: $*"; exit 1; }; }
mkdir -p cx vol
quiet "$T" connectomics synth --raw cx/em.h5:raw --labels cx/ids.h5:ids --size 8,32,32 --seed 1
quiet "$T" model init --arch unet3d --channels 4,8 --output m3.h5
cp m3.h5 cx/aff_model.h5
quiet "$T" infer --model m3.h5 --input cx/em.h5:raw --output cx/aff.h5:aff --quiet
ln -s em.h5 cx/link.h5
cp cx/em.h5 vol/em.h5
quiet "$T" hydrology synth --output hy --years 6 --seed 1
sed -i 's/ensemble: [0-9]*/ensemble: 1/; s/epochs: [0-9]*/epochs: 1/' hy/catchment.yaml
quiet "$T" hydrology train --config hy/catchment.yaml --output hy/m.h5 --gr4j-runs 20
quiet "$T" ecology synth --output ec/photos --photos 2 --size 128,96 --insects 3 --seed 1
cp m3.h5 ec/m.h5  # detect checks its paths before it reads the model

snapshot() { find . -path ./setup.err -prune -o -print0 | sort -z | xargs -0 sha256sum 2>/dev/null; find . | sort; }
failures=0
refused() {
  local before after err
  before=$(snapshot)
  err=$("$T" "$@" 2>&1 >/dev/null)
  local rc=$?
  after=$(snapshot)
  if [ $rc -eq 0 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [[ "$err" != error:* ]]; then
    echo "FAIL (exit $rc, expected one error line): tessera $*"; printf '%s\n' "$err" | head -3
    failures=$((failures + 1))
  elif [ "$before" != "$after" ]; then
    echo "FAIL (files changed): tessera $*"; diff <(echo "$before") <(echo "$after") | head -5
    failures=$((failures + 1))
  else
    echo "ok: tessera $* -> $err"
  fi
}

# connectomics
refused connectomics train --raw cx/em.h5:raw --labels cx/ids.h5:ids --output cx/em.h5 --steps 1
refused connectomics train --raw cx/em.h5:raw --labels cx/ids.h5:ids --output cx/ids.h5 --steps 1
refused connectomics train --raw cx/em.h5:raw --labels cx/ids.h5:ids --output cx/link.h5 --steps 1
refused connectomics predict --model cx/aff_model.h5 --raw cx/em.h5:raw --output cx/em.h5:affinities
refused connectomics predict --model cx/aff_model.h5 --raw cx/em.h5:raw --output cx/aff_model.h5:x
refused connectomics predict --model cx/aff_model.h5 --raw vol/em.h5:raw --output vol/
refused connectomics segment --affinities cx/aff.h5:aff --output cx/aff.h5:seg
refused connectomics segment --affinities cx/aff.h5:aff --output cx/seg.h5:seg --raw cx/em.h5:raw --preview cx/em.h5
refused connectomics run --model cx/aff_model.h5 --raw cx/em.h5:raw --output cx/em.h5:seg
refused connectomics run --model cx/aff_model.h5 --raw cx/em.h5:raw --output cx/seg.h5:seg --affinities cx/em.h5:aff
refused connectomics run --model cx/aff_model.h5 --raw cx/em.h5:raw --output cx/seg.h5:seg --affinities cx/seg.h5:aff
refused connectomics evaluate --segmentation cx/ids.h5:ids --truth cx/ids.h5:ids --output cx/ids.h5
refused connectomics synth --raw cx/aff.h5:raw --labels cx/new_ids.h5:ids --size 4,16,16
refused infer --model m3.h5 --input vol/em.h5:raw --output vol/
refused infer --model m3.h5 --input vol/em.h5:raw --output vol/em.h5:pred
refused infer --model m3.h5 --input vol/em.h5:raw --output m3.h5:pred
refused infer --model m3.h5 --input vol/em.h5:raw --output ./
# hydrology
refused hydrology train --config hy/catchment.yaml --output hy/catchment.csv
refused hydrology train --config hy/catchment.yaml --output hy/catchment.yaml
refused hydrology evaluate --model hy/m.h5 --output hy/m.h5
refused hydrology evaluate --model hy/m.h5 --output hy/scores.json --markdown hy/catchment.csv
refused hydrology forecast --model hy/m.h5 --as-of latest --output hy/catchment.csv
refused hydrology forecast --model hy/m.h5 --as-of latest --output hy/f.csv --plot hy/m.h5
echo "# my notes" >>hy/catchment.yaml
refused hydrology synth --output hy --years 6
# ecology
refused ecology train --images ec/photos --annotations ec/photos/annotations.json --output ec/photos/annotations.json --steps 1
refused ecology detect --model ec/m.h5 --images ec/photos --output ec
refused ecology detect --model ec/m.h5 --images ec/photos --output ec/photos/found
refused ecology detect --model ec/m.h5 --images ec/photos --output ec/m.h5
refused ecology count --model ec/m.h5 --images ec/photos --output ec/photos
refused ecology evaluate --model ec/m.h5 --images ec/photos --annotations ec/photos/annotations.json --output ec/photos/annotations.json
echo " " >>ec/photos/annotations.json
refused ecology synth --output ec/photos --photos 2 --size 128,96

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
