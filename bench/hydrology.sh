#!/usr/bin/env bash
# Hydrology on real data, as a dam operator with a short record would run it: (1) the Salmon
# River (../shared/data, 1954-2010) trained on ten years only (1981-1990), validated on
# 1991-2000 (where the blend with GR4J and the band's calibration are chosen) and scored on
# 2001-2010: in simulation mode against GR4J behind CemaNeige, and in forecasting mode (1-3 days)
# without weather forecasts, with perfect forecasts (the observed weather: the upper bound) and
# with noisy forecasts (observed weather with an error growing with lead), against persistence
# and GR4J fed the same forecasts; with a forecast hydrograph and its PI-XML export. (2) The
# four CAMELS-US basins of the extract, forecasting 1-2 days, a model per basin.
# Writes bench/results/hydrology.md, hydrology_forecast.png and hydrology_reliability.png.
#   bench/hydrology.sh      (about 30 minutes on 2 cores)
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

# The runs: the two bench configs, and the forecasting one with forecasts added.
cp bench/hydrology/salmon_simulation.yaml "$tmp/simulation.yaml"
cp bench/hydrology/salmon_forecasting.yaml "$tmp/forecasting.yaml"
data=$(realpath ../shared/data/hydrology/salmon_river_08KC001_meteo_daily.nc)
sed -i "s|netcdf: .*|netcdf: $data|" "$tmp/simulation.yaml" "$tmp/forecasting.yaml"
for kind in perfect noisy; do
  cp "$tmp/forecasting.yaml" "$tmp/$kind.yaml"
  echo "forecasts: {variables: [rain, snow, tmin, tmax], hindcast: $kind}" >>"$tmp/$kind.yaml"
done
runs="simulation forecasting perfect noisy"
for run in $runs; do
  read -r s kib < <(timed "$TESSERA" hydrology train --config "$tmp/$run.yaml" --output "$tmp/$run.h5")
  cp "$tmp/out" "$tmp/train_$run.log"
  echo "$s $kib" >"$tmp/train_$run.time"
  "$TESSERA" hydrology evaluate --model "$tmp/$run.h5" --output "$tmp/$run.json" \
    --markdown "$tmp/$run.md" --reliability "$tmp/${run}_reliability.png" >/dev/null
done
cp "$tmp/forecasting_reliability.png" "$RESULTS/hydrology_reliability.png"
read -r f_s f_kib < <(timed "$TESSERA" hydrology forecast --model "$tmp/forecasting.h5" \
  --as-of 2007-05-20 --output "$tmp/forecast.csv" --plot "$RESULTS/hydrology_forecast.png" \
  --pi-xml "$tmp/forecast.xml" --location 08KC001)

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
  echo "## Salmon River (08KC001), trained on ten years (1981-1990), test decade 2001-2010"
  echo
  echo "Validation 1991-2000: the weights of the best epoch, the blend of network and GR4J and the"
  echo "shift of each quantile are chosen there. GR4J behind CemaNeige (one band) calibrated on"
  echo "1981-1990 by DDS, 4000 runs. Each section below is \`tessera hydrology evaluate\` as printed."
  python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
runs = {r: json.load(open(f"{tmp}/{r}.json")) for r in ["forecasting", "perfect", "noisy"]}
print("\n### Forecasting summary (test decade)\n")
print("| lead (days) | no forecasts | perfect forecasts (upper bound) | noisy forecasts | GR4J (no forecasts) | GR4J (perfect) | persistence | 80% band coverage (none / perfect / noisy) | CRPS (none / perfect / noisy) | members' CRPS (none) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for i, lead in enumerate(runs["forecasting"]["leads"]):
    nse = lambda r, m="network": runs[r]["leads"][i]["methods"][m]["nse"]
    cov = " / ".join("%.2f" % runs[r]["leads"][i]["band_coverage"]["80"] for r in runs)
    crps = " / ".join("%.3f" % runs[r]["leads"][i]["crps"] for r in runs)
    print(f"| {lead['lead_days']} | {nse('forecasting'):.3f} | {nse('perfect'):.3f} | {nse('noisy'):.3f} | {nse('forecasting','gr4j'):.3f} | {nse('perfect','gr4j'):.3f} | {nse('forecasting','persistence'):.3f} | {cov} | {crps} | {lead['crps_members']:.3f} |")
PY
  for run in $runs; do
    read -r s kib <"$tmp/train_$run.time"
    echo
    case $run in
      simulation) echo "### Simulation" ;;
      forecasting) echo "### Forecasting, no weather forecasts" ;;
      perfect) echo "### Forecasting with perfect forecasts of rain, snow, tmin, tmax (upper bound)" ;;
      noisy) echo "### Forecasting with noisy forecasts (30% rain error, 1 degC, growing with sqrt(lead))" ;;
    esac
    echo
    echo "Training: $(grep -c '  epoch' "$tmp/train_$run.log") epochs, ${s} s, peak RSS $((kib / 1024)) MiB; $(grep '^GR4J' "$tmp/train_$run.log"); $(grep '^chosen' "$tmp/train_$run.log")."
    echo
    tail -n +3 "$tmp/$run.md"
  done
  echo
  echo "Reliability of the forecasting run's quantiles on the test decade: [diagram](hydrology_reliability.png)"
  echo
  echo "Forecast as of 2007-05-20 (spring melt), ${f_s} s, peak RSS $((f_kib / 1024)) MiB: [hydrograph](hydrology_forecast.png); PI-XML export: $(grep -c '<series>' "$tmp/forecast.xml") series."
  echo
  echo '```'
  cat "$tmp/forecast.csv"
  echo '```'
  echo
  echo "## CAMELS-US extract: forecasting, test 2002-07-01 to 2002-12-31"
  echo
  echo "Trained on 2000-2001, validated on 2002-01 to 2002-06 (the streamflow ends in 2002). NSE per method:"
  echo
  echo "| basin | lead (days) | network | GR4J | persistence | climatology | 80% band coverage | CRPS (mm/day) | chosen |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for basin in 01022500 01547700 02064000 03015500; do
    python3 - "$tmp/camels_$basin.json" "$basin" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
for lead in e["leads"]:
    m = lead["methods"]
    cell = lambda k: "%.3f" % m[k]["nse"] if k in m and m[k]["nse"] is not None else "-"
    print(f"| {sys.argv[2]} | {lead['lead_days']} | {cell('network')} | {cell('gr4j')} | {cell('persistence')} | {cell('climatology')} | {lead['band_coverage']['80']:.2f} | {lead['crps']:.3f} | {e['choice']} |")
PY
  done
} >"$RESULTS/hydrology.md"
cat "$RESULTS/hydrology.md"
