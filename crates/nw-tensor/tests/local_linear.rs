//! Local linear regression in the fused 1-D pass: against an f64 solution of the weighted
//! least squares (weights from `KernelKind::ln_k`) on the same f32 inputs, for the Gaussian,
//! Epanechnikov and Laplace kernels over key counts that cross lane and tile boundaries and
//! queries inside and outside the span; against the scalar twin; a straight line recovered
//! exactly; the slope against finite differences of the fit; leave-one-out against refits
//! without each row; singular systems; the same bits on 1, 2 and 3 threads.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::Par;
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::compact::{Compact, Epanechnikov};
use nw_tensor::kernels::radial::{Bandwidth, Gaussian, KernelKind, Laplace};
use nw_tensor::ops::local_linear::{
    EPS, Linear, loo_linear, loo_linear_scalar, pool_linear, pool_linear_scalar,
};
use nw_tensor::ops::pool::{SortedKeys, TILE};

/// The stated accuracy of the fit, relative to the values' scale (see `assert_close`).
const REL_A: f64 = 5e-5;
/// The stated accuracy of the slope, relative to its scale.
const REL_B: f64 = 1e-4;

/// The f64 local linear fit at `q`: `(a, b, conditioning)`, by the weighted least squares
/// solved directly (weighted means, then the centred slope), with weights
/// `exp(ln K(|k - q| / h) - max)`, those below `2^-64` set to 0 as the fused pass does (all
/// NaN when a weight is too close to that cut to say which side it falls on). `conditioning` is `D / (S0 S2)` about the pivot the fused
/// pass uses (the query inside the span, the nearest key outside it), so the test knows when
/// the library must, or must not, give an estimate. `None` when no key has a weight.
fn reference(
    kind: KernelKind,
    h: f32,
    q: f32,
    keys: &[f32],
    values: &[f32],
) -> Option<(f64, f64, f64)> {
    let (q, h) = (f64::from(q), f64::from(h));
    let ln: Vec<f64> = keys
        .iter()
        .map(|&k| kind.ln_k((f64::from(k) - q) / h))
        .collect();
    let m = ln.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return None;
    }
    // The fused pass gives no weight to a key below 2^-64 of the nearest one's (`exp2` flushes
    // there): in f64 such a key could alone make a system regular, with a weight of 1e-20.
    // The fit is solved with the keys near that cut both in and out; if that changes it, the
    // query is too close to the cut to check (all NaN).
    let cut = 2f64.powi(-64);
    let w: Vec<f64> = ln.iter().map(|l| (l - m).exp()).collect();
    let fit = |below: f64| {
        let w: Vec<f64> = w.iter().map(|&w| if w < below { 0.0 } else { w }).collect();
        solve(&w, q, keys, values)
    };
    let (inside, outside) = (fit(cut / 2.0), fit(cut * 2.0));
    let same = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) || x == y;
    let sure = |c: f64| !(EPS / 2.0..=2.0 * EPS).contains(&c);
    if sure(inside.2)
        && sure(outside.2)
        && (inside.2 > EPS) == (outside.2 > EPS)
        && (inside.2 < EPS || same(inside.0, outside.0) && same(inside.1, outside.1))
    {
        Some(inside)
    } else {
        Some((f64::NAN, f64::NAN, f64::NAN))
    }
}

