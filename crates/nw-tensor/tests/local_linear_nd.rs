//! Local linear regression in `d` dimensions: against an f64 weighted least squares solved
//! directly (weights from `KernelKind::ln_k`, Gaussian elimination) on the same f32 inputs,
//! for the Gaussian, Epanechnikov and Laplace kernels in 2 and 3 dimensions, over key counts
//! crossing lane and tile boundaries and queries inside and outside the data; the scalar twin
//! alike; a plane recovered; declines; leave-one-out against refits; the same bits on 1 and 2
//! threads.
//!
//! Worst errors measured (relative to `max |y| + sum_j |b_j| h_j`, slopes times `h_j`), AVX-512
//! build, against the bound `1e-4`: fit 1.2e-6, slopes 6.4e-7; leave-one-out `y_hat` 7.1e-8,
//! full fit 5.9e-8, leverage 1.1e-7 (absolute). The bound leaves room for other builds and
//! data.

mod common;

use common::{Local, Rng, bits, check_loo, local, on_threads};
use nw_tensor::Par;
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::radial::KernelKind;
use nw_tensor::ops::local_linear::EPS;
use nw_tensor::ops::local_linear_nd::{
    LinearNd, loo_linear_nd, loo_linear_nd_scalar, pool_linear_nd, pool_linear_nd_scalar,
};
use nw_tensor::ops::pool::TILE;
use nw_tensor::ops::pool_nd::KeysNd;

/// The stated accuracy (module docs of `local_linear_nd`).
const TOL: f64 = 1e-4;

/// The f64 reference at query `q` (`d` numbers): weights `prod_j K(u_j)`, regressors
/// `(1, k - q)` in input units.
fn reference(kind: KernelKind, h: &[f32], q: &[f32], keys: &[f32], values: &[f32]) -> Local {
    let d = h.len();
    let (ln, x): (Vec<f64>, Vec<Vec<f64>>) =
        keys.chunks_exact(d).map(|k| row(kind, h, q, k)).unzip();
    let y: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let mut at = vec![0.0; d + 1];
    at[0] = 1.0;
    local(&ln, None, &x, &y, &at, EPS)
}

/// Key `k`'s log-kernel and regressors seen from `q`.
fn row(kind: KernelKind, h: &[f32], q: &[f32], k: &[f32]) -> (f64, Vec<f64>) {
    let mut x = vec![1.0];
    let mut ln = 0.0;
    for ((&k, &q), &h) in k.iter().zip(q).zip(h) {
        let t = f64::from(k) - f64::from(q);
        x.push(t);
        ln += kind.ln_k(t / f64::from(h));
    }
    (ln, x)
}

/// Checks every query against the reference; returns the worst errors `(fit, slope)` and the
/// number of estimates checked.
fn assert_close(
    got: &LinearNd,
    kind: KernelKind,
    h: &[f32],
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    what: &str,
) -> (f64, f64, usize) {
    let d = h.len();
    let ymax = values
        .iter()
        .fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    let (mut ea, mut eb, mut n) = (0.0f64, 0.0f64, 0);
    for (i, q) in queries.chunks_exact(d).enumerate() {
        let ga = f64::from(got.y[i]);
        let gb = &got.slopes[i * d..(i + 1) * d];
        match reference(kind, h, q, keys, values) {
            Local::Fit(r) => {
                let scale = ymax
                    + (0..d)
                        .map(|j| r.beta[j + 1].abs() * f64::from(h[j]))
                        .sum::<f64>();
                let a = (ga - r.beta[0]).abs() / scale;
                let b = (0..d)
                    .map(|j| (f64::from(gb[j]) - r.beta[j + 1]).abs() * f64::from(h[j]) / scale)
                    .fold(0.0, f64::max);
                assert!(
                    a <= TOL && b <= TOL,
                    "{what} {kind:?} d={d} m={} q={q:?}: got {ga} {gb:?}, want {:?}, errors {a:e} {b:e}",
                    values.len(),
                    r.beta
                );
                ea = ea.max(a);
                eb = eb.max(b);
                n += 1;
            }
            Local::Unsure => {}
            Local::Nothing | Local::Declined => assert!(
                ga.is_nan() && gb.iter().all(|b| b.is_nan()),
                "{what} {kind:?} d={d} m={} q={q:?}: no estimate expected, got {ga} {gb:?}",
                values.len()
            ),
        }
    }
    (ea, eb, n)
}

