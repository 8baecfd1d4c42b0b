#!/usr/bin/env python3
"""Writes unix_seconds.csv, unix_seconds_queries.csv and unix_seconds_reference.csv.

A time series indexed by Unix seconds near 1.7e9, where f32 spacing is 128 s, so a reader
that stores x in f32 moves every key and query by up to 64 s. The reference is the Gaussian
Nadaraya-Watson estimate computed by numpy in float64 from the text that was written.

Run from anywhere: python3 crates/nw-cli/tests/data/scripts/make_unix_seconds.py
It prints the naive-f32 error that the README quotes.
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent
SEED = 20261129
START = 1_700_000_000  # 2023-11-14T22:13:20Z
STEP = 600
N = 2000
H = 3600.0
DAY = 86400.0


def write_lines(path, lines):
    # "\n" endings, final newline; binary mode so no platform translation.
    path.write_bytes(("\n".join(lines) + "\n").encode("ascii"))


def nw_gaussian(x, y, q, h):
    """Gaussian Nadaraya-Watson in the dtype of the inputs, max exponent subtracted."""
    u = (q[:, None] - x[None, :]) / h
    e = -(u * u) / 2
    e = e - e.max(axis=1, keepdims=True)
    w = np.exp(e)
    return (w @ y) / w.sum(axis=1)


def main():
    rng = np.random.default_rng(SEED)
    t = START + STEP * np.arange(N, dtype=np.int64)
    y = 10.0 + 5.0 * np.sin(2.0 * np.pi * t.astype(np.float64) / DAY) + rng.normal(0.0, 0.5, N)

    write_lines(OUT / "unix_seconds.csv", ["t,value"] + [f"{ti},{float(yi)!r}" for ti, yi in zip(t, y)])

    # Off the 600 s grid: 137 + 4000 k is 137, 537 or 337 mod 600, never 0.
    last = int(t[-1])
    ints = [START + 137 + 4000 * k for k in range(300)]
    assert ints[-1] < last and all((v - START) % STEP != 0 for v in ints)
    fractional = ["1700000300.125", "1700012345.25", "1700500000.5", "1700600000.1", "1700999999.75",
                  "1701199399.5"]
    q_text = sorted([str(v) for v in ints] + fractional, key=float)
    write_lines(OUT / "unix_seconds_queries.csv", ["t"] + q_text)

    # The reference is computed from the files' own text, parsed as float64.
    rows = (OUT / "unix_seconds.csv").read_text().splitlines()[1:]
    x64 = np.array([float(r.split(",")[0]) for r in rows])
    y64 = np.array([float(r.split(",")[1]) for r in rows])
    q_text = (OUT / "unix_seconds_queries.csv").read_text().splitlines()[1:]
    q64 = np.array([float(s) for s in q_text])
    assert np.array_equal(x64, t.astype(np.float64)) and np.array_equal(y64, y)
    assert x64[0] < q64.min() and q64.max() < x64[-1]

    ref = nw_gaussian(x64, y64, q64, H)
    write_lines(OUT / "unix_seconds_reference.csv",
                ["t,y_hat"] + [f"{s},{float(v)!r}" for s, v in zip(q_text, ref)])

    # What a reader that keeps x in f32 gets, for the README.
    f32 = np.float32
    y_range = y64.max() - y64.min()
    x32, q32, y32 = x64.astype(f32), q64.astype(f32), y64.astype(f32)
    naive = nw_gaussian(x32, y32, q32, f32(H)).astype(np.float64)
    cast_only = nw_gaussian(x32.astype(np.float64), y64, q32.astype(np.float64), H)
    shifted = nw_gaussian((x64 - x64[0]).astype(f32), y32, (q64 - x64[0]).astype(f32), f32(H))
    y_only = nw_gaussian(x64, y32.astype(np.float64), q64, H)
    print(f"rows {N}, x {x64[0]:.0f}..{x64[-1]:.0f}, queries {len(q64)}, h {H}")
    print(f"y range {float(y64.min())!r} .. {float(y64.max())!r} (width {float(y_range)!r})")
    print(f"max |x - f32(x)| = {np.abs(x32.astype(np.float64) - x64).max()} s, "
          f"max |q - f32(q)| = {np.abs(q32.astype(np.float64) - q64).max()} s")
    for name, est in [("naive f32 (x, q, y, h and all arithmetic in f32)", naive),
                      ("x and q cast to f32, arithmetic in f64", cast_only),
                      ("x - x[0] and q - x[0] in f64, then all in f32", shifted),
                      ("only y rounded to f32, rest f64", y_only)]:
        err = np.abs(est - ref)
        print(f"{name}: max abs {err.max():.3e}, / range(y) {err.max() / y_range:.3e}, "
              f"worst at t={q_text[int(err.argmax())]}")


if __name__ == "__main__":
    main()
