"""Weights of two tessera builds side by side (bench/same_training.sh).

Two builds may number a network's modules differently (a fused batch norm + ReLU is one module
where an older build had two), so tensors are matched by order, not by name.

  same_training.py adopt SRC TEMPLATE OUT        OUT = TEMPLATE's file with SRC's values
  same_training.py apart A B START               |A - B| / |A - START| over the weights
  same_training.py detections A.json B.json      largest score and box difference, matched by order
"""
import json
import shutil
import sys

import h5py
import numpy as np


def datasets(f, group):
    names = []
    f[group].visit(lambda k: names.append(k) if isinstance(f[group][k], h5py.Dataset) else None)
    return sorted(names, key=lambda k: (int(k.split(".")[0]), k))


def adopt(src, template, out):
    shutil.copy(template, out)
    with h5py.File(src, "r") as s, h5py.File(out, "r+") as o:
        for group in ("weights", "buffers"):
            a, b = datasets(s, group), datasets(o, group)
            if len(a) != len(b):
                sys.exit(f"error: {src} and {template} hold {len(a)} and {len(b)} {group}")
            for x, y in zip(a, b):
                if s[group][x].shape != o[group][y].shape:
                    sys.exit(f"error: {group} {x} {s[group][x].shape} against {y} {o[group][y].shape}")
                o[group][y][...] = s[group][x][...]


def apart(a, b, start):
    """Distance between two trained weight sets relative to how far training moved them. Biases
    of convolutions that a batch norm follows are left out: their gradient is zero up to rounding,
    so their difference relative to their step says nothing."""
    num = den = 0.0
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(start, "r") as f0:
        for k in fa["weights"]:
            if k.endswith(".bias"):
                continue
            va, vb, v0 = (np.asarray(f["weights"][k], dtype=np.float64) for f in (fa, fb, f0))
            num += ((va - vb) ** 2).sum()
            den += ((va - v0) ** 2).sum()
    print(f"{np.sqrt(num / den):.1e}")


def detections(a, b):
    da, db = json.load(open(a)), json.load(open(b))
    if len(da) != len(db):
        print(f"{len(da)} against {len(db)} detections")
        return
    score = max((abs(x["score"] - y["score"]) for x, y in zip(da, db)), default=0.0)
    box = max((abs(p - q) for x, y in zip(da, db) for p, q in zip(x["bbox"], y["bbox"])), default=0.0)
    print(f"{len(da)} detections in both, scores within {score:.1e}, boxes within {box:.1e} px")


if __name__ == "__main__":
    commands = {"adopt": (adopt, 3), "apart": (apart, 3), "detections": (detections, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) != commands[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    commands[sys.argv[1]][0](*sys.argv[2:])
