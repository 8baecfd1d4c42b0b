//! Confidence bands against an independent f64 reference: each query's smoother row solved as
//! a weighted least squares in raw distances (Gaussian elimination, weights from
//! `KernelKind::ln_k`), the residuals, both variance models and the standard errors from that
//! explicit smoother matrix; the wild bootstrap against a straight f64 implementation of the
//! same SplitMix64 draws, reproducible from its seed and the same bits on 1 and 2 threads; the
//! inverse normal CDF against tabulated values.

// The reference is written with indices, like the formulas it checks.
#![allow(clippy::needless_range_loop)]

use nw_model::estimator::normal_quantile;
use nw_model::{
    BandKind, BandOptions, BandWarning, Bandwidth, Bias, Far, Inputs, KernelKind, Multipliers,
    NadarayaWatson, Par, Variance,
};

/// Noisy, heteroscedastic data on `[0, 10]` with one input, or two.
fn data(n: usize, dim: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let noise = ((i * 7919 + 13) % 101) as f64 / 101.0 - 0.5;
        let a = 10.0 * i as f64 / n as f64 + 0.03 * noise;
        x.push(a);
        let mut f = a.sin();
        if dim == 2 {
            let b = ((i * 31) % n) as f64 / n as f64 * 4.0;
            x.push(b);
            f += 0.5 * b;
        }
        y.push(f + 0.4 * noise * (1.0 + a / 5.0));
    }
    (x, y)
}

fn fit(
    kind: KernelKind,
    degree: usize,
    x: &[f64],
    dim: usize,
    y: &[f64],
    h: &[f64],
) -> NadarayaWatson {
    NadarayaWatson::params()
        .kernel(kind)
        .degree(degree)
        .bandwidth(Bandwidth::PerInput(h.to_vec()))
        .far(Far::Nan)
        .par(Par::Seq)
        .fit(Inputs::new(x, dim).unwrap(), y)
        .unwrap()
}

/// The f64 smoother row at `q` over keys `xs` (row-major, `dim` each): `l` with
/// `sum_i l_i y_i` the weighted least squares fit of degree `degree` in raw distances
/// `t = k - q`, weights `exp(sum_j ln K(t_j / h_j))` relative to the largest (below `2^-64`
/// of it: 0, for the whole-line kernels). `None` without a weight.
fn reference_row(
    kind: KernelKind,
    degree: usize,
    dim: usize,
    xs: &[f32],
    h: &[f64],
    q: &[f64],
) -> Option<Vec<f64>> {
    let n = xs.len() / dim;
    let t = |i: usize, j: usize| f64::from(xs[i * dim + j]) - q[j];
    let lw: Vec<f64> = (0..n)
        .map(|i| (0..dim).map(|j| kind.ln_k(t(i, j) / h[j])).sum())
        .collect();
    let max = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return None;
    }
    let w: Vec<f64> = lw
        .iter()
        .map(|&v| {
            let d = v - max;
            if kind.support().is_none() && d < -64.0 * 2f64.ln() {
                0.0
            } else {
                d.exp()
            }
        })
        .collect();
    let basis = |i: usize| -> Vec<f64> {
        match degree {
            0 => vec![1.0],
            1 => std::iter::once(1.0)
                .chain((0..dim).map(|j| t(i, j)))
                .collect(),
            _ => vec![1.0, t(i, 0), t(i, 0) * t(i, 0)],
        }
    };
    let k = basis(0).len();
    let mut m = vec![vec![0.0; k + 1]; k];
    for i in 0..n {
        let b = basis(i);
        for r in 0..k {
            for c in 0..k {
                m[r][c] += w[i] * b[r] * b[c];
            }
        }
    }
    m[0][k] = 1.0;
    // Gaussian elimination with partial pivoting on [M | e1].
    for col in 0..k {
        let p = (col..k)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, p);
        for r in 0..k {
            if r != col {
                let f = m[r][col] / m[col][col];
                for c in col..=k {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
    }
    let a: Vec<f64> = (0..k).map(|r| m[r][k] / m[r][r]).collect();
    Some(
        (0..n)
            .map(|i| w[i] * basis(i).iter().zip(&a).map(|(x, a)| x * a).sum::<f64>())
            .collect(),
    )
}

/// The explicit smoother matrix of `model`'s data at `queries` (kernel coordinates equal the
/// inputs here: no origin, unit 1), degree `degree`.
fn matrix(model: &NadarayaWatson, degree: usize, queries: &[f64]) -> Vec<Option<Vec<f64>>> {
    let (xs, _) = model.training_coordinates();
    let dim = model.dim();
    queries
        .chunks(dim)
        .map(|q| reference_row(model.kernel(), degree, dim, xs, model.bandwidths(), q))
        .collect()
}

/// Residuals, leverages trace, RSS of the model's own degree at its training rows.
struct Reference {
    r: Vec<f64>,
    homo: f64,
    hetero: Vec<f64>,
}

fn reference(model: &NadarayaWatson) -> Reference {
    let (xs, ys) = model.training_coordinates();
    let dim = model.dim();
    let train: Vec<f64> = xs.iter().map(|&v| f64::from(v)).collect();
    let h = matrix(model, model.degree(), &train);
    let n = ys.len();
    let mut r = vec![0.0; n];
    let (mut rss, mut trace) = (0.0, 0.0);
    for i in 0..n {
        let row = h[i].as_ref().expect("every training row has a fit here");
        let fit: f64 = row.iter().zip(ys).map(|(l, &y)| l * f64::from(y)).sum();
        r[i] = f64::from(ys[i]) - fit;
        rss += r[i] * r[i];
        trace += row[i];
        // The bands perturb and smooth the leverage-adjusted residual (HC2).
        r[i] /= (1.0 - row[i]).sqrt();
    }
    let nw = matrix_nw(model, &train, dim);
    let hetero = nw
        .iter()
        .map(|row| row.iter().zip(&r).map(|(l, r)| l * r * r).sum())
        .collect();
    Reference {
        homo: rss / (n as f64 - trace),
        r,
        hetero,
    }
}

fn matrix_nw(model: &NadarayaWatson, train: &[f64], dim: usize) -> Vec<Vec<f64>> {
    let (xs, _) = model.training_coordinates();
    train
        .chunks(dim)
        .map(|q| reference_row(model.kernel(), 0, dim, xs, model.bandwidths(), q).unwrap())
        .collect()
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-12),
        "{what}: {got} vs {want}"
    );
}

