#!/usr/bin/env python3
"""Tables and folds for bench/materials_property.sh: each task's images of the UHCS metadata,
and 4 folds by specimen (sample_key), stratified by the specimen's class so every fold holds
both anneal temperatures and as many microstructures as there are specimens for.

  property_folds.py METADATA OUT    writes OUT/<task>/table.csv and OUT/<task>/fold<k>.csv
"""
import csv
import math
import sys
from collections import Counter, defaultdict

TASKS = {
    # task: (rows kept, target column, stratifying column)
    "temperature": (lambda r: r["primary_microconstituent"] == "spheroidite"
                    and r["anneal_temperature_C"] in ("800.0", "970.0"),
                    "anneal_temperature_C", "anneal_temperature_C"),
    "time": (lambda r: r["primary_microconstituent"] == "spheroidite",
             "log10_anneal_time_h", "anneal_temperature_C"),
    "microstructure": (lambda r: True, "primary_microconstituent", "primary_microconstituent"),
}
FOLDS = 4


def main(metadata, out):
    rows = list(csv.DictReader(open(metadata, newline="")))
    for r in rows:
        r["log10_anneal_time_h"] = "%.4f" % math.log10(float(r["anneal_time_h"]))
    header = list(rows[0].keys())
    for task, (keep, _, stratum) in TASKS.items():
        kept = [r for r in rows if keep(r)]
        by_specimen = defaultdict(list)
        for r in kept:
            by_specimen[r["sample_key"]].append(r)
        # Each specimen's class: its images' most common; specimens of a class dealt to the
        # folds in turn, largest first.
        strata = defaultdict(list)
        for s, members in by_specimen.items():
            strata[Counter(m[stratum] for m in members).most_common(1)[0][0]].append(s)
        fold = {}
        turn = 0
        for c in sorted(strata):
            for s in sorted(strata[c], key=lambda s: (-len(by_specimen[s]), int(s))):
                fold[s] = turn % FOLDS
                turn += 1
        write(f"{out}/{task}/table.csv", header, kept)
        for k in range(FOLDS):
            write(f"{out}/{task}/fold{k}.csv", header,
                  [r for r in kept if fold[r["sample_key"]] == k])


def write(path, header, rows):
    import os
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