/// The weighted least squares line at `q` with weights `w`: `(a, b, D / (S0 S2) about the
/// pivot)`.
fn solve(w: &[f64], q: f64, keys: &[f32], values: &[f32]) -> (f64, f64, f64) {
    let t: Vec<f64> = keys.iter().map(|&k| f64::from(k) - q).collect();
    let y: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let sw: f64 = w.iter().sum();
    let tm = w.iter().zip(&t).map(|(w, t)| w * t).sum::<f64>() / sw;
    let ym = w.iter().zip(&y).map(|(w, y)| w * y).sum::<f64>() / sw;
    let stt: f64 = w.iter().zip(&t).map(|(w, t)| w * (t - tm) * (t - tm)).sum();
    let sty: f64 = (0..w.len()).map(|j| w[j] * (t[j] - tm) * (y[j] - ym)).sum();
    let b = sty / stt;
    let a = ym - b * tm;
    // D / (S0 S2) about the pivot p: the weighted variance over the mean square of k - p.
    let lo = keys.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = keys.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let p = if q < f64::from(lo) {
        f64::from(lo)
    } else if q > f64::from(hi) {
        f64::from(hi)
    } else {
        q
    };
    let s2p: f64 = w.iter().zip(&t).map(|(w, t)| w * (t + q - p).powi(2)).sum();
    // Every weighted key at the pivot: singular (0 / 0 otherwise).
    let cond = if s2p > 0.0 { stt / s2p } else { 0.0 };
    (a, b, cond)
}

/// Checks each query's `(a, b)` against the reference: NaN exactly when the system has no
/// estimate (conditioning below `EPS / 2`; between `EPS / 2` and `2 EPS` either is allowed);
/// else `|a - a_ref| <= REL_A (ymax + |b_ref| h)` and `|b - b_ref| <= REL_B (|b_ref| + ymax / h)`,
/// scales that do not vanish when the fit or the slope happens to be 0.
#[allow(clippy::too_many_arguments)]
fn assert_close(
    got: &Linear,
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    what: &str,
) -> usize {
    let ymax = values
        .iter()
        .fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    let hf = f64::from(h);
    let mut estimates = 0;
    for (i, &q) in queries.iter().enumerate() {
        let (ga, gb) = (f64::from(got.y[i]), f64::from(got.slope[i]));
        match reference(kind, h, q, keys, values) {
            Some((a, b, cond)) if cond > 2.0 * EPS => {
                let ea = (ga - a).abs() / (ymax + b.abs() * hf);
                let eb = (gb - b).abs() / (b.abs() + ymax / hf);
                assert!(
                    ea <= REL_A && eb <= REL_B,
                    "{what} {kind:?} h={h} m={} q={q}: got ({ga}, {gb}), want ({a}, {b}), \
                     errors {ea:e} {eb:e}",
                    keys.len()
                );
                estimates += 1;
            }
            Some((_, _, cond)) if cond > EPS / 2.0 || cond.is_nan() => {}
            _ => assert!(
                ga.is_nan() && gb.is_nan(),
                "{what} {kind:?} h={h} m={} q={q}: no estimate expected, got ({ga}, {gb})",
                keys.len()
            ),
        }
    }
    estimates
}

/// Key counts crossing lane and tile boundaries.
fn sizes() -> Vec<usize> {
    vec![
        2,
        3,
        LANES - 1,
        LANES,
        LANES + 1,
        2 * LANES + 1,
        TILE - 1,
        TILE,
        TILE + 1,
        2 * TILE + 3,
        5000,
    ]
}

/// Queries inside the span `[0, span]`, at its ends and outside it.
fn queries_for(rng: &mut Rng, span: f32, h: f32) -> Vec<f32> {
    let mut q = rng.vec(40, 0.0, span);
    q.extend([
        0.0,
        span,
        -0.3 * h,
        -2.0 * h,
        span + 0.5 * h,
        span + 3.0 * h,
    ]);
    q
}

/// Data with a trend, curvature and noise.
fn data(rng: &mut Rng, m: usize, span: f32) -> (Vec<f32>, Vec<f32>) {
    let k = rng.vec(m, 0.0, span);
    let v = k
        .iter()
        .map(|&x| 1.0 + 0.5 * x + (2.0 * x).sin() + rng.uniform(-0.2, 0.2))
        .collect();
    (k, v)
}