/// Data in `[0, 5]^d` with a trend, curvature and noise.
fn data(rng: &mut Rng, m: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
    let k = rng.vec(m * d, 0.0, 5.0);
    let v = k
        .chunks_exact(d)
        .map(|x| {
            1.0 + 0.5 * x[0] - 0.3 * x[1 % d]
                + (2.0 * x[0]).sin() * x[d - 1].cos()
                + rng.uniform(-0.2, 0.2)
        })
        .collect();
    (k, v)
}

/// Queries inside the data and outside it (below in one dimension, above in another).
fn queries_for(rng: &mut Rng, d: usize, h: f32) -> Vec<f32> {
    let mut q = rng.vec(25 * d, 0.0, 5.0);
    for j in 0..d {
        let mut a = vec![2.5; d];
        a[j] = -0.5 * h;
        q.extend(&a);
        a[j] = 5.0 + 2.0 * h;
        q.extend(&a);
    }
    q
}

fn sizes() -> Vec<usize> {
    vec![
        3,
        5,
        LANES - 1,
        LANES,
        LANES + 1,
        2 * LANES + 1,
        TILE - 1,
        TILE + 1,
        2100,
    ]
}

fn check_kernel(kind: KernelKind) {
    let mut rng = Rng::new(12);
    let (mut ea, mut eb, mut n) = (0.0f64, 0.0f64, 0);
    for d in [2, 3] {
        for m in sizes() {
            for c in [0.8f32, 1.5, 3.0] {
                // From a few keys in reach to most of the data.
                let base = 5.0 * (8.0 / m as f32).powf(1.0 / d as f32);
                let h: Vec<f32> = (0..d).map(|j| c * base * (1.0 + 0.2 * j as f32)).collect();
                let (k, v) = data(&mut rng, m, d);
                let keys = KeysNd::new(&k, d, &v, m % d).unwrap();
                let q = queries_for(&mut rng, d, h[0]);
                let fused = pool_linear_nd(kind, &h, &q, &keys, Par::Seq).unwrap();
                let (a, b, c) = assert_close(&fused, kind, &h, &q, &k, &v, "simd");
                let twin = pool_linear_nd_scalar(kind, &h, &q, &keys).unwrap();
                let (a2, b2, _) = assert_close(&twin, kind, &h, &q, &k, &v, "scalar");
                ea = ea.max(a).max(a2);
                eb = eb.max(b).max(b2);
                n += c;
            }
        }
    }
    assert!(n > 1000, "{kind:?}: only {n} estimates checked");
}

#[test]
fn gaussian_matches_f64_weighted_least_squares() {
    check_kernel(KernelKind::Gaussian);
}

#[test]
fn epanechnikov_matches_f64_weighted_least_squares() {
    check_kernel(KernelKind::Epanechnikov);
}

#[test]
fn laplace_matches_f64_weighted_least_squares() {
    check_kernel(KernelKind::Laplace);
}

/// The kernels sized for each compiled dimension (1, 2, 3, 4 and 8 keep their moments in
/// registers) and the run-time one (5), over sizes crossing lane and tile boundaries, vector
/// and scalar twin against the f64 reference.
#[test]
fn every_compiled_dimension_and_a_run_time_one_match_the_reference() {
    let mut rng = Rng::new(31);
    for kind in [KernelKind::Gaussian, KernelKind::Epanechnikov] {
        for d in [1, 4, 5, 8] {
            let mut n = 0;
            for m in [LANES - 1, 2 * LANES + 1, TILE + 1] {
                let base = 5.0 * (8.0 / m as f32).powf(1.0 / d as f32);
                let h: Vec<f32> = (0..d)
                    .map(|j| 1.5 * base * (1.0 + 0.2 * j as f32))
                    .collect();
                let (k, v) = data(&mut rng, m, d);
                let keys = KeysNd::new(&k, d, &v, m % d).unwrap();
                let q = queries_for(&mut rng, d, h[0]);
                let fused = pool_linear_nd(kind, &h, &q, &keys, Par::Seq).unwrap();
                n += assert_close(&fused, kind, &h, &q, &k, &v, "simd").2;
                let twin = pool_linear_nd_scalar(kind, &h, &q, &keys).unwrap();
                assert_close(&twin, kind, &h, &q, &k, &v, "scalar");
            }
            assert!(n >= 20, "{kind:?} d={d}: only {n} estimates checked");
        }
    }
}

