#!/usr/bin/env python3
"""Wall time of ONE statsmodels leave-one-out CV evaluation on 3 inputs, to estimate what a
KernelReg cv_ls search would cost on data/diamonds_10k.csv without running it (hours).

Takes the first 2,000 rows of data/diamonds_10k.csv (a random sample: the file's rows are
in sample() order), price ~ carat + depth + table, builds
    KernelReg(endog=price, exog=X, var_type='ccc', reg_type='lc', bw=h0)
with h0 the normal-reference start statsmodels' own search would use,
1.06 * std(X) * n^(-1/7), and times model.cv_loo(h0, model._est_loc_constant) three
times (time.perf_counter). It also recomputes that CV in numpy f64 as a check, then times
one evaluation on all 10,000 rows (h0 for n = 10,000) to test the n^2 extrapolation.

statsmodels' cv_loo loops over the n rows in Python, each a kernel sum over n - 1 rows,
so its cost grows as n^2: one evaluation at 10,000 rows is about 25 times one at 2,000.

Run: python3 benches/peers/statsmodels_loo_timing.py   (about a minute)
"""
import csv
import time
from pathlib import Path

import numpy as np
import statsmodels
from statsmodels.nonparametric.kernel_regression import KernelReg

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "diamonds_10k.csv"
N = 2000
REPEATS = 3


def main():
    with DATA.open(newline="") as f:
        rows = list(csv.DictReader(f))[:N]
    x = np.array([[float(r[c]) for c in ("carat", "depth", "table")] for r in rows])
    y = np.array([float(r["price"]) for r in rows])
    h0 = 1.06 * np.std(x, axis=0) * N ** (-1.0 / 7)
    model = KernelReg(endog=y, exog=x, var_type="ccc", reg_type="lc", bw=h0)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        cv = np.asarray(model.cv_loo(h0, model._est_loc_constant)).item()
        times.append(time.perf_counter() - t0)

    z = (x[:, None, :] - x[None, :, :]) / h0
    logk = -0.5 * (z * z).sum(axis=2)
    np.fill_diagonal(logk, -np.inf)
    k = np.exp(logk - logk.max(axis=1, keepdims=True))
    cv_numpy = float(np.mean((y - (k @ y) / k.sum(axis=1)) ** 2))

    best = min(times)
    print(f"statsmodels {statsmodels.__version__}, numpy {np.__version__}; first {N} rows of "
          f"{DATA.relative_to(ROOT)}, price ~ carat + depth + table, h = {np.array2string(h0, precision=6)}")
    print(f"one cv_loo evaluation: {', '.join(f'{t:.3f}' for t in times)} s (best {best:.3f} s); "
          f"CV {cv:.6f} (numpy f64 {cv_numpy:.6f}, rel diff {abs(cv - cv_numpy) / cv_numpy:.1e})")
    per_eval_10k = best * (10_000 / N) ** 2
    print(f"estimate at 10,000 rows: {per_eval_10k:.0f} s per evaluation (n^2 scaling); "
          f"x 165 evaluations (the 3-input Boston search) = {per_eval_10k * 165 / 3600:.1f} h")

    # The n^2 estimate is an upper bound while the per-row Python overhead dominates: check it
    # with one evaluation on all 10,000 rows.
    with DATA.open(newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in ("carat", "depth", "table")] for r in rows])
    y = np.array([float(r["price"]) for r in rows])
    h = 1.06 * np.std(x, axis=0) * len(y) ** (-1.0 / 7)
    model = KernelReg(endog=y, exog=x, var_type="ccc", reg_type="lc", bw=h)
    t0 = time.perf_counter()
    cv = np.asarray(model.cv_loo(h, model._est_loc_constant)).item()
    full = time.perf_counter() - t0
    print(f"measured at all {len(y)} rows (h = {np.array2string(h, precision=6)}): one evaluation {full:.2f} s "
          f"(CV {cv:.6f}); x 165 evaluations = {full * 165 / 3600:.2f} h")


if __name__ == "__main__":
    main()
