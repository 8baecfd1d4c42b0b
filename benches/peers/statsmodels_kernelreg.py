#!/usr/bin/env python3
"""statsmodels KernelReg (local constant, Gaussian, cv_ls) on Boston housing: the reference
that nw-model's multi-input tests hold us to.

For medv ~ lstat, medv ~ lstat + rm and medv ~ lstat + rm + ptratio (data/boston.csv, 506
rows) it runs

    KernelReg(endog=medv, exog=X, var_type='c' * d, reg_type='lc', bw='cv_ls')

and records the bandwidths, statsmodels' own objective (`cv_loo`) at them, the same
leave-one-out CV recomputed here independently in numpy f64, the in-sample R^2 (both
statsmodels' `r_squared()` and 1 - SSR/SST), the wall time of the fit (best of 3,
time.perf_counter) and the number of objective evaluations the search made.

statsmodels' cv_loo is a MEAN, not a sum: it accumulates (y_i - g_{-i}(x_i))^2 over i and
returns L / self.nobs (statsmodels/nonparametric/kernel_regression.py, KernelReg.cv_loo).
The bandwidth search is scipy.optimize.fmin (Nelder-Mead) from the normal-reference start
h0 = 1.06 * std(X) * n^(-1/(4+d)), maxiter = maxfun = 1000. Nelder-Mead is unconstrained
and statsmodels' Gaussian kernel depends on h only through h^2, so a bandwidth may come
back negative; the JSON keeps statsmodels' bandwidths as returned and gives |h| too.

The numpy CV (the independent computation):
    K_ij = prod_l exp(-((x_il - x_jl) / h_l)^2 / 2),  K_ii left out (only row i),
    yhat_{-i} = sum_{j != i} K_ij y_j / sum_{j != i} K_ij,
    CV(h) = mean_i (y_i - yhat_{-i})^2.
Each row's log-kernel is shifted by its largest off-diagonal entry before exp (this
changes no ratio, and keeps a row whose nearest neighbour is many bandwidths away finite).
At a few fixed bandwidth vectors it also records d CV / d ln h_l by central differences in
f64 (step 1e-5 in ln h), checked against the analytic derivative
    d yhat_i / d ln h_l = sum_j K_ij ((x_il - x_jl)/h_l)^2 (y_j - yhat_i) / sum_j K_ij.

Writes crates/nw-model/tests/data/statsmodels_boston.json and prints a summary.
Run from the repository root or anywhere: python3 benches/peers/statsmodels_kernelreg.py
(about three minutes on one core).
"""
import csv
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import optimize
import statsmodels
from statsmodels.nonparametric.kernel_regression import KernelReg

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "boston.csv"
OUT = ROOT / "crates" / "nw-model" / "tests" / "data" / "statsmodels_boston.json"

CASES = [["lstat"], ["lstat", "rm"], ["lstat", "rm", "ptratio"]]
FIXED = [
    (["lstat"], [1.0]),
    (["lstat"], [3.0]),
    (["lstat", "rm"], [1.0, 0.5]),
    (["lstat", "rm"], [2.0, 0.3]),
    (["lstat", "rm", "ptratio"], [2.0, 0.5, 1.0]),
    (["lstat", "rm", "ptratio"], [1.5, 0.3, 0.8]),
]
REPEATS = 3
FD_STEP = 1e-5


def load():
    with DATA.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 506, len(rows)
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def loo_terms(x, y, h):
    """Off-diagonal kernel matrix (row-shifted), LOO predictions; x is (n, d) f64."""
    z = (x[:, None, :] - x[None, :, :]) / h  # (n, n, d)
    z2 = z * z
    logk = -0.5 * z2.sum(axis=2)
    np.fill_diagonal(logk, -np.inf)
    k = np.exp(logk - logk.max(axis=1, keepdims=True))
    s = k.sum(axis=1)
    yhat = (k @ y) / s
    return k, s, yhat, z2


def loo_cv(x, y, h):
    _, _, yhat, _ = loo_terms(x, y, np.asarray(h, dtype=float))
    return float(np.mean((y - yhat) ** 2))


def loo_cv_grad_fd(x, y, h):
    h = np.asarray(h, dtype=float)
    g = []
    for l in range(h.size):
        up, down = h.copy(), h.copy()
        up[l] *= np.exp(FD_STEP)
        down[l] *= np.exp(-FD_STEP)
        g.append((loo_cv(x, y, up) - loo_cv(x, y, down)) / (2 * FD_STEP))
    return g


