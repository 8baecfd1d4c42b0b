//! Local quadratic regression with one input: against an f64 weighted least squares solved
//! directly (weights from `KernelKind::ln_k`) about the pivot the pass uses and read at the
//! query, for the Gaussian, Epanechnikov and Laplace kernels over key counts crossing lane and
//! tile boundaries and queries inside and outside the span; the scalar twin alike; a parabola
//! recovered with its slope; declines; leave-one-out against refits, full fits and leverages;
//! the same bits on 1 and 2 threads.

mod common;

use common::{Local, Rng, bits, check_loo, local, on_threads};
use nw_tensor::Par;
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::compact::{Compact, Epanechnikov};
use nw_tensor::kernels::radial::{Bandwidth, Gaussian, KernelKind, Laplace};
use nw_tensor::ops::local_linear::EPS;
use nw_tensor::ops::local_quadratic::{
    Quadratic, loo_quadratic, loo_quadratic_scalar, pool_quadratic, pool_quadratic_scalar,
};
use nw_tensor::ops::pool::{SortedKeys, TILE};

/// The stated accuracy (module docs of `local_quadratic`).
const TOL: f64 = 1e-4;

/// The pass's pivot for query `q` over `keys`, leaving out index `skip`: the query inside the
/// span of the other keys, else the nearest of them.
fn pivot(q: f32, keys: &[f32], skip: Option<usize>) -> f32 {
    let others = keys
        .iter()
        .enumerate()
        .filter(|&(j, _)| Some(j) != skip)
        .map(|(_, &k)| k);
    let below = others
        .clone()
        .filter(|&k| k < q)
        .fold(f32::NEG_INFINITY, f32::max);
    let above = others.filter(|&k| k >= q).fold(f32::INFINITY, f32::min);
    if below.is_finite() && above.is_finite() {
        q
    } else if below.is_finite() {
        below
    } else {
        above
    }
}

/// Key `k`'s log-kernel seen from `q` and regressors about `p`.
fn row(kind: KernelKind, h: f32, q: f32, p: f32, k: f32) -> (f64, Vec<f64>) {
    let t = f64::from(k) - f64::from(p);
    let u = (f64::from(k) - f64::from(q)) / f64::from(h);
    (kind.ln_k(u), vec![1.0, t, t * t])
}

/// Checks every query; returns the worst error and the number of estimates.
fn assert_close(
    got: &Quadratic,
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    what: &str,
) -> (f64, usize) {
    let ymax = values
        .iter()
        .fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    let y: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let hf = f64::from(h);
    let (mut worst, mut n) = (0.0f64, 0);
    for (i, &q) in queries.iter().enumerate() {
        let p = pivot(q, keys, None);
        let (ln, x): (Vec<f64>, Vec<Vec<f64>>) =
            keys.iter().map(|&k| row(kind, h, q, p, k)).unzip();
        let c = f64::from(q) - f64::from(p);
        let (gy, gs) = (f64::from(got.y[i]), f64::from(got.slope[i]));
        match local(&ln, None, &x, &y, &[1.0, c, c * c], EPS) {
            Local::Fit(r) => {
                let slope = r.beta[1] + 2.0 * r.beta[2] * c;
                let scale = ymax + slope.abs() * hf + r.beta[2].abs() * hf * hf;
                let ey = (gy - r.fit).abs() / scale;
                let es = (gs - slope).abs() * hf / scale;
                assert!(
                    ey <= TOL && es <= TOL,
                    "{what} {kind:?} h={h} m={} q={q}: got ({gy}, {gs}), want ({}, {slope}), \
                     errors {ey:e} {es:e}",
                    keys.len(),
                    r.fit
                );
                worst = worst.max(ey).max(es);
                n += 1;
            }
            Local::Unsure => {}
            Local::Nothing | Local::Declined => assert!(
                gy.is_nan() && gs.is_nan(),
                "{what} {kind:?} h={h} m={} q={q}: no estimate expected, got ({gy}, {gs})",
                keys.len()
            ),
        }
    }
    (worst, n)
}

fn data(rng: &mut Rng, m: usize) -> (Vec<f32>, Vec<f32>) {
    let k = rng.vec(m, 0.0, 5.0);
    let v = k
        .iter()
        .map(|&x| 1.0 + 0.5 * x + (2.0 * x).sin() + rng.uniform(-0.2, 0.2))
        .collect();
    (k, v)
}