fn check_kernel<K: Bandwidth>(kind: KernelKind) {
    let mut rng = Rng::new(12);
    let mut estimates = 0;
    for m in sizes() {
        let span = 5.0;
        // Bandwidths from a few keys in reach to most of the span.
        for h in [span * 4.0 / m as f32, 0.3, 2.0] {
            let (k, v) = data(&mut rng, m, span);
            let sorted = SortedKeys::new(&k, &v).unwrap();
            let queries = queries_for(&mut rng, span, h);
            let kernel = K::with_bandwidth(h);
            let fused = pool_linear(&kernel, &queries, &sorted, Par::Seq);
            estimates += assert_close(&fused, kind, h, &queries, &k, &v, "simd");
            let twin = pool_linear_scalar(&kernel, &queries, &sorted);
            assert_close(&twin, kind, h, &queries, &k, &v, "scalar");
        }
    }
    // The sweep must not pass by giving no estimates.
    assert!(
        estimates > 1000,
        "{kind:?}: only {estimates} estimates checked"
    );
}

#[test]
fn gaussian_matches_f64_weighted_least_squares() {
    check_kernel::<Gaussian>(KernelKind::Gaussian);
}

#[test]
fn epanechnikov_matches_f64_weighted_least_squares() {
    check_kernel::<Compact<Epanechnikov>>(KernelKind::Epanechnikov);
}

#[test]
fn laplace_matches_f64_weighted_least_squares() {
    check_kernel::<Laplace>(KernelKind::Laplace);
}

/// Few keys and a query far from most of them: the weights fall by orders of magnitude across
/// the keys, `D / (S0 S2)` comes down towards `EPS`, and the solve divides by a difference
/// of moments that nearly cancel. Every digit the moments lose there is multiplied by
/// `S0 S2 / D` (up to `1 / EPS`), so this sweep holds the vector pass to the same bounds as
/// the well-conditioned ones above, on every build (the key counts do not depend on `LANES`).
#[test]
fn few_keys_and_ill_conditioned_systems_keep_the_stated_accuracy() {
    let mut rng = Rng::new(2024);
    let mut estimates = 0;
    for _ in 0..200 {
        for m in 2..=6 {
            let (k, v) = data(&mut rng, m, 5.0);
            let sorted = SortedKeys::new(&k, &v).unwrap();
            let queries = rng.vec(25, -1.0, 6.0);
            let h = 0.4;
            let g = Gaussian::with_bandwidth(h);
            let fused = pool_linear(&g, &queries, &sorted, Par::Seq);
            estimates += assert_close(&fused, KernelKind::Gaussian, h, &queries, &k, &v, "simd");
            let twin = pool_linear_scalar(&g, &queries, &sorted);
            assert_close(&twin, KernelKind::Gaussian, h, &queries, &k, &v, "scalar");
        }
    }
    assert!(estimates > 10_000, "only {estimates} estimates checked");
}

/// The vector pass and its scalar twin take the same plans and compute each key's terms to
/// the bit (f32 weight and distance, the same f64 products); only the order of their f64 sums
/// differs. That moves each moment by at most `2 n 2^-53` of its sum of magnitudes, and the
/// solve's cancellation multiplies it by at most `4 S0 S2 / D <= 4 / EPS`: `n 2^-50 / EPS` of
/// the fit's and the slope's scales (`4.4e-9` at `n = 5000`), below half an f32 ulp
/// (`6e-8` relative), so the two round to the same f32 or to neighbours.
#[test]
fn simd_matches_scalar_twin() {
    let mut rng = Rng::new(7);
    let h = 0.4;
    for m in sizes() {
        let (k, v) = data(&mut rng, m, 5.0);
        let sorted = SortedKeys::new(&k, &v).unwrap();
        let queries = queries_for(&mut rng, 5.0, h);
        let kernel = Gaussian::with_bandwidth(h);
        let a = pool_linear(&kernel, &queries, &sorted, Par::Seq);
        let b = pool_linear_scalar(&kernel, &queries, &sorted);
        let ymax = v.iter().fold(0.0f64, |y, &x| y.max(f64::from(x).abs()));
        let order = m as f64 * 2f64.powi(-50) / EPS;
        let ulp = |x: f32| f64::from(f32::from_bits(x.abs().to_bits() + 1) - x.abs());
        for (i, q) in queries.iter().enumerate() {
            let (ya, yb) = (f64::from(a.y[i]), f64::from(b.y[i]));
            let (sa, sb) = (f64::from(a.slope[i]), f64::from(b.slope[i]));
            assert_eq!(ya.is_nan(), yb.is_nan(), "m={m} q={q}");
            if ya.is_nan() {
                continue;
            }
            let h = f64::from(h);
            assert!(
                (ya - yb).abs() <= ulp(b.y[i]) + order * (ymax + sb.abs() * h)
                    && (sa - sb).abs() <= ulp(b.slope[i]) + order * (sb.abs() + ymax / h),
                "m={m} q={q}: simd ({ya}, {sa}) scalar ({yb}, {sb})"
            );
        }
    }
}

