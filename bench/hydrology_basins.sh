#!/usr/bin/env bash
# Many basins, one model: the four CAMELS-US basins of the extract (../shared/data), forecasting
# 1-2 days, trained as one model with static attributes (elev_mean, slope_mean, aridity,
# frac_snow, p_mean from the CAMELS files) against a model per basin, and each basin held out of
# the one model in turn (the network never sees its discharge: how it does on a basin without a
# record). Same settings as bench/hydrology.sh's CAMELS part.
# Writes bench/results/hydrology_basins.md.
#   bench/hydrology_basins.sh      (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=bench/results
CAMELS=$(realpath ../shared/data/hydrology/camels_us)
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
[[ -d $CAMELS ]] || { echo "error: ../shared/data/hydrology not found" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
BASINS="01022500 01547700 02064000 03015500"

latitude() { head -1 "$CAMELS"/basin_mean_forcing/daymet/$1_*.txt | tr -d ' '; }

# A model per basin, from the same template as bench/hydrology.sh.
for basin in $BASINS; do
  sed -e "s|@BASIN@|$basin|g" -e "s|@LATITUDE@|$(latitude "$basin")|" -e "s|@CAMELS@|$CAMELS|" \
    bench/hydrology/camels.yaml.in >"$tmp/single_$basin.yaml"
  "$TESSERA" hydrology train --config "$tmp/single_$basin.yaml" --output "$tmp/single_$basin.h5" --quiet >/dev/null
  "$TESSERA" hydrology evaluate --model "$tmp/single_$basin.h5" --output "$tmp/single_$basin.json" >/dev/null
done

# One model of the four: the template without its input, and a basins list (HELD: the id held
# out, none for all four trained).
basins_config() {
  sed -e '/^inputs:/,/^    basin:/d' -e "s|@LATITUDE@|0|" bench/hydrology/camels.yaml.in
  echo "attributes: [elev_mean, slope_mean, aridity, frac_snow, p_mean]"
  echo "basins:"
  local basin held
  for basin in $BASINS; do
    held=false
    [[ $basin == "$1" ]] && held=true
    echo "  - {id: \"$basin\", latitude: $(latitude "$basin"), held_out: $held, inputs: [{camels: $CAMELS, basin: \"$basin\"}]}"
  done
}
basins_config none >"$tmp/all.yaml"
"$TESSERA" hydrology train --config "$tmp/all.yaml" --output "$tmp/all.h5" --quiet >/dev/null
"$TESSERA" hydrology evaluate --model "$tmp/all.h5" --output "$tmp/all.json" >/dev/null
for basin in $BASINS; do
  basins_config "$basin" >"$tmp/without_$basin.yaml"
  "$TESSERA" hydrology train --config "$tmp/without_$basin.yaml" --output "$tmp/without_$basin.h5" --quiet >/dev/null
  "$TESSERA" hydrology evaluate --model "$tmp/without_$basin.h5" --basin "$basin" \
    --output "$tmp/without_$basin.json" >/dev/null
done

{
  echo "# Hydrology: many basins, one model (\`bench/hydrology_basins.sh\`)"
  echo
  echo "Machine: $(nproc) threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo
  echo "CAMELS-US extract, forecasting 1-2 days; trained on 2000-2001, validated on 2002-01 to"
  echo "2002-06, test 2002-07-01 to 2002-12-31 (the streamflow ends in 2002). Test NSE of the"
  echo "forecast (the network blended with GR4J as chosen on validation) per basin and lead: a model"
  echo "per basin, one model of the four (attributes elev_mean, slope_mean, aridity, frac_snow,"
  echo "p_mean), and one model of the other three with the basin held out; GR4J (calibrated on the"
  echo "basin) and persistence for reference."
  echo
  echo "| basin | lead (days) | one model per basin | one model of four | basin held out | GR4J | persistence |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  python3 - "$tmp" $BASINS <<'PY'
import json, sys
tmp, basins = sys.argv[1], sys.argv[2:]
every = {b["basin"]: b for b in json.load(open(f"{tmp}/all.json"))["basins"]}
sums = {}
for basin in basins:
    single = json.load(open(f"{tmp}/single_{basin}.json"))
    held = json.load(open(f"{tmp}/without_{basin}.json"))
    for i, lead in enumerate(single["leads"]):
        nse = lambda e, m="network": e["leads"][i]["methods"][m]["nse"]
        row = [nse(single), nse(every[basin]), nse(held)]
        for k, v in enumerate(row):
            sums.setdefault((lead["lead_days"], k), []).append(v)
        print(f"| {basin} | {lead['lead_days']} | {row[0]:.3f} | {row[1]:.3f} | {row[2]:.3f} | {nse(single, 'gr4j'):.3f} | {nse(single, 'persistence'):.3f} |")
for lead in sorted({l for l, _ in sums}):
    mean = lambda k: sum(sums[(lead, k)]) / len(sums[(lead, k)])
    print(f"| mean | {lead} | {mean(0):.3f} | {mean(1):.3f} | {mean(2):.3f} | | |")
PY
} >"$RESULTS/hydrology_basins.md"
cat "$RESULTS/hydrology_basins.md"
