#!/usr/bin/env bash
# Hourly data: the generated small catchment of `hydrology synth --time-step 1h` (a 5-minute
# gauge, hourly storms and temperature, daily evaporation; four years, discharge from a known
# GR4H), read and resampled to hours, trained with the config synth writes (its defaults),
# scored on the last 18 months at leads of 1, 3, 6 and 12 hours against GR4H calibrated on the
# training years, persistence and climatology; three seeds of the generated weather.
# Writes bench/results/hydrology_hourly.md.
#   bench/hydrology_hourly.sh      (about 2 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-$PWD/build/apps/tessera}
RESULTS=bench/results
[[ -x $TESSERA ]] || { echo "error: $TESSERA not found; run ./run.sh build first" >&2; exit 1; }
mkdir -p "$RESULTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

out=$RESULTS/hydrology_hourly.md
{
  echo "# Hourly discharge forecasts (generated small catchment, 5-minute gauge)"
  echo
  echo "\`bench/hydrology_hourly.sh\`: \`hydrology synth --time-step 1h --seed S\`, then \`train\` and"
  echo "\`evaluate\` with the written config's defaults (72-hour windows, 3 members, 10 epochs)."
  echo "Test period 2002-07-01 to 2003-12-31, NSE per lead (hours); the band is the network's"
  echo "calibrated 10-90% band (0.8 promised); peak timing in hours."
  echo
  echo "| seed | lead (h) | network NSE | GR4H NSE | persistence NSE | 80% band | CRPS | members' CRPS | peak timing network / GR4H (h) |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
for seed in 1 2 3; do
  dir=$tmp/seed$seed
  "$TESSERA" hydrology synth --output "$dir" --time-step 1h --seed "$seed" >/dev/null
  "$TESSERA" hydrology train --config "$dir/catchment.yaml" --output "$dir/model.h5" --quiet \
    | grep -E "GR4H calibrated|chosen on" | sed "s/^/seed $seed: /"
  "$TESSERA" hydrology evaluate --model "$dir/model.h5" --output "$dir/scores.json" >/dev/null
  python3 - "$dir/scores.json" "$seed" >>"$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for lead in s["leads"]:
    m = lead["methods"]
    t = lead["peak_timing_hours"]
    print(f"| {sys.argv[2]} | {lead['lead_hours']:g} | {m['network']['nse']:.3f} | "
          f"{m['gr4j']['nse']:.3f} | {m['persistence']['nse']:.3f} | "
          f"{lead['band_coverage']['80']:.2f} | {lead['crps']:.4f} | {lead['crps_members']:.4f} | "
          f"{t['network']:.2f} / {t['gr4j']:.2f} |")
PY
done
cat "$out"