fn check_line<K: Bandwidth>(kind: KernelKind) {
    let mut rng = Rng::new(3);
    for m in [2, LANES + 1, TILE + 1, 3000] {
        let k = rng.vec(m, -4.0, 6.0);
        let v: Vec<f32> = k.iter().map(|&x| 3.0 - 2.0 * x).collect();
        let sorted = SortedKeys::new(&k, &v).unwrap();
        let h = 1.5f32.max(20.0 / m as f32);
        let mut queries = rng.vec(30, -4.0, 6.0);
        queries.extend([-4.5, 6.4]);
        let got = pool_linear(&K::with_bandwidth(h), &queries, &sorted, Par::Seq);
        let mut checked = 0;
        for (i, &q) in queries.iter().enumerate() {
            let (a, b) = (f64::from(got.y[i]), f64::from(got.slope[i]));
            if a.is_nan() {
                // Only a compact kernel with too few keys in reach may decline.
                assert!(
                    kind.support().is_some(),
                    "{kind:?} m={m} q={q}: no estimate"
                );
                continue;
            }
            let want = 3.0 - 2.0 * f64::from(q);
            // Relative to the line's size at the query (it crosses 0 at 1.5).
            assert!(
                (a - want).abs() <= 1e-5 * want.abs().max(1.0) && (b + 2.0).abs() <= 2e-5,
                "{kind:?} m={m} q={q}: got ({a}, {b}), want ({want}, -2)"
            );
            checked += 1;
        }
        assert!(
            checked >= queries.len() / 2,
            "{kind:?} m={m}: {checked} fits"
        );
    }
}

#[test]
fn a_straight_line_is_recovered_by_every_kernel() {
    check_line::<Gaussian>(KernelKind::Gaussian);
    check_line::<Laplace>(KernelKind::Laplace);
    check_line::<Compact<Epanechnikov>>(KernelKind::Epanechnikov);
    check_line::<Compact<nw_tensor::kernels::compact::Uniform>>(KernelKind::Uniform);
    check_line::<Compact<nw_tensor::kernels::compact::Triangular>>(KernelKind::Triangular);
    check_line::<Compact<nw_tensor::kernels::compact::Biweight>>(KernelKind::Biweight);
    check_line::<Compact<nw_tensor::kernels::compact::Triweight>>(KernelKind::Triweight);
    check_line::<Compact<nw_tensor::kernels::compact::Tricube>>(KernelKind::Tricube);
    check_line::<Compact<nw_tensor::kernels::compact::Cosine>>(KernelKind::Cosine);
}

/// The slope against central differences of the fit. For a straight line the fit's derivative
/// is the slope exactly; for a curve `da/dq` and `b` differ by how the weights move with the
/// query, which on an even design away from the ends is below the differences' own
/// truncation error (`|sin(3)| delta^2 / 6 ~ 1.7e-5` at `delta = 1e-2`, sin(3) the third derivative): measured 1.8e-5 at
/// `h = 0.1`, so the bound is `1e-4`.
#[test]
fn the_slope_is_the_derivative_of_the_fit() {
    let k: Vec<f32> = (0..4000).map(|i| 6.0 * i as f32 / 3999.0).collect();
    let v: Vec<f32> = k.iter().map(|&x| x.sin()).collect();
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let g = Gaussian::with_bandwidth(0.1);
    let delta = 1e-2f32;
    for i in 0..50 {
        let q = 0.5 + 5.0 * i as f32 / 50.0;
        let r = pool_linear(&g, &[q - delta, q, q + delta], &sorted, Par::Seq);
        let fd = (f64::from(r.y[2]) - f64::from(r.y[0])) / f64::from((q + delta) - (q - delta));
        let b = f64::from(r.slope[1]);
        assert!((fd - b).abs() <= 1e-4, "q={q}: slope {b}, differences {fd}");
        // And both are the derivative of sin, up to the smoothing bias.
        assert!((b - f64::from(q).cos()).abs() <= 1e-2, "q={q}: slope {b}");
    }
}