/// Queries inside the data and a little beyond both ends, each an f32 (as the kernels take
/// them), so that the reference sees the same queries.
fn queries(dim: usize) -> Vec<f64> {
    (0..23)
        .flat_map(|i| {
            let a = -0.4 + 10.8 * i as f64 / 22.0;
            if dim == 1 {
                vec![a]
            } else {
                vec![a, (i % 5) as f64 * 0.9]
            }
        })
        .map(|v| f64::from(v as f32))
        .collect()
}

#[test]
fn asymptotic_se_matches_the_explicit_smoother_matrix() {
    let cases = [
        (KernelKind::Gaussian, 1, 0, 0.6),
        (KernelKind::Gaussian, 1, 1, 0.6),
        (KernelKind::Gaussian, 1, 2, 0.9),
        (KernelKind::Epanechnikov, 1, 1, 1.4),
        (KernelKind::Laplace, 1, 0, 0.5),
        (KernelKind::Gaussian, 2, 1, 1.0),
        (KernelKind::Biweight, 2, 0, 2.0),
    ];
    for (kind, dim, degree, h) in cases {
        let (x, y) = data(150, dim);
        let model = fit(kind, degree, &x, dim, &y, &vec![h; dim]);
        let q = queries(dim);
        let refs = reference(&model);
        for bias in [Bias::Ignore, Bias::Correct] {
            for variance in [
                Variance::Homoscedastic,
                Variance::Heteroscedastic,
                Variance::Residuals,
            ] {
                let options = BandOptions {
                    bias,
                    variance,
                    ..Default::default()
                };
                let bands = model
                    .bands(Inputs::new(&q, dim).unwrap(), &options)
                    .unwrap();
                let band_degree = if bias == Bias::Correct && dim == 1 {
                    2
                } else {
                    degree
                };
                assert_eq!(bands.degree, band_degree);
                assert_eq!(
                    bands.warnings.is_empty(),
                    !(bias == Bias::Correct && dim > 1),
                    "{:?}",
                    bands.warnings
                );
                if bias == Bias::Correct && dim > 1 {
                    assert_eq!(bands.warnings, [BandWarning::BiasNotCorrected { dim }]);
                }
                // The residuals come from the fused f32 fit at the training rows (within ~1e-7
                // of the targets' scale), the smoothed squares from the fused f32 pooling: what
                // depends on them holds to 1e-5; the center, from the f64 smoother, to 1e-9.
                close(
                    bands.residual_variance,
                    refs.homo,
                    1e-5,
                    "residual variance",
                );
                let l = matrix(&model, band_degree, &q);
                let (_, ys) = model.training_coordinates();
                let what = format!("{kind:?} d{dim} p{degree} {bias:?} {variance:?}");
                for (i, row) in l.iter().enumerate() {
                    let row = row.as_ref().expect("every query has an estimate here");
                    let center: f64 = row.iter().zip(ys).map(|(l, &y)| l * f64::from(y)).sum();
                    let var: f64 = row
                        .iter()
                        .enumerate()
                        .map(|(j, l)| {
                            l * l
                                * match variance {
                                    Variance::Homoscedastic => refs.homo,
                                    Variance::Heteroscedastic => refs.hetero[j],
                                    Variance::Residuals => refs.r[j] * refs.r[j],
                                }
                        })
                        .sum();
                    close(bands.center[i], center, 1e-9, &format!("{what} center {i}"));
                    close(bands.se[i], var.sqrt(), 1e-5, &format!("{what} se {i}"));
                    let z = 1.959963984540054;
                    close(bands.critical, z, 1e-15, "z");
                    close(bands.hi[i] - bands.center[i], z * var.sqrt(), 1e-5, "hi");
                    close(bands.center[i] - bands.lo[i], z * var.sqrt(), 1e-5, "lo");
                }
                assert!(bands.no_estimate.is_empty());
            }
        }
    }
}

