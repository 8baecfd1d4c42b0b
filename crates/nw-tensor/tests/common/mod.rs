//! Helpers shared by the integration tests: a seeded generator and f64 references.

#![allow(dead_code, unreachable_pub)]
// The elimination in `wls` reads as the textbook's indices; `check_loo` takes a result's
// parts.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

/// SplitMix64: a tiny seeded generator, so the tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// Runs `f` on a fresh rayon pool of `threads` threads.
pub fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

/// Bit patterns of a slice, so that NaN compares equal to itself and -0 differs from 0.
pub fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// An f64 weighted least squares fit, solved directly (see [`wls`]).
pub struct Wls {
    /// The coefficients; `beta[0]` is the fit at the origin of the regressors.
    pub beta: Vec<f64>,
    /// The smallest pivot of the correlation-scaled normal equations (`1 - R^2` of each
    /// column on the earlier ones), found by Gaussian elimination.
    pub min_pivot: f64,
    /// The fit at the evaluation regressors `at`: `at . beta`.
    pub fit: f64,
    /// Each row's weight in the fit: `fit = sum_j smoother[j] y[j]`.
    pub smoother: Vec<f64>,
}

/// The weighted least squares of `y` on the regressor rows `x` (each `p` long) with weights
/// `w`, in f64, by Gaussian elimination (no pivoting) on the normal equations scaled to
/// correlation form, read at the regressors `at`; `None` when no row has a weight. A singular
/// system has `min_pivot <= 0` and NaN coefficients.
pub fn wls(x: &[Vec<f64>], w: &[f64], y: &[f64], at: &[f64]) -> Option<Wls> {
    let p = x.first()?.len();
    let mut m = vec![vec![0.0; p]; p];
    let mut t = vec![0.0; p];
    for ((xj, &wj), &yj) in x.iter().zip(w).zip(y) {
        for a in 0..p {
            t[a] += wj * xj[a] * yj;
            for b in 0..p {
                m[a][b] += wj * xj[a] * xj[b];
            }
        }
    }
    if m[0][0] <= 0.0 || m[0][0].is_nan() {
        return None;
    }
    let s: Vec<f64> = (0..p)
        .map(|j| {
            if m[j][j] > 0.0 {
                1.0 / m[j][j].sqrt()
            } else {
                0.0
            }
        })
        .collect();
    // Columns: C (scaled), then the scaled right-hand sides T and `at`.
    let mut a: Vec<Vec<f64>> = (0..p)
        .map(|i| {
            let mut row: Vec<f64> = (0..p).map(|j| m[i][j] * s[i] * s[j]).collect();
            row.push(t[i] * s[i]);
            row.push(at[i] * s[i]);
            row
        })
        .collect();
    let mut min_pivot = f64::INFINITY;
    for k in 0..p {
        let piv = if s[k] > 0.0 { a[k][k] } else { 0.0 };
        min_pivot = min_pivot.min(piv);
        if piv <= 0.0 || piv.is_nan() {
            return Some(Wls {
                beta: vec![f64::NAN; p],
                fit: f64::NAN,
                min_pivot: min_pivot.min(0.0),
                smoother: vec![f64::NAN; x.len()],
            });
        }
        for i in k + 1..p {
            let f = a[i][k] / piv;
            for j in k..p + 2 {
                a[i][j] -= f * a[k][j];
            }
        }
    }
    let back = |col: usize| {
        let mut z = vec![0.0; p];
        for i in (0..p).rev() {
            let dot: f64 = (i + 1..p).map(|j| a[i][j] * z[j]).sum();
            z[i] = (a[i][col] - dot) / a[i][i];
        }
        (0..p).map(|i| z[i] * s[i]).collect::<Vec<f64>>()
    };
    let beta = back(p);
    let z = back(p + 1);
    let smoother = x
        .iter()
        .zip(w)
        .map(|(xj, wj)| wj * xj.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    Some(Wls {
        fit: beta.iter().zip(at).map(|(b, a)| b * a).sum(),
        beta,
        min_pivot,
        smoother,
    })
}

/// A local fit's reference, as the fused passes must see it.
pub enum Local {
    /// No row has a weight: no estimate.
    Nothing,
    /// Too close to a cut (a weight near `2^-64`, or conditioning near `eps`) to say.
    Unsure,
    /// Conditioning below `eps / 2`: no estimate.
    Declined,
    /// Conditioning above `2 eps`: this fit.
    Fit(Wls),
}

/// The local fit with rows of log-kernel `ln_k` (`-inf`: out of reach), weights relative to
/// the largest over the rows other than `own` (the fused passes' anchor), and those below
/// `2^-64` of it cut (as `exp2` flushes); row `own` is never cut. Solved with the cut at
/// `2^-65` and `2^-63`: when the two disagree, or either is near `eps`, [`Local::Unsure`].
pub fn local(
    ln_k: &[f64],
    own: Option<usize>,
    x: &[Vec<f64>],
    y: &[f64],
    at: &[f64],
    eps: f64,
) -> Local {
    let m = ln_k
        .iter()
        .enumerate()
        .filter(|&(j, _)| Some(j) != own)
        .map(|(_, &l)| l)
        .fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return Local::Nothing;
    }
    let fit = |cut: f64| {
        let w: Vec<f64> = ln_k
            .iter()
            .enumerate()
            .map(|(j, &l)| {
                let w = (l - m).exp();
                if w < cut && Some(j) != own { 0.0 } else { w }
            })
            .collect();
        wls(x, &w, y, at)
    };
    let cut = 2f64.powi(-64);
    let (Some(a), Some(b)) = (fit(cut / 2.0), fit(cut * 2.0)) else {
        return Local::Nothing;
    };
    let sure = |c: f64| !(eps / 2.0..=2.0 * eps).contains(&c);
    let same = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) || x == y;
    if !(sure(a.min_pivot) && sure(b.min_pivot) && (a.min_pivot > eps) == (b.min_pivot > eps)) {
        return Local::Unsure;
    }
    if a.min_pivot < eps {
        return Local::Declined;
    }
    if !a.beta.iter().zip(&b.beta).all(|(x, y)| same(*x, *y)) {
        return Local::Unsure;
    }
    Local::Fit(a)
}