/// Leave-one-out against refits: for each row, the f64 weighted least squares on all the other
/// rows, at that row's input.
fn check_loo<K: Bandwidth>(kind: KernelKind, h: f32, m: usize) {
    let mut rng = Rng::new(m as u64);
    let (k, v) = data(&mut rng, m, 5.0);
    // Two equal inputs: only the row itself is left out, its twin stays in.
    let (mut k, mut v) = (k, v);
    k.push(k[0]);
    v.push(v[0] + 0.1);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let kernel = K::with_bandwidth(h);
    let got = loo_linear(&kernel, &sorted, Par::Seq).unwrap();
    let twin = loo_linear_scalar(&kernel, &sorted).unwrap();
    let ymax = v.iter().fold(0.0f64, |a, &b| a.max(f64::from(b).abs()));
    let (mut loss, mut far, mut unsure) = (0.0, 0, 0);
    for i in 0..k.len() {
        let (ok, ov): (Vec<f32>, Vec<f32>) = (0..k.len())
            .filter(|&j| j != i)
            .map(|j| (k[j], v[j]))
            .unzip();
        let g = f64::from(got.y_hat[i]);
        match reference(kind, h, k[i], &ok, &ov) {
            Some((a, b, cond)) if cond > 2.0 * EPS => {
                let tol = REL_A * (ymax + b.abs() * f64::from(h));
                assert!(
                    (g - a).abs() <= tol,
                    "{kind:?} m={m} row {i}: {g} vs refit {a}"
                );
                let t = f64::from(twin.y_hat[i]);
                assert!(
                    (t - a).abs() <= tol,
                    "{kind:?} m={m} row {i}: twin {t} vs {a}"
                );
                loss += (a - f64::from(v[i])).powi(2);
            }
            // Too close to a cut to say: the loss and the count take the library's word.
            Some((_, _, cond)) if cond > EPS / 2.0 || cond.is_nan() => {
                unsure += 1;
                if g.is_nan() {
                    far += 1;
                } else {
                    loss += (g - f64::from(v[i])).powi(2);
                }
            }
            _ => {
                assert!(g.is_nan(), "{kind:?} m={m} row {i}: no refit, got {g}");
                far += 1;
            }
        }
    }
    assert!(
        unsure <= 1 + k.len() / 10,
        "{kind:?} m={m}: {unsure} rows too close to a cut"
    );
    assert_eq!(got.far, far, "{kind:?} m={m}");
    assert!(
        (got.loss - loss).abs() <= 1e-3 * loss,
        "{kind:?} m={m}: loss {} vs refits {loss}",
        got.loss
    );
}

#[test]
fn leave_one_out_matches_refits_without_each_row() {
    for m in [2, LANES + 1, 2 * LANES + 1, TILE + 5] {
        check_loo::<Gaussian>(KernelKind::Gaussian, 0.3, m);
        check_loo::<Compact<Epanechnikov>>(KernelKind::Epanechnikov, 0.4, m);
        check_loo::<Laplace>(KernelKind::Laplace, 0.3, m);
    }
}