def loo_cv_grad_analytic(x, y, h):
    k, s, yhat, z2 = loo_terms(x, y, np.asarray(h, dtype=float))
    r = y - yhat
    g = []
    for l in range(z2.shape[2]):
        dk = k * z2[:, :, l]
        dyhat = (dk @ y - dk.sum(axis=1) * yhat) / s
        g.append(float(np.mean(-2.0 * r * dyhat)))
    return g


def multistart(x, y, h0):
    """The lowest numpy CV found by L-BFGS-B in ln h (analytic gradient) from every start
    ln h0 + {-2, -1, 0, 1} per dimension (bounded to ln h0 +- 6), polished by Nelder-Mead.
    Not statsmodels: a check of whether its local search found the best minimum."""
    lo = np.log(h0)
    offsets = np.array(np.meshgrid(*[[-2.0, -1.0, 0.0, 1.0]] * len(h0))).reshape(len(h0), -1).T
    f = lambda t: loo_cv(x, y, np.exp(t))  # noqa: E731
    g = lambda t: np.array(loo_cv_grad_analytic(x, y, np.exp(t)))  # noqa: E731
    ends = []
    for off in offsets:
        r = optimize.minimize(f, lo + off, jac=g, method="L-BFGS-B",
                              bounds=[(a - 6, a + 6) for a in lo], options=dict(ftol=1e-15, gtol=1e-10))
        ends.append((r.fun, r.x))
    best = min(ends, key=lambda e: e[0])
    r = optimize.minimize(f, best[1], method="Nelder-Mead",
                          options=dict(xatol=1e-10, fatol=1e-14, maxfev=20000))
    t = r.x if r.fun <= best[0] else best[1]
    cv = f(t)
    return {
        "bandwidths": np.exp(t).tolist(),
        "cv": cv,
        "grad_ln_h": loo_cv_grad_fd(x, y, np.exp(t)),
        "starts": len(offsets),
        "starts_ending_within_1e-6_of_best": int(sum(e[0] - cv <= 1e-6 for e in ends)),
    }


def exog(cols, names):
    return np.column_stack([cols[c] for c in names])


def fit_counted(y, x):
    """One cv_ls fit; returns (model, seconds, number of cv_loo calls made by the search,
    how many of them returned NaN)."""
    calls = [0, 0]
    original = KernelReg.cv_loo

    def counted(self, bw, func):
        calls[0] += 1
        value = original(self, bw, func)
        calls[1] += int(not np.all(np.isfinite(value)))
        return value

    KernelReg.cv_loo = counted
    try:
        t0 = time.perf_counter()
        model = KernelReg(endog=y, exog=x, var_type="c" * x.shape[1], reg_type="lc", bw="cv_ls")
        seconds = time.perf_counter() - t0
    finally:
        KernelReg.cv_loo = original
    return model, seconds, calls[0], calls[1]


