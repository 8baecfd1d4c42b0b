#!/usr/bin/env python3
"""statsmodels KernelReg local linear (reg_type='ll', Gaussian, bw='cv_ls'): the reference
that nw-model's local linear tests hold us to (issue 12).

Cases: mcycle (data/mcycle.csv, y ~ x, 133 rows with ties) and Boston housing
(data/boston.csv, medv ~ lstat + rm, 506 rows). For each it runs

    KernelReg(endog=y, exog=X, var_type='c' * d, reg_type='ll', bw='cv_ls')

and records statsmodels' bandwidths, its own objective `cv_loo` at them (a MEAN of squared
leave-one-out errors over all rows), its fitted values and marginal effects (the local
slopes, `KernelReg.fit()[1]`) at the training rows and at a few queries, all at its
bandwidths. It also records, at one fixed bandwidth per case, statsmodels' fit and slopes
at the same queries, and the leave-one-out CV recomputed here independently in numpy f64
(a direct weighted least squares solve per row, without the row).

statsmodels' local linear estimator (`_est_loc_linear`) solves the (d+1)x(d+1) weighted
least squares system with `np.linalg.pinv`, with distances measured from the query; its
bandwidth search is scipy.optimize.fmin (Nelder-Mead) from the normal-reference start,
unconstrained, and its Gaussian kernel depends on h only through h^2 (a bandwidth may come
back negative: the JSON gives |h|).

Writes crates/nw-model/tests/data/statsmodels_ll.json. Run from anywhere:
python3 benches/peers/statsmodels_ll.py (a few minutes on one core).
"""
import csv
import json
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import statsmodels
from statsmodels.nonparametric.kernel_regression import KernelReg

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "nw-model" / "tests" / "data" / "statsmodels_ll.json"


def read(path, xs, y):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) for c in xs] for r in rows])
    Y = np.array([float(r[y]) for r in rows])
    return X, Y


def ll_fit(X, Y, h, q):
    """Local linear fit and slopes at query q, f64, direct solve."""
    t = X - q
    w = np.exp(-0.5 * ((t / h) ** 2).sum(axis=1))
    D = np.hstack([np.ones((len(X), 1)), t])
    M = D.T @ (D * w[:, None])
    V = D.T @ (w * Y)
    beta = np.linalg.solve(M, V)
    return beta[0], beta[1:]


def loo_cv(X, Y, h):
    n = len(X)
    err = 0.0
    for i in range(n):
        keep = np.arange(n) != i
        a, _ = ll_fit(X[keep], Y[keep], h, X[i])
        err += (Y[i] - a) ** 2
    return err / n


CASES = [
    {
        "name": "mcycle",
        "file": "data/mcycle.csv",
        "inputs": ["x"],
        "target": "y",
        "queries": [[2.4], [5.0], [10.0], [15.0], [20.0], [30.0], [40.0], [50.0], [57.6]],
        "fixed": [2.0],
    },
    {
        "name": "boston_lstat_rm",
        "file": "data/boston.csv",
        "inputs": ["lstat", "rm"],
        "target": "medv",
        "queries": [[5.0, 6.0], [10.0, 6.5], [20.0, 5.5], [2.0, 8.0], [30.0, 5.0]],
        "fixed": [3.0, 0.5],
    },
]

out = {
    "generated_by": "benches/peers/statsmodels_ll.py",
    "statsmodels": statsmodels.__version__,
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "python": platform.python_version(),
    "cases": [],
}
for c in CASES:
    X, Y = read(ROOT / c["file"], c["inputs"], c["target"])
    d = X.shape[1]
    t0 = time.perf_counter()
    kr = KernelReg(endog=Y, exog=X, var_type="c" * d, reg_type="ll", bw="cv_ls")
    seconds = time.perf_counter() - t0
    bw = np.abs(np.array(kr.bw, dtype=float))
    cv_sm = float(np.squeeze(kr.cv_loo(kr.bw, kr._est_loc_linear)))
    cv_np = float(loo_cv(X, Y, bw))
    fit_train, mfx_train = kr.fit()
    Q = np.array(c["queries"], dtype=float)
    fit_q, mfx_q = kr.fit(data_predict=Q)
    krf = KernelReg(endog=Y, exog=X, var_type="c" * d, reg_type="ll", bw=c["fixed"])
    fixed_q, fixed_mfx = krf.fit(data_predict=Q)
    fixed_cv_np = float(loo_cv(X, Y, np.array(c["fixed"])))
    ref_q = [ll_fit(X, Y, np.array(c["fixed"]), q) for q in Q]
    out["cases"].append(
        {
            "name": c["name"],
            "file": c["file"],
            "inputs": c["inputs"],
            "target": c["target"],
            "bandwidths": bw.tolist(),
            "cv_statsmodels": cv_sm,
            "cv_numpy": cv_np,
            "fit_seconds": seconds,
            "fit_train": np.asarray(fit_train, dtype=float).tolist(),
            "slopes_train": np.asarray(mfx_train, dtype=float).reshape(len(X), d).tolist(),
            "queries": c["queries"],
            "fit_queries": np.asarray(fit_q, dtype=float).tolist(),
            "slopes_queries": np.asarray(mfx_q, dtype=float).reshape(len(Q), d).tolist(),
            "fixed_bandwidths": c["fixed"],
            "fixed_fit_queries": np.asarray(fixed_q, dtype=float).tolist(),
            "fixed_slopes_queries": np.asarray(fixed_mfx, dtype=float).reshape(len(Q), d).tolist(),
            "fixed_numpy_fit_queries": [float(a) for a, _ in ref_q],
            "fixed_cv_numpy": fixed_cv_np,
        }
    )
    print(c["name"], "bw", bw, "cv statsmodels", cv_sm, "numpy", cv_np, f"{seconds:.1f}s")
OUT.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", OUT)