#[test]
fn a_query_out_of_reach_has_no_band() {
    let (x, y) = data(80, 1);
    let model = fit(KernelKind::Epanechnikov, 1, &x, 1, &y, &[0.8]);
    let q = [5.0, 30.0, 2.0, -11.0];
    for kind in [BandKind::Asymptotic, boot(99, 1, Multipliers::Rademacher)] {
        let bands = model
            .bands(
                Inputs::column(&q),
                &BandOptions {
                    kind,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(bands.no_estimate, [1, 3]);
        for i in [1, 3] {
            assert!(bands.center[i].is_nan() && bands.se[i].is_nan());
            assert!(bands.lo[i].is_nan() && bands.hi[i].is_nan());
        }
        for i in [0, 2] {
            assert!(bands.lo[i] < bands.center[i] && bands.center[i] < bands.hi[i]);
        }
    }
}

#[test]
fn the_targets_origin_comes_back() {
    let (x, y) = data(100, 1);
    let shifted: Vec<f64> = y.iter().map(|v| v + 1e6).collect();
    let q = queries(1);
    let a = fit(KernelKind::Gaussian, 1, &x, 1, &y, &[0.7]);
    let b = fit(KernelKind::Gaussian, 1, &x, 1, &shifted, &[0.7]);
    let o = BandOptions::default();
    let (ba, bb) = (
        a.bands(Inputs::column(&q), &o).unwrap(),
        b.bands(Inputs::column(&q), &o).unwrap(),
    );
    for i in 0..q.len() {
        // f32 targets about their own origin: the shifted ones round differently.
        assert!((bb.center[i] - 1e6 - ba.center[i]).abs() < 1e-4, "{i}");
        assert!(
            (bb.se[i] - ba.se[i]).abs() < 1e-4 * ba.se[i].max(1e-3),
            "{i}"
        );
    }
}

fn boot(replicates: usize, seed: u64, multipliers: Multipliers) -> BandKind {
    BandKind::Bootstrap {
        replicates,
        seed,
        multipliers,
    }
}

/// Key `id`'s multiplier for replicate `b`: SplitMix64 written out again (see
/// `nw_tensor::ops::multiplier`).
fn reference_multiplier(m: Multipliers, seed: u64, id: u64, b: usize) -> f64 {
    const G: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let state = mix(seed.wrapping_add((id + 1).wrapping_mul(G)));
    let out = |c: u64| mix(state.wrapping_add((c + 1).wrapping_mul(G)));
    let s5 = 5f64.sqrt();
    match m {
        Multipliers::Rademacher => {
            if (out(b as u64 / 64) >> (b % 64)) & 1 == 1 {
                1.0
            } else {
                -1.0
            }
        }
        Multipliers::Mammen => {
            let u = (out(b as u64) >> 11) as f64 / 2f64.powi(53);
            if u < (s5 - 1.0) / (2.0 * s5) {
                (s5 + 1.0) / 2.0
            } else {
                -(s5 - 1.0) / 2.0
            }
        }
    }
}

fn type1(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let k = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[k - 1]
}

#[test]
fn bootstrap_matches_a_straight_f64_reference_of_the_same_draws() {
    let replicates = 199;
    for (kind, dim, degree, h, m) in [
        (KernelKind::Gaussian, 1, 1, 0.6, Multipliers::Mammen),
        (KernelKind::Epanechnikov, 1, 0, 1.2, Multipliers::Rademacher),
        (KernelKind::Gaussian, 2, 1, 1.0, Multipliers::Rademacher),
    ] {
        let (x, y) = data(300, dim);
        let model = fit(kind, degree, &x, dim, &y, &vec![h; dim]);
        let q = queries(dim);
        let refs = reference(&model);
        let (_, ys) = model.training_coordinates();
        for simultaneous in [false, true] {
            // The classical wild bootstrap of the residuals themselves, which the reference
            // below perturbs.
            let options = BandOptions {
                kind: boot(replicates, 77, m),
                simultaneous,
                variance: Variance::Residuals,
                ..Default::default()
            };
            let bands = model
                .bands(Inputs::new(&q, dim).unwrap(), &options)
                .unwrap();
            let band_degree = if dim == 1 { 2 } else { degree };
            let l = matrix(&model, band_degree, &q);
            let mut sup = vec![0.0f64; replicates];
            let mut t_all = Vec::new();
            for (i, row) in l.iter().enumerate() {
                let row = row.as_ref().unwrap();
                let c: Vec<f64> = row.iter().zip(&refs.r).map(|(l, r)| l * r).collect();
                let se = c.iter().map(|c| c * c).sum::<f64>().sqrt();
                let mag: f64 = c.iter().map(|c| c.abs()).sum();
                let center: f64 = row.iter().zip(ys).map(|(l, &y)| l * f64::from(y)).sum();
                close(bands.center[i], center, 1e-9, "center");
                close(bands.se[i], se, 1e-5, "bootstrap sd");
                let t: Vec<f64> = (0..replicates)
                    .map(|b| {
                        c.iter()
                            .enumerate()
                            .map(|(j, c)| c * reference_multiplier(m, 77, j as u64, b))
                            .sum()
                    })
                    .collect();
                for (s, v) in sup.iter_mut().zip(&t) {
                    *s = s.max(v.abs() / se);
                }
                // f32 coefficients and the fast path's f32 tiles: within 1e-5 of the sum
                // of magnitudes (stated bound 3.2e-5 (beta - alpha), plus f32 rounding of c).
                let tol = 1e-4 * mag;
                if !simultaneous {
                    let mut tv = t.clone();
                    let upper = type1(&mut tv, 0.975);
                    let lower = type1(&mut tv, 0.025);
                    assert!(
                        (bands.lo[i] - (center - upper)).abs() <= tol,
                        "{kind:?} lo {i}"
                    );
                    assert!(
                        (bands.hi[i] - (center - lower)).abs() <= tol,
                        "{kind:?} hi {i}"
                    );
                    assert!(bands.critical.is_nan());
                }
                t_all.push(t);
            }
            if simultaneous {
                let c = type1(&mut sup, 0.95);
                close(bands.critical, c, 1e-3, &format!("{kind:?} sup-t"));
                assert!(
                    bands.critical >= normal_quantile(0.975),
                    "{}",
                    bands.critical
                );
                for i in 0..bands.center.len() {
                    close(
                        bands.hi[i] - bands.center[i],
                        bands.critical * bands.se[i],
                        1e-12,
                        "hi",
                    );
                }
            }
        }
    }
}

#[test]
fn bootstrap_is_reproducible_and_the_same_on_one_and_two_threads() {
    let (x, y) = data(500, 1);
    let q: Vec<f64> = (0..70).map(|i| i as f64 / 7.0).collect();
    let seq = fit(KernelKind::Gaussian, 1, &x, 1, &y, &[0.4]);
    let par = NadarayaWatson::params()
        .kernel(KernelKind::Gaussian)
        .degree(1)
        .bandwidth(Bandwidth::Fixed(0.4))
        .far(Far::Nan)
        .par(Par::Rayon)
        .fit(Inputs::column(&x), &y)
        .unwrap();
    for simultaneous in [false, true] {
        let options = BandOptions {
            kind: boot(999, 2024, Multipliers::Mammen),
            simultaneous,
            ..Default::default()
        };
        let a = seq.bands(Inputs::column(&q), &options).unwrap();
        let b = seq.bands(Inputs::column(&q), &options).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let c = pool.install(|| par.bands(Inputs::column(&q), &options).unwrap());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for other in [&b, &c] {
            assert_eq!(bits(&a.lo), bits(&other.lo));
            assert_eq!(bits(&a.hi), bits(&other.hi));
            assert_eq!(bits(&a.se), bits(&other.se));
            assert_eq!(a.critical.to_bits(), other.critical.to_bits());
        }
        // Another seed: other draws.
        let other = BandOptions {
            kind: boot(999, 2025, Multipliers::Mammen),
            ..options
        };
        let d = seq.bands(Inputs::column(&q), &other).unwrap();
        assert_ne!(bits(&a.lo), bits(&d.lo));
    }
}

#[test]
fn mammen_draws_have_mean_zero_variance_one_third_moment_one() {
    let m = Multipliers::Mammen;
    let s5 = 5f64.sqrt();
    let (a, b) = m.values();
    assert_eq!((a, b), (-(s5 - 1.0) / 2.0, (s5 + 1.0) / 2.0));
    let p = m.p_beta();
    assert!((p - (1.0 - (s5 + 1.0) / (2.0 * s5))).abs() < 1e-16);
    let moment = |k: i32| (1.0 - p) * a.powi(k) + p * b.powi(k);
    assert!(moment(1).abs() < 1e-15);
    assert!((moment(2) - 1.0).abs() < 1e-15);
    assert!((moment(3) - 1.0).abs() < 1e-15);
}

#[test]
fn inverse_normal_cdf_matches_tables() {
    let table = [
        (0.975, 1.959963984540054),
        (0.95, 1.6448536269514722),
        (0.995, 2.5758293035489004),
        (0.999, 3.090232306167813),
        (0.9, 1.2815515655446004),
        (0.75, 0.6744897501960817),
        (0.5, 0.0),
        (1e-10, -6.361340902404056),
    ];
    for (p, z) in table {
        close(normal_quantile(p), z, 2e-15, &format!("Phi^-1({p})"));
        // 1 - p is exact for these (not for 1e-10).
        if p >= 0.5 {
            close(
                normal_quantile(1.0 - p),
                -z,
                1e-14,
                &format!("Phi^-1(1 - {p})"),
            );
        }
    }
    assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(normal_quantile(1.0), f64::INFINITY);
    assert!(normal_quantile(1.5).is_nan() && normal_quantile(f64::NAN).is_nan());
}

#[test]
fn simultaneous_asymptotic_is_bonferroni_and_bad_options_are_refused() {
    let (x, y) = data(100, 1);
    let model = fit(KernelKind::Gaussian, 0, &x, 1, &y, &[0.5]);
    let q = queries(1);
    let options = BandOptions {
        simultaneous: true,
        ..Default::default()
    };
    let bands = model.bands(Inputs::column(&q), &options).unwrap();
    close(
        bands.critical,
        -normal_quantile(0.05 / (2.0 * q.len() as f64)),
        1e-15,
        "bonferroni",
    );
    for level in [0.0, 1.0, f64::NAN, -0.5] {
        let bad = BandOptions {
            level,
            ..Default::default()
        };
        assert!(model.bands(Inputs::column(&q), &bad).is_err());
    }
    let none = BandOptions {
        kind: boot(0, 1, Multipliers::Rademacher),
        ..Default::default()
    };
    assert!(model.bands(Inputs::column(&q), &none).is_err());
    assert!(
        model
            .bands(
                Inputs::new(&[1.0, 2.0], 2).unwrap(),
                &BandOptions::default()
            )
            .is_err()
    );
    assert!(
        model
            .bands(Inputs::column(&[f64::NAN]), &BandOptions::default())
            .is_err()
    );
}

#[test]
fn bootstrap_with_a_variance_model_has_the_asymptotic_se() {
    // Multipliers on sigma(k_i) instead of each row's residual: the bootstrap's sd at each
    // query is the asymptotic band's se, for either variance model.
    let (x, y) = data(300, 1);
    let model = fit(KernelKind::Gaussian, 1, &x, 1, &y, &[0.6]);
    let q = queries(1);
    for variance in [Variance::Heteroscedastic, Variance::Homoscedastic] {
        let asymptotic = model
            .bands(
                Inputs::column(&q),
                &BandOptions {
                    variance,
                    ..Default::default()
                },
            )
            .unwrap();
        let bootstrap = model
            .bands(
                Inputs::column(&q),
                &BandOptions {
                    kind: boot(999, 5, Multipliers::Rademacher),
                    variance,
                    ..Default::default()
                },
            )
            .unwrap();
        for i in 0..q.len() {
            close(bootstrap.se[i], asymptotic.se[i], 1e-9, "se");
            close(bootstrap.center[i], asymptotic.center[i], 1e-12, "center");
            // With 999 replicates the percentile band is the normal band to a few percent.
            let (wa, wb) = (
                asymptotic.hi[i] - asymptotic.lo[i],
                bootstrap.hi[i] - bootstrap.lo[i],
            );
            assert!(
                (wb / wa - 1.0).abs() < 0.1,
                "{variance:?} at {}: {wb} vs {wa}",
                q[i]
            );
        }
    }
}

#[test]
fn query_order_changes_no_bit_of_any_query_band() {
    // The band sorts its queries into blocks by coordinate and scatters the results back: a
    // shuffled query set gets, query by query, the bits of the sorted one, out-of-reach
    // queries included (one input), and ties in the first input (two).
    let cases = [
        (KernelKind::Gaussian, 1, 1, 0.4),
        (KernelKind::Epanechnikov, 1, 0, 0.8),
        (KernelKind::Gaussian, 2, 1, 1.0),
    ];
    for (kind, dim, degree, h) in cases {
        let (x, y) = data(2500, dim);
        let model = fit(kind, degree, &x, dim, &y, &vec![h; dim]);
        // 75 sorted queries (lexicographically, for two inputs), two beyond the keys.
        let sorted: Vec<f64> = (0..75)
            .flat_map(|i| {
                let a = if i == 0 {
                    -11.0
                } else if i == 74 {
                    30.0
                } else {
                    i as f64 / 7.0
                };
                if dim == 1 {
                    vec![a]
                } else {
                    vec![(a * 2.0).floor() / 2.0, a % 0.5 * 8.0]
                }
            })
            .collect();
        // A fixed shuffle: position i holds sorted query (37 i mod 75).
        let perm: Vec<usize> = (0..75).map(|i| i * 37 % 75).collect();
        let shuffled: Vec<f64> = perm
            .iter()
            .flat_map(|&j| sorted[j * dim..(j + 1) * dim].to_vec())
            .collect();
        for kind_of_band in [BandKind::Asymptotic, boot(199, 9, Multipliers::Mammen)] {
            for simultaneous in [false, true] {
                let options = BandOptions {
                    kind: kind_of_band,
                    simultaneous,
                    ..Default::default()
                };
                let a = model
                    .bands(Inputs::new(&sorted, dim).unwrap(), &options)
                    .unwrap();
                let b = model
                    .bands(Inputs::new(&shuffled, dim).unwrap(), &options)
                    .unwrap();
                let what = format!("{kind:?} d{dim} {kind_of_band:?} {simultaneous}");
                assert_eq!(a.critical.to_bits(), b.critical.to_bits(), "{what}");
                for (i, &j) in perm.iter().enumerate() {
                    for (va, vb) in [
                        (&a.center, &b.center),
                        (&a.se, &b.se),
                        (&a.lo, &b.lo),
                        (&a.hi, &b.hi),
                    ] {
                        assert_eq!(va[j].to_bits(), vb[i].to_bits(), "{what} query {j}");
                    }
                }
                let mut back: Vec<usize> = b.no_estimate.iter().map(|&i| perm[i]).collect();
                back.sort_unstable();
                assert_eq!(a.no_estimate, back, "{what}");
                if dim == 1 && kind == KernelKind::Epanechnikov {
                    // Out of reach, at least (the local quadratic may fail nearer too).
                    assert!(a.no_estimate.starts_with(&[0]), "{what}");
                    assert!(a.no_estimate.ends_with(&[74]), "{what}");
                }
            }
        }
    }
}