def main():
    cols = load()
    y = cols["medv"]
    sst = float(np.sum((y - y.mean()) ** 2))
    cases = []
    for names in CASES:
        x = exog(cols, names)
        d = x.shape[1]
        h0 = 1.06 * np.std(x, axis=0) * len(y) ** (-1.0 / (4 + d))
        runs = [fit_counted(y, x) for _ in range(REPEATS)]
        model, _, evaluations, nan_evals = runs[0]
        for m, _, e, _ in runs[1:]:
            assert np.array_equal(m.bw, model.bw) and e == evaluations  # deterministic search
        seconds = min(r[1] for r in runs)
        bw = np.asarray(model.bw, dtype=float)
        sm_obj = np.asarray(model.cv_loo(bw, model._est_loc_constant)).item()
        cv = loo_cv(x, y, bw)
        fitted = model.fit()[0]
        r2_sm = float(model.r_squared())
        r2_ss = 1.0 - float(np.sum((y - fitted) ** 2)) / sst
        case = {
            "inputs": names,
            "bandwidths": bw.tolist(),
            "abs_bandwidths": np.abs(bw).tolist(),
            "start_h0": h0.tolist(),
            "cv": cv,
            "statsmodels_objective": sm_obj,
            "cv_relative_difference": abs(cv - sm_obj) / cv,
            "grad_ln_h_at_bandwidths": loo_cv_grad_fd(x, y, np.abs(bw)),
            "r2": r2_sm,
            "r2_one_minus_ssr_over_sst": r2_ss,
            "seconds": seconds,
            "seconds_all_runs": [r[1] for r in runs],
            "evaluations": evaluations,
            "nan_objective_evaluations": nan_evals,
            "numpy_multistart_minimum": multistart(x, y, h0),
        }
        cases.append(case)
        print(f"{' + '.join(names):24s} h = {np.array2string(bw, precision=6)}  "
              f"CV numpy {cv:.6f}  statsmodels {sm_obj:.6f}  (rel diff {case['cv_relative_difference']:.1e})  "
              f"R2 {r2_sm:.4f} (1-SSR/SST {r2_ss:.4f})  {seconds:.2f} s  {evaluations} evaluations "
              f"({nan_evals} NaN)\n{'':24s} numpy multistart minimum h = "
              f"{np.array2string(np.array(case['numpy_multistart_minimum']['bandwidths']), precision=6)}  "
              f"CV {case['numpy_multistart_minimum']['cv']:.6f}",
              flush=True)

    fixed = []
    for names, h in FIXED:
        x = exog(cols, names)
        cv = loo_cv(x, y, h)
        probe = KernelReg(endog=y, exog=x, var_type="c" * x.shape[1], reg_type="lc", bw=h)
        sm_obj = np.asarray(probe.cv_loo(np.asarray(h), probe._est_loc_constant)).item()
        g_fd = loo_cv_grad_fd(x, y, h)
        g_an = loo_cv_grad_analytic(x, y, h)
        rel = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(g_fd, g_an))
        fixed.append({
            "inputs": names,
            "bandwidths": h,
            "cv": cv,
            "statsmodels_objective": sm_obj,
            "grad_ln_h": g_fd,
            "grad_ln_h_analytic": g_an,
            "grad_max_relative_difference": rel,
        })
        print(f"fixed {' + '.join(names):18s} h = {h}  CV {cv:.10f} (statsmodels {sm_obj:.10f})  "
              f"dCV/dln h = {['%.8f' % v for v in g_fd]}  (fd vs analytic rel {rel:.1e})", flush=True)

    doc = {
        "source": {
            "script": "benches/peers/statsmodels_kernelreg.py",
            "statsmodels": statsmodels.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "python": platform.python_version(),
            "date": datetime.date.today().isoformat(),
        },
        "data": {"file": "data/boston.csv", "n": int(len(y)), "response": "medv"},
        "estimator": "KernelReg(endog=medv, exog=X, var_type='c'*d, reg_type='lc', bw='cv_ls'); "
                     "search scipy.optimize.fmin from h0 = 1.06 std(X) n^(-1/(4+d)), maxiter = maxfun = 1000",
        "definitions": {
            "cv": "numpy f64: mean_i (y_i - yhat_{-i})^2, yhat_{-i} = sum_{j!=i} K_ij y_j / sum_{j!=i} K_ij, "
                  "K_ij = prod_l exp(-((x_il - x_jl)/h_l)^2/2)",
            "statsmodels_objective": "KernelReg.cv_loo(bw, _est_loc_constant): a mean over i (L / nobs), not a sum",
            "r2": "statsmodels KernelReg.r_squared(): [sum (y-m)(yhat-m)]^2 / (sum (y-m)^2 sum (yhat-m)^2), m = mean(yhat)",
            "r2_one_minus_ssr_over_sst": "1 - sum (y - yhat)^2 / sum (y - mean y)^2, yhat the in-sample fit",
            "grad_ln_h": f"d cv / d ln h_l by central differences in f64, step {FD_STEP} in ln h",
            "seconds": f"wall time of the KernelReg(...) constructor (the bandwidth search), best of {REPEATS}, time.perf_counter",
            "evaluations": "number of cv_loo calls made by the search",
            "nan_objective_evaluations": "how many of those returned NaN (every kernel weight of some row underflowed: "
                                         "Nelder-Mead stepped to a near-zero or negative h; it treats NaN as no better)",
            "numpy_multistart_minimum": "not statsmodels: the lowest numpy CV found by L-BFGS-B in ln h from the 4^d starts "
                                        "ln h0 + {-2,-1,0,1} per dimension, polished by Nelder-Mead",
        },
        "cases": cases,
        "fixed": fixed,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