/// Worst errors seen by [`check_loo`], relative to the values' scale.
#[derive(Default, Debug)]
pub struct LooErrors {
    pub y_hat: f64,
    pub fit: f64,
    pub leverage: f64,
    pub checked: usize,
}

/// Checks a leave-one-out result against f64 refits. `row(i, j)` gives row `j`'s log-kernel
/// and regressors seen from example `i` (about the origin the fused pass uses for `i`; the
/// fits are read at row `i`'s own regressors), `y`
/// the targets; `y_hat` against the fit without row `i`, `fit` and `leverage` against the
/// full fit (leverage as row `i`'s weight in its own smoother vector), `far` and `loss` against
/// the refits, and the identity `y_i - y_hat_i = (y_i - fit_i) / (1 - leverage_i)` on the f64
/// references. Errors of the fits are relative to `scale`, of the leverage absolute; each must
/// be within `tol`.
pub fn check_loo(
    got_y_hat: &[f32],
    got_fit: &[f32],
    got_leverage: &[f64],
    got_far: usize,
    got_loss: f64,
    row: impl Fn(usize, usize) -> (f64, Vec<f64>),
    y: &[f32],
    eps: f64,
    scale: f64,
    tol: f64,
    what: &str,
) -> LooErrors {
    let n = y.len();
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let mut e = LooErrors::default();
    let (mut loss, mut far, mut unsure) = (0.0, 0, 0);
    for i in 0..n {
        let rows: Vec<(f64, Vec<f64>)> = (0..n).map(|j| row(i, j)).collect();
        let others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        let ln: Vec<f64> = others.iter().map(|&j| rows[j].0).collect();
        let x: Vec<Vec<f64>> = others.iter().map(|&j| rows[j].1.clone()).collect();
        let ys: Vec<f64> = others.iter().map(|&j| yf[j]).collect();
        let g = f64::from(got_y_hat[i]);
        let at = rows[i].1.clone();
        let loo = local(&ln, None, &x, &ys, &at, eps);
        match &loo {
            Local::Fit(r) => {
                let err = (g - r.fit).abs() / scale;
                assert!(err <= tol, "{what} row {i}: y_hat {g} vs refit {}", r.fit);
                e.y_hat = e.y_hat.max(err);
                loss += (r.fit - yf[i]).powi(2);
            }
            Local::Unsure => {
                unsure += 1;
                if g.is_nan() {
                    far += 1;
                } else {
                    loss += (g - yf[i]).powi(2);
                }
            }
            Local::Nothing | Local::Declined => {
                assert!(g.is_nan(), "{what} row {i}: no refit, got {g}");
                far += 1;
            }
        }
        let ln: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let x: Vec<Vec<f64>> = rows.iter().map(|r| r.1.clone()).collect();
        let (gf, gl) = (f64::from(got_fit[i]), got_leverage[i]);
        match local(&ln, Some(i), &x, &yf, &at, eps) {
            Local::Fit(r) => {
                let (fit, lev) = (r.fit, r.smoother[i]);
                let ef = (gf - fit).abs() / scale;
                let el = (gl - lev).abs();
                assert!(
                    ef <= tol && el <= tol,
                    "{what} row {i}: fit {gf} leverage {gl} vs {fit} {lev}"
                );
                e.fit = e.fit.max(ef);
                e.leverage = e.leverage.max(el);
                e.checked += 1;
                // The identity, on the references alone.
                if let Local::Fit(l) = &loo {
                    let lhs = (yf[i] - l.fit) * (1.0 - lev);
                    let rhs = yf[i] - fit;
                    assert!(
                        (lhs - rhs).abs() <= 1e-8 * scale,
                        "{what} row {i}: identity {lhs} vs {rhs}"
                    );
                }
            }
            Local::Unsure => {}
            Local::Nothing | Local::Declined => assert!(
                gf.is_nan() && gl.is_nan(),
                "{what} row {i}: no full fit expected, got {gf} {gl}"
            ),
        }
    }
    assert!(
        unsure <= 2 + n / 10,
        "{what}: {unsure} rows too close to a cut"
    );
    assert_eq!(got_far, far, "{what}");
    assert!(
        (got_loss - loss).abs() <= 1e-3 * loss.max(1e-30),
        "{what}: loss {got_loss} vs refits {loss}"
    );
    e
}