fn check_kernel<K: Bandwidth>(kind: KernelKind) {
    let mut rng = Rng::new(21);
    let n_total = [
        3,
        4,
        LANES - 1,
        LANES,
        LANES + 1,
        2 * LANES + 1,
        TILE - 1,
        TILE + 1,
        2100,
    ]
    .into_iter()
    .map(|m| {
        let mut n = 0;
        for h in [5.0 * 6.0 / m as f32, 0.3, 2.0] {
            let (k, v) = data(&mut rng, m);
            let sorted = SortedKeys::new(&k, &v).unwrap();
            let mut q = rng.vec(30, 0.0, 5.0);
            q.extend([0.0, 5.0, -0.3 * h, -2.0 * h, 5.0 + 0.5 * h, 5.0 + 2.0 * h]);
            let kernel = K::with_bandwidth(h);
            let got = pool_quadratic(&kernel, &q, &sorted, Par::Seq);
            n += assert_close(&got, kind, h, &q, &k, &v, "simd").1;
            let twin = pool_quadratic_scalar(&kernel, &q, &sorted);
            assert_close(&twin, kind, h, &q, &k, &v, "scalar");
        }
        n
    })
    .sum::<usize>();
    assert!(n_total > 500, "{kind:?}: only {n_total} estimates");
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

#[test]
fn a_parabola_is_recovered_with_its_slope() {
    let mut rng = Rng::new(4);
    for m in [LANES + 1, TILE + 1, 3000] {
        let k = rng.vec(m, -4.0, 6.0);
        let v: Vec<f32> = k.iter().map(|&x| 3.0 - 2.0 * x + 0.5 * x * x).collect();
        let sorted = SortedKeys::new(&k, &v).unwrap();
        let mut q = rng.vec(30, -4.0, 6.0);
        q.extend([-5.0, 7.0]);
        let got = pool_quadratic(&Gaussian::with_bandwidth(1.5), &q, &sorted, Par::Seq);
        for (i, &q) in q.iter().enumerate() {
            let q = f64::from(q);
            let want = 3.0 - 2.0 * q + 0.5 * q * q;
            let (y, s) = (f64::from(got.y[i]), f64::from(got.slope[i]));
            assert!(
                (y - want).abs() <= 1e-5 * want.abs().max(1.0),
                "m={m} q={q}: {y} vs {want}"
            );
            assert!(
                (s - (q - 2.0)).abs() <= 2e-5 * q.abs().max(1.0),
                "m={m} q={q}: slope {s}"
            );
        }
    }
}

#[test]
fn declines_give_nan() {
    let g = Gaussian::with_bandwidth(1.0);
    // Two distinct keys: a parabola through two points is not determined.
    let two = SortedKeys::new(&[0.0, 1.0, 1.0], &[0.0, 1.0, 2.0]).unwrap();
    let got = pool_quadratic(&g, &[0.5, -3.0, 4.0], &two, Par::Seq);
    assert!(
        got.y.iter().chain(&got.slope).all(|x| x.is_nan()),
        "{got:?}"
    );
    let twin = pool_quadratic_scalar(&g, &[0.5, -3.0, 4.0], &two);
    assert_eq!(bits(&twin.y), bits(&got.y));
    // No key in reach, not finite, no keys; too few rows to leave one out.
    let keys = SortedKeys::new(&[0.0, 1.0, 2.0, 3.0], &[0.0, 1.0, 4.0, 9.0]).unwrap();
    let epa = Compact::<Epanechnikov>::with_bandwidth(2.5);
    let got = pool_quadratic(&epa, &[10.0, f32::NAN, 1.5], &keys, Par::Seq);
    assert!(got.y[0].is_nan() && got.y[1].is_nan() && (got.y[2] - 2.25).abs() < 1e-5);
    let empty = SortedKeys::new(&[], &[]).unwrap();
    assert!(pool_quadratic(&g, &[0.0], &empty, Par::Seq).y[0].is_nan());
    let one = SortedKeys::new(&[1.0], &[1.0]).unwrap();
    assert!(loo_quadratic(&g, &one, Par::Seq).is_err());
}

fn check_loo_q<K: Bandwidth>(kind: KernelKind, h: f32, m: usize) {
    let mut rng = Rng::new(m as u64 + 3);
    let (mut k, mut v) = data(&mut rng, m);
    k.push(k[0]);
    v.push(v[0] + 0.1);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let kernel = K::with_bandwidth(h);
    let ymax = v.iter().fold(0.0f64, |a, &b| a.max(f64::from(b).abs()));
    let row = |i: usize, j: usize| row(kind, h, k[i], pivot(k[i], &k, Some(i)), k[j]);
    for (got, what) in [
        (loo_quadratic(&kernel, &sorted, Par::Seq).unwrap(), "simd"),
        (loo_quadratic_scalar(&kernel, &sorted).unwrap(), "scalar"),
    ] {
        let what = format!("{what} {kind:?} m={}", k.len());
        let e = check_loo(
            &got.y_hat,
            &got.fit,
            &got.leverage,
            got.far,
            got.loss,
            row,
            &v,
            EPS,
            ymax,
            TOL,
            &what,
        );
        // Four rows of which two are equal leave too little to fit a curvature about.
        assert!(e.checked > 0 || k.len() < 8, "{what}: no full fit checked");
    }
}

#[test]
fn leave_one_out_matches_refits_fits_and_leverages() {
    for m in [3, LANES + 1, 2 * LANES + 1, TILE + 5] {
        check_loo_q::<Gaussian>(KernelKind::Gaussian, 0.3, m);
        check_loo_q::<Compact<Epanechnikov>>(KernelKind::Epanechnikov, 0.6, m);
        check_loo_q::<Laplace>(KernelKind::Laplace, 0.3, m);
    }
}

#[test]
fn the_same_bits_on_one_and_two_threads() {
    let mut rng = Rng::new(99);
    let (k, v) = data(&mut rng, 2 * TILE + 17);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let q = rng.vec(300, -0.5, 5.5);
    let run = |par: Par| {
        let g = Gaussian::with_bandwidth(0.2);
        let a = pool_quadratic(&g, &q, &sorted, par);
        let l = loo_quadratic(&g, &sorted, par).unwrap();
        let lev: Vec<u64> = l.leverage.iter().map(|x| x.to_bits()).collect();
        (
            [bits(&a.y), bits(&a.slope), bits(&l.y_hat), bits(&l.fit)],
            lev,
            l.loss.to_bits(),
        )
    };
    let seq = run(Par::Seq);
    assert!(on_threads(2, || run(Par::Rayon)) == seq, "2 threads differ");
    assert!(on_threads(1, || run(Par::Rayon)) == seq, "1 thread differs");
}