#[test]
fn a_plane_is_recovered_with_its_slopes() {
    let mut rng = Rng::new(5);
    for kind in [
        KernelKind::Gaussian,
        KernelKind::Laplace,
        KernelKind::Epanechnikov,
    ] {
        for (d, m) in [(2, 8 * LANES + 1), (2, TILE + 1), (3, 500)] {
            let b = [0.5f64, -1.5, 0.25];
            let k = rng.vec(m * d, -3.0, 4.0);
            let v: Vec<f32> = k
                .chunks_exact(d)
                .map(|x| (2.0 + (0..d).map(|j| b[j] * f64::from(x[j])).sum::<f64>()) as f32)
                .collect();
            let keys = KeysNd::new(&k, d, &v, 0).unwrap();
            let h = vec![2.0f32; d];
            let q = rng.vec(30 * d, -3.0, 4.0);
            let got = pool_linear_nd(kind, &h, &q, &keys, Par::Seq).unwrap();
            let mut fits = 0;
            for (i, q) in q.chunks_exact(d).enumerate() {
                if got.y[i].is_nan() {
                    continue;
                }
                let want = 2.0 + (0..d).map(|j| b[j] * f64::from(q[j])).sum::<f64>();
                let a = f64::from(got.y[i]);
                assert!(
                    (a - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{kind:?} d={d} q={q:?}: {a} vs {want}"
                );
                for (j, (&s, &bj)) in got.slopes[i * d..(i + 1) * d].iter().zip(&b).enumerate() {
                    let s = f64::from(s);
                    assert!((s - bj).abs() <= 1e-5, "{kind:?} d={d} slope {j}: {s}");
                }
                fits += 1;
            }
            assert!(fits >= 20, "{kind:?} d={d} m={m}: {fits} fits");
        }
    }
}

#[test]
fn declines_give_nan() {
    let g = KernelKind::Gaussian;
    // Two keys in 2-D: a plane through two points is not determined.
    let two = KeysNd::new(&[0.0, 0.0, 1.0, 1.0], 2, &[1.0, 2.0], 0).unwrap();
    let got = pool_linear_nd(g, &[1.0, 1.0], &[0.5, 0.5, 3.0, -1.0], &two, Par::Seq).unwrap();
    assert!(
        got.y.iter().chain(&got.slopes).all(|x| x.is_nan()),
        "{got:?}"
    );
    // Every key on a line in 2-D.
    let k: Vec<f32> = (0..50)
        .flat_map(|i| [i as f32 / 10.0, 1.0 + 0.2 * i as f32])
        .collect();
    let v: Vec<f32> = (0..50).map(|i| (i as f32).sin()).collect();
    let line = KeysNd::new(&k, 2, &v, 1).unwrap();
    for kind in [g, KernelKind::Laplace, KernelKind::Epanechnikov] {
        let q = [2.5, 1.5, 0.0, 0.0, 2.0, 1.4];
        let got = pool_linear_nd(kind, &[1.0, 1.0], &q, &line, Par::Seq).unwrap();
        assert!(
            got.y.iter().chain(&got.slopes).all(|x| x.is_nan()),
            "{kind:?}: {got:?}"
        );
        let twin = pool_linear_nd_scalar(kind, &[1.0, 1.0], &q, &line).unwrap();
        assert!(twin.y.iter().all(|x| x.is_nan()));
    }
    // No key in a compact kernel's reach, a query that is not finite, no keys.
    let (k, v) = data(&mut Rng::new(1), 40, 2);
    let keys = KeysNd::new(&k, 2, &v, 0).unwrap();
    let q = [20.0, 2.0, f32::NAN, 1.0, 2.5, 2.5];
    let got = pool_linear_nd(KernelKind::Epanechnikov, &[1.5, 1.5], &q, &keys, Par::Seq).unwrap();
    assert!(
        got.y[0].is_nan() && got.y[1].is_nan() && got.y[2].is_finite(),
        "{got:?}"
    );
    let empty = KeysNd::new(&[], 2, &[], 0).unwrap();
    let got = pool_linear_nd(g, &[1.0, 1.0], &[0.0, 0.0], &empty, Par::Seq).unwrap();
    assert!(got.y[0].is_nan() && got.slopes.len() == 2 && got.slopes[1].is_nan());
    // Errors: bandwidths per dimension, whole query rows, at least 2 examples.
    assert!(pool_linear_nd(g, &[1.0], &[0.0, 0.0], &keys, Par::Seq).is_err());
    assert!(pool_linear_nd(g, &[1.0, 1.0], &[0.0], &keys, Par::Seq).is_err());
    let one = KeysNd::new(&[0.0, 0.0], 2, &[1.0], 0).unwrap();
    assert!(loo_linear_nd(g, &[1.0, 1.0], &one, Par::Seq).is_err());
}

fn check_loo_nd(kind: KernelKind, d: usize, m: usize, c: f32) {
    let mut rng = Rng::new(m as u64 + d as u64);
    let (mut k, mut v) = data(&mut rng, m, d);
    // Two equal inputs: only the row itself is left out, its twin stays in.
    k.extend(k[..d].to_vec());
    v.push(v[0] + 0.1);
    let n = v.len();
    let keys = KeysNd::new(&k, d, &v, 0).unwrap();
    let h: Vec<f32> = (0..d).map(|j| c * (1.0 + 0.3 * j as f32)).collect();
    let ymax = v.iter().fold(0.0f64, |a, &b| a.max(f64::from(b).abs()));
    let row = |i: usize, j: usize| row(kind, &h, &k[i * d..(i + 1) * d], &k[j * d..(j + 1) * d]);
    for (got, what) in [
        (loo_linear_nd(kind, &h, &keys, Par::Seq).unwrap(), "simd"),
        (loo_linear_nd_scalar(kind, &h, &keys).unwrap(), "scalar"),
    ] {
        let what = format!("{what} {kind:?} d={d} m={n}");
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
        assert!(
            e.checked * 3 > n || (n < 10 && e.checked > 0),
            "{what}: {} full fits checked",
            e.checked
        );
    }
}

#[test]
fn leave_one_out_matches_refits_fits_and_leverages() {
    for (d, m) in [
        (2, 3),
        (2, LANES + 1),
        (2, 2 * LANES + 1),
        (3, 300),
        (2, TILE + 5),
    ] {
        check_loo_nd(KernelKind::Gaussian, d, m, 0.7);
        check_loo_nd(KernelKind::Epanechnikov, d, m, 1.8);
        check_loo_nd(KernelKind::Laplace, d, m, 0.7);
    }
}

#[test]
fn the_same_bits_on_one_and_two_threads() {
    let mut rng = Rng::new(99);
    let d = 2;
    let (k, v) = data(&mut rng, 2 * TILE + 17, d);
    let keys = KeysNd::new(&k, d, &v, 0).unwrap();
    let q: Vec<f32> = rng.vec(300 * d, -0.5, 5.5);
    let run = |par: Par| {
        let mut out = Vec::new();
        for kind in [KernelKind::Gaussian, KernelKind::Epanechnikov] {
            let a = pool_linear_nd(kind, &[0.4, 0.5], &q, &keys, par).unwrap();
            let l = loo_linear_nd(kind, &[0.4, 0.5], &keys, par).unwrap();
            let lev: Vec<u64> = l.leverage.iter().map(|x| x.to_bits()).collect();
            out.push((
                [bits(&a.y), bits(&a.slopes), bits(&l.y_hat), bits(&l.fit)],
                lev,
                l.loss.to_bits(),
                l.far,
            ));
        }
        out
    };
    let seq = run(Par::Seq);
    assert!(on_threads(2, || run(Par::Rayon)) == seq, "2 threads differ");
    assert!(on_threads(1, || run(Par::Rayon)) == seq, "1 thread differs");
}