#[test]
fn singular_systems_have_no_estimate() {
    // One key in reach of a compact kernel: a line through one point is not determined.
    let sorted = SortedKeys::new(&[0.0, 5.0, 10.0], &[1.0, 2.0, 3.0]).unwrap();
    let epa = Compact::<Epanechnikov>::with_bandwidth(0.5);
    let got = pool_linear(&epa, &[0.1, -0.2, 5.0, 2.5, 10.3], &sorted, Par::Seq);
    assert!(
        got.y.iter().chain(&got.slope).all(|x| x.is_nan()),
        "{got:?}"
    );
    let twin = pool_linear_scalar(&epa, &[0.1, -0.2, 5.0, 2.5, 10.3], &sorted);
    assert_eq!(bits(&twin.y), bits(&got.y));
    // Every key equal: any line through their mean fits, whatever the kernel and the query.
    let same = SortedKeys::new(&[2.0; 40], &(0..40).map(|i| i as f32).collect::<Vec<_>>()).unwrap();
    for q in [1.0, 2.0, 2.001, 3.0, -100.0] {
        for got in [
            pool_linear(&Gaussian::with_bandwidth(1.0), &[q], &same, Par::Seq),
            pool_linear(&Laplace::with_bandwidth(1.0), &[q], &same, Par::Seq),
            pool_linear(
                &Compact::<Epanechnikov>::with_bandwidth(3.0),
                &[q],
                &same,
                Par::Seq,
            ),
        ] {
            assert!(got.y[0].is_nan() && got.slope[0].is_nan(), "q={q}: {got:?}");
        }
    }
    // A single key, no keys, a query that is not finite.
    let one = SortedKeys::new(&[1.0], &[4.0]).unwrap();
    let g = Gaussian::with_bandwidth(1.0);
    assert!(
        pool_linear(&g, &[0.0, 1.0], &one, Par::Seq)
            .y
            .iter()
            .all(|y| y.is_nan())
    );
    let empty = SortedKeys::new(&[], &[]).unwrap();
    assert!(pool_linear(&g, &[0.0], &empty, Par::Seq).y[0].is_nan());
    let two = SortedKeys::new(&[0.0, 1.0], &[0.0, 1.0]).unwrap();
    let got = pool_linear(&g, &[f32::NAN, f32::INFINITY, 0.5], &two, Par::Seq);
    assert!(got.y[0].is_nan() && got.y[1].is_nan());
    assert!(
        (got.y[2] - 0.5).abs() < 1e-6 && (got.slope[2] - 1.0).abs() < 1e-5,
        "{got:?}"
    );
    // Leave-one-out with two rows: each is left with one key, so neither has a fit.
    let loo = loo_linear(&g, &two, Par::Seq).unwrap();
    assert_eq!((loo.far, loo.loss), (2, 0.0));
    assert!(loo_linear(&g, &one, Par::Seq).is_err());
}

#[test]
fn the_same_bits_on_one_two_and_three_threads() {
    let mut rng = Rng::new(99);
    let (k, v) = data(&mut rng, 3 * TILE + 17, 5.0);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let queries = queries_for(&mut rng, 5.0, 0.2);
    let queries: Vec<f32> = queries.iter().cycle().take(300).copied().collect();
    let run = |threads| {
        on_threads(threads, || {
            let g = Gaussian::with_bandwidth(0.2);
            let e = Compact::<Epanechnikov>::with_bandwidth(0.2);
            let a = pool_linear(&g, &queries, &sorted, Par::Rayon);
            let b = pool_linear(&e, &queries, &sorted, Par::Rayon);
            let l = loo_linear(&g, &sorted, Par::Rayon).unwrap();
            (
                [
                    bits(&a.y),
                    bits(&a.slope),
                    bits(&b.y),
                    bits(&b.slope),
                    bits(&l.y_hat),
                ],
                l.loss.to_bits(),
                l.far,
            )
        })
    };
    let seq = {
        let g = Gaussian::with_bandwidth(0.2);
        let e = Compact::<Epanechnikov>::with_bandwidth(0.2);
        let a = pool_linear(&g, &queries, &sorted, Par::Seq);
        let b = pool_linear(&e, &queries, &sorted, Par::Seq);
        let l = loo_linear(&g, &sorted, Par::Seq).unwrap();
        (
            [
                bits(&a.y),
                bits(&a.slope),
                bits(&b.y),
                bits(&b.slope),
                bits(&l.y_hat),
            ],
            l.loss.to_bits(),
            l.far,
        )
    };
    for threads in [1, 2, 3] {
        assert!(
            run(threads) == seq,
            "{threads} threads differ from sequential"
        );
    }
}

