#!/usr/bin/env bash
# Hydrology on real data: (1) the Salmon River (../shared/data, 1954-2010) trained on 1954-1990,
# validated on 1991-2000 and scored on 2001-2010, in simulation mode (against calibrated GR4J
# with its snow routine) and in forecasting mode (against persistence, 1-3 days ahead), with a
# forecast hydrograph; (2) the four CAMELS-US basins of the extract, forecasting 1-2 days.
# Writes bench/results/hydrology.md and hydrology_forecast.png.
#   bench/hydrology.sh      (about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=bench/results
CAMELS=$(realpath ../shared/data/hydrology/camels_us)
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (Debian package 'time')" >&2; exit 1; }
[[ -d $CAMELS ]] || { echo "error: ../shared/data/hydrology not found" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

timed() {  # runs the command, its output to $tmp/out; prints "seconds peak_kib"
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  cat "$tmp/time"
}

for mode in simulation forecasting; do
  read -r s kib < <(timed "$TESSERA" hydrology train --config bench/hydrology/salmon_$mode.yaml \
    --output "$tmp/salmon_$mode.h5")
  cp "$tmp/out" "$tmp/train_$mode.log"
  echo "$s $kib" >"$tmp/train_$mode.time"
  "$TESSERA" hydrology evaluate --model "$tmp/salmon_$mode.h5" --output "$tmp/salmon_$mode.json" \
    --markdown "$tmp/salmon_$mode.md" >/dev/null
done
read -r f_s f_kib < <(timed "$TESSERA" hydrology forecast --model "$tmp/salmon_forecasting.h5" \
  --as-of 2007-05-20 --output "$tmp/forecast.csv" --plot "$RESULTS/hydrology_forecast.png")

for basin in 01022500 01547700 02064000 03015500; do
  lat=$(head -1 "$CAMELS"/basin_mean_forcing/daymet/${basin}_*.txt | tr -d ' ')
  sed -e "s|@BASIN@|$basin|g" -e "s|@LATITUDE@|$lat|" -e "s|@CAMELS@|$CAMELS|" \
    bench/hydrology/camels.yaml.in >"$tmp/camels_$basin.yaml"
  "$TESSERA" hydrology train --config "$tmp/camels_$basin.yaml" --output "$tmp/camels_$basin.h5" --quiet >/dev/null
  "$TESSERA" hydrology evaluate --model "$tmp/camels_$basin.h5" --output "$tmp/camels_$basin.json" >/dev/null
done

{
  echo "# Hydrology (\`bench/hydrology.sh\`)"
  echo
  echo "Machine: $(nproc) threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo
  echo "## Salmon River (08KC001), test decade 2001-2010"
  echo
  echo "Trained on 1954-1990, weights kept from the epoch with the best validation NSE (1991-2000)."
  echo "GR4J (behind CemaNeige, one band) calibrated on 1954-1990 by DDS, 4000 runs."
  for mode in simulation forecasting; do
    read -r s kib <"$tmp/train_$mode.time"
    echo
    echo "### ${mode^}"
    echo
    echo "Training: $(grep -c '  epoch' "$tmp/train_$mode.log") epochs, ${s} s, peak RSS $((kib / 1024)) MiB; $(grep '^GR4J' "$tmp/train_$mode.log"); $(grep '^model' "$tmp/train_$mode.log" | sed 's/ -> .*//')."
    echo
    tail -n +3 "$tmp/salmon_$mode.md"
  done
  echo
  echo "Forecast as of 2007-05-20 (spring melt), ${f_s} s, peak RSS $((f_kib / 1024)) MiB: [hydrograph](hydrology_forecast.png)"
  echo
  echo '```'
  cat "$tmp/forecast.csv"
  echo '```'
  echo
  echo "## CAMELS-US extract: forecasting, test 2002-07-01 to 2002-12-31"
  echo
  echo "Trained on 2000-2001, validated on 2002-01 to 2002-06 (the streamflow ends in 2002). NSE per method:"
  echo
  echo "| basin | lead (days) | network | GR4J | persistence | climatology |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for basin in 01022500 01547700 02064000 03015500; do
    python3 - "$tmp/camels_$basin.json" "$basin" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
for lead in e["leads"]:
    m = lead["methods"]
    cell = lambda k: "%.3f" % m[k]["nse"] if k in m and m[k]["nse"] is not None else "-"
    print(f"| {sys.argv[2]} | {lead['lead_days']} | {cell('network')} | {cell('gr4j')} | {cell('persistence')} | {cell('climatology')} |")
PY
  done
} >"$RESULTS/hydrology.md"
cat "$RESULTS/hydrology.md"