/// Values large enough to be summed scaled down (`SortedKeys`' "Large values") come back at
/// their own scale, fit and slope alike.
#[test]
fn large_values_are_scaled_back() {
    let k: Vec<f32> = (0..300).map(|i| i as f32 / 30.0).collect();
    let v: Vec<f32> = k.iter().map(|&x| 1e35 * (3.0 - 2.0 * x)).collect();
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let got = pool_linear(
        &Gaussian::with_bandwidth(0.5),
        &[0.5, 4.0, 11.0],
        &sorted,
        Par::Seq,
    );
    for (i, q) in [0.5f64, 4.0, 11.0].into_iter().enumerate() {
        let want = 1e35 * (3.0 - 2.0 * q);
        let (a, b) = (f64::from(got.y[i]), f64::from(got.slope[i]));
        assert!(
            (a - want).abs() <= 1e-5 * want.abs(),
            "q={q}: {a} vs {want}"
        );
        assert!((b + 2e35).abs() <= 1e-5 * 2e35, "q={q}: slope {b}");
    }
}

/// The full fit and the leverage of [`loo_linear`] against f64 refits with every row: the fit
/// at each example's input and its own weight in it, about the pivot the pass uses (the
/// example, or its nearest other key at the ends); the leave-one-out identity on the f64
/// references.
#[test]
fn leave_one_out_fits_and_leverages_match_f64() {
    for m in [2, 3, LANES + 1, 2 * LANES + 1, TILE + 5] {
        for (kind, h) in [
            (KernelKind::Gaussian, 0.3f32),
            (KernelKind::Epanechnikov, 0.5),
            (KernelKind::Laplace, 0.3),
        ] {
            let mut rng = Rng::new(m as u64 + 7);
            let (mut k, mut v) = data(&mut rng, m, 5.0);
            k.push(k[0]);
            v.push(v[0] + 0.1);
            let sorted = SortedKeys::new(&k, &v).unwrap();
            let got = match kind {
                KernelKind::Gaussian => loo_linear(&Gaussian::with_bandwidth(h), &sorted, Par::Seq),
                KernelKind::Laplace => loo_linear(&Laplace::with_bandwidth(h), &sorted, Par::Seq),
                _ => loo_linear(
                    &Compact::<Epanechnikov>::with_bandwidth(h),
                    &sorted,
                    Par::Seq,
                ),
            }
            .unwrap();
            let pivot = |i: usize| {
                let x = k[i];
                let others = (0..k.len()).filter(|&j| j != i).map(|j| k[j]);
                let below = others
                    .clone()
                    .filter(|&o| o < x)
                    .fold(f32::NEG_INFINITY, f32::max);
                let above = others.filter(|&o| o >= x).fold(f32::INFINITY, f32::min);
                if below.is_finite() && above.is_finite() {
                    x
                } else if below.is_finite() {
                    below
                } else {
                    above
                }
            };
            let row = |i: usize, j: usize| {
                let t = f64::from(k[j]) - f64::from(pivot(i));
                let u = (f64::from(k[j]) - f64::from(k[i])) / f64::from(h);
                // Regressors about the pivot (the frame of the pass's conditioning rule).
                (kind.ln_k(u), vec![1.0, t])
            };
            let ymax = v.iter().fold(0.0f64, |a, &b| a.max(f64::from(b).abs()));
            let e = common::check_loo(
                &got.y_hat,
                &got.fit,
                &got.leverage,
                got.far,
                got.loss,
                row,
                &v,
                EPS,
                ymax,
                REL_A,
                &format!("{kind:?} m={}", k.len()),
            );
            assert!(e.checked > 0, "{kind:?} m={m}: no full fit checked");
        }
    }
}
