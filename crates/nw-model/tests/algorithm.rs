//! The algorithm choice (issue 13): the sorted sweep against the direct pass and against f64
//! loops written here from the textbook kernels ([`KernelKind::ln_k`]), on a few thousand of
//! the chapter's examples: predictions (far queries included, and a bandwidth measured in
//! another unit), the CV curve, the chosen bandwidth, the leave-one-out gradient of
//! `cross_validate` and of training; and the typed refusal of `Algorithm::Sweep` wherever the
//! sweep does not apply, where `Auto` quietly takes the direct path.

use nw_data::Synthetic;
use nw_model::bandwidth;
use nw_model::pooling::adaptive;
use nw_model::{
    AdaptivePooling, Algorithm, AveragePooling, Bandwidth, Far, Init, Inputs, KernelKind,
    ModelError, NadarayaWatson, Par, ParametricPooling, Path, PoolOptions, Pooling, PredictOptions,
    Sgd, loo, train_with,
};

/// The chapter's generator: `n` sorted inputs in `[0, 5)`, `2 sin x + x^0.8` plus noise.
fn chapter(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (x, y) = Synthetic::new(n, seed).train().unwrap().into_parts();
    (
        x.iter().map(|&v| f64::from(v)).collect(),
        y.iter().map(|&v| f64::from(v)).collect(),
    )
}

/// Queries from `lo` to `hi` at an odd step, so that none sits on a key's bandwidth edge.
fn grid(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| lo + (hi - lo) * i as f64 / (count - 1) as f64 + 1.234e-4)
        .collect()
}

/// Nadaraya-Watson at `q` in f64 from `ln_k`, leaving out row `skip`; `None` without a key in
/// reach.
fn nw_f64(kind: KernelKind, h: f64, x: &[f32], y: &[f32], q: f64, skip: usize) -> Option<f64> {
    let s: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .enumerate()
        .filter(|&(j, _)| j != skip)
        .map(|(_, (&k, &v))| (kind.ln_k((q - f64::from(k)) / h), f64::from(v)))
        .collect();
    let m = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return None;
    }
    let (z, v) = s.iter().fold((0.0, 0.0), |(z, v), &(l, y)| {
        let e = (l - m).exp();
        (z + e, v + e * y)
    });
    Some(v / z)
}

/// The summed leave-one-out loss in f64 and the examples without an estimate.
fn loo_f64(kind: KernelKind, h: f64, x: &[f32], y: &[f32]) -> (f64, usize) {
    let (mut loss, mut isolated) = (0.0, 0);
    for (i, &xi) in x.iter().enumerate() {
        match nw_f64(kind, h, x, y, f64::from(xi), i) {
            Some(p) => loss += (p - f64::from(y[i])).powi(2),
            None => isolated += 1,
        }
    }
    (loss, isolated)
}

fn fit(
    kind: KernelKind,
    bandwidth: Bandwidth,
    far: Far,
    algorithm: Algorithm,
    x: &[f64],
    y: &[f64],
) -> NadarayaWatson {
    NadarayaWatson::params()
        .kernel(kind)
        .bandwidth(bandwidth)
        .far(far)
        .algorithm(algorithm)
        .fit(Inputs::column(x), y)
        .unwrap()
}

#[test]
fn swept_predictions_match_the_direct_pass_and_an_f64_loop() {
    let (x, y) = chapter(3000, 13);
    let queries = grid(-0.8, 5.9, 201);
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // The sweep rounds differently from the direct pass: some bits must differ, or the
    // sweep never ran.
    let mut differs = 0;
    for kind in KernelKind::ALL {
        for h in [0.02, 0.3, 2.5] {
            let sweep = fit(
                kind,
                Bandwidth::Fixed(h),
                Far::Nan,
                Algorithm::Sweep,
                &x,
                &y,
            );
            let direct = fit(
                kind,
                Bandwidth::Fixed(h),
                Far::Nan,
                Algorithm::Direct,
                &x,
                &y,
            );
            assert_eq!(sweep.algorithm(), Algorithm::Sweep);
            let s = sweep.predict(Inputs::column(&queries)).unwrap();
            let d = direct.predict(Inputs::column(&queries)).unwrap();
            assert_eq!(s.far, d.far, "{kind:?} h {h}: far queries");
            let (kx, ky) = sweep.training_coordinates();
            let hk = sweep.bandwidths()[0];
            for (i, &q) in queries.iter().enumerate() {
                let what = format!("{kind:?} h {h} q {q}");
                match nw_f64(kind, hk, kx, ky, f64::from(q as f32), usize::MAX) {
                    None => assert!(s.y[i].is_nan() && d.y[i].is_nan(), "{what}: no estimate"),
                    Some(want) => {
                        assert!((s.y[i] - want).abs() <= 1e-5 * scale, "{what}: sweep");
                        assert!((d.y[i] - want).abs() <= 1e-5 * scale, "{what}: direct");
                        assert!((s.y[i] - d.y[i]).abs() <= 1e-5 * scale, "{what}: paths");
                        differs += usize::from(s.y[i] != d.y[i]);
                    }
                }
            }
        }
    }
    assert!(
        differs > 0,
        "the sweep gave the direct pass's bits everywhere"
    );
}

#[test]
fn far_queries_are_handled_alike_on_both_paths() {
    let (x, y) = chapter(2000, 3);
    let queries = [-1.0, 0.5, 2.5, 4.99, 6.0, 7.5];
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    for kind in [
        KernelKind::Epanechnikov,
        KernelKind::Uniform,
        KernelKind::Tricube,
    ] {
        for far in [Far::Nan, Far::Nearest, Far::Mean] {
            let run = |algorithm| {
                fit(kind, Bandwidth::Fixed(0.1), far, algorithm, &x, &y)
                    .predict(Inputs::column(&queries))
                    .unwrap()
            };
            let (s, d) = (run(Algorithm::Sweep), run(Algorithm::Direct));
            assert_eq!(s.far, [0, 4, 5], "{kind:?} {far:?}");
            assert_eq!(d.far, s.far, "{kind:?} {far:?}");
            for &i in &s.far {
                // The far-query policy's own value, the same on both paths.
                assert_eq!(s.y[i].to_bits(), d.y[i].to_bits(), "{kind:?} {far:?} {i}");
                match far {
                    Far::Nan => assert!(s.y[i].is_nan()),
                    Far::Mean => assert!((s.y[i] - mean).abs() < 1e-5, "{}", s.y[i]),
                    _ => assert!(s.y[i].is_finite()),
                }
            }
        }
        // Refused alike, naming the same first query by its own value.
        let refusal = |algorithm| {
            fit(kind, Bandwidth::Fixed(0.1), Far::Error, algorithm, &x, &y)
                .predict(Inputs::column(&queries))
                .unwrap_err()
        };
        let (s, d) = (refusal(Algorithm::Sweep), refusal(Algorithm::Direct));
        assert_eq!(s, d, "{kind:?}");
        assert!(
            matches!(s, ModelError::FarQueries { count: 3, index: 0, query } if query == -1.0),
            "{s:?}"
        );
    }
}

#[test]
fn a_bandwidth_in_another_unit_is_swept_there() {
    // Inputs times 2^23 (exact): the bandwidth passes 2^20, and the pooling measures inputs
    // in a power of two near it, then sweeps there.
    let (x, y) = chapter(3000, 21);
    let s = 2f64.powi(23);
    let big: Vec<f64> = x.iter().map(|v| v * s).collect();
    let queries: Vec<f64> = grid(0.0, 5.0, 101).iter().map(|q| q * s).collect();
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut differs = 0;
    for kind in [
        KernelKind::Gaussian,
        KernelKind::Epanechnikov,
        KernelKind::Laplace,
    ] {
        let h = 0.2 * s;
        let run = |algorithm| {
            fit(kind, Bandwidth::Fixed(h), Far::Nan, algorithm, &big, &y)
                .predict(Inputs::column(&queries))
                .unwrap()
        };
        let (sw, di) = (run(Algorithm::Sweep), run(Algorithm::Direct));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        for (i, &q) in queries.iter().enumerate() {
            let want = nw_f64(kind, 0.2, &x32, &y32, q / s, usize::MAX).unwrap();
            assert!(
                (sw.y[i] - want).abs() <= 1e-5 * scale,
                "{kind:?} q {q}: sweep"
            );
            assert!(
                (di.y[i] - want).abs() <= 1e-5 * scale,
                "{kind:?} q {q}: direct"
            );
            differs += usize::from(sw.y[i] != di.y[i]);
        }
    }
    assert!(differs > 0, "the unit's branch did not sweep");
}

#[test]
fn the_cv_curve_and_the_chosen_bandwidth_agree() {
    let (x, y) = chapter(3000, 7);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let data = loo::prepare(&x32, &y32).unwrap();
    let n = x.len();
    for kind in [
        KernelKind::Gaussian,
        KernelKind::Epanechnikov,
        KernelKind::Laplace,
        KernelKind::Biweight,
    ] {
        for (k, h) in [0.004f32, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
            .into_iter()
            .enumerate()
        {
            let cv = |algorithm| bandwidth::cv(kind, &data, h, algorithm, Par::Rayon).unwrap();
            let (s, d) = (cv(Algorithm::Sweep), cv(Algorithm::Direct));
            assert_eq!(s.isolated, d.isolated, "{kind:?} h {h}");
            assert!(
                (s.cv - d.cv).abs() <= 1e-6 * d.cv,
                "{kind:?} h {h}: {} vs {}",
                s.cv,
                d.cv
            );
            // Against f64 at a few bandwidths (each an n^2 loop).
            if k % 3 == 1 {
                let (loss, isolated) = loo_f64(kind, f64::from(h), &x32, &y32);
                let want = loss / (n - isolated) as f64;
                assert_eq!(s.isolated, isolated, "{kind:?} h {h}");
                assert!(
                    (s.cv - want).abs() <= 1e-6 * want,
                    "{kind:?} h {h}: {} vs f64 {want}",
                    s.cv
                );
            }
        }
        // The whole search: the same bandwidth, the same score.
        let chosen = |algorithm| fit(kind, Bandwidth::Cv, Far::Nan, algorithm, &x, &y);
        let (s, d) = (chosen(Algorithm::Sweep), chosen(Algorithm::Direct));
        let (hs, hd) = (s.bandwidths()[0], d.bandwidths()[0]);
        let (cs, cd) = (s.cv().unwrap(), d.cv().unwrap());
        assert!((cs - cd).abs() <= 1e-6 * cd, "{kind:?}: cv {cs} vs {cd}");
        // The sweep's score is the f64 one, and its choice no worse than the direct pass's.
        let at = |h: f64| {
            let (loss, isolated) = loo_f64(kind, h, &x32, &y32);
            loss / (n - isolated) as f64
        };
        let (fs, fd) = (at(hs), at(hd));
        assert!(
            (cs - fs).abs() <= 1e-9 * fs,
            "{kind:?}: cv {cs} vs f64 {fs}"
        );
        assert!(
            fs <= fd * (1.0 + 1e-9),
            "{kind:?}: f64 cv {fs} at {hs}, {fd} at {hd}"
        );
        // ... and the direct pass's as good within its own rounding of CV (~1e-8).
        assert!(
            fd <= fs * (1.0 + 1e-7),
            "{kind:?}: f64 cv {fs} at {hs}, {fd} at {hd}"
        );
        // The curves here are flat to ~1e-9 over ~5e-4 of h around their minimum, below the
        // direct pass's rounding of CV: its choice wanders there by up to ~1e-3, differently
        // on each build (the portable build rounds its f32 sums without FMA); the sweep's is
        // the f64 minimum, checked above.
        assert!((hs - hd).abs() <= 2e-3 * hd, "{kind:?}: h {hs} vs {hd}");
    }
}

#[test]
fn cross_validate_sweeps_the_loss_and_its_gradient() {
    let (x, y) = chapter(3000, 5);
    // Kernels whose loss is smooth in h (a compact kernel with a kink at its edge would leave
    // the central difference off by the keys crossing it).
    for kind in [
        KernelKind::Gaussian,
        KernelKind::Biweight,
        KernelKind::Laplace,
    ] {
        for h in [0.05, 0.4] {
            let model = |algorithm| fit(kind, Bandwidth::Fixed(h), Far::Nan, algorithm, &x, &y);
            let (sm, dm) = (model(Algorithm::Sweep), model(Algorithm::Direct));
            let hk = sm.bandwidths()[0];
            let (s, d) = (
                sm.cross_validate(&[hk]).unwrap(),
                dm.cross_validate(&[hk]).unwrap(),
            );
            let what = format!("{kind:?} h {h}");
            assert_eq!(s.isolated, d.isolated, "{what}");
            assert!((s.loss - d.loss).abs() <= 1e-6 * d.loss, "{what}: loss");
            // The gradient against a central difference of the f64 loss in ln h.
            let (kx, ky) = sm.training_coordinates();
            let step = 1e-3;
            let at = |l: f64| loo_f64(kind, hk * l.exp(), kx, ky).0;
            let want = (at(step) - at(-step)) / (2.0 * step);
            // The sweep's loss is the f64 one to far below the direct pass's f32 rounding.
            let loss = at(0.0);
            assert!(
                (s.loss - loss).abs() <= 1e-9 * loss,
                "{what}: {} vs {loss}",
                s.loss
            );
            let tol = 1e-3 * want.abs() + 1e-6 * d.loss;
            assert!(
                (s.grad[0] - want).abs() <= tol,
                "{what}: {} vs {want}",
                s.grad[0]
            );
            assert!(
                (d.grad[0] - want).abs() <= tol,
                "{what}: {} vs {want}",
                d.grad[0]
            );
        }
    }
}

#[test]
fn training_the_scale_sweeps_each_epoch() {
    let (x, y) = chapter(3000, 9);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let run = |algorithm| {
        train_with(
            &x32,
            &y32,
            KernelKind::Gaussian,
            Init::Value(2.0),
            4,
            &mut Sgd { lr: 1e-4 },
            Path::Fused,
            algorithm,
            Par::Rayon,
            &mut |_| {},
        )
        .unwrap()
    };
    let (s, d) = (run(Algorithm::Sweep), run(Algorithm::Direct));
    for (a, b) in s.epochs.iter().zip(&d.epochs) {
        assert!((a.loss - b.loss).abs() <= 1e-6 * b.loss, "{a:?} vs {b:?}");
        assert!(
            (a.grad - b.grad).abs() <= 1e-4 * b.grad.abs() + 1e-6 * b.loss,
            "{a:?} vs {b:?}"
        );
        assert!((a.w - b.w).abs() <= 1e-5 * b.w.abs(), "{a:?} vs {b:?}");
    }
    // The first epoch's loss against f64 (bandwidth 1/2), to far below the direct pass's
    // f32 rounding.
    let (want, _) = loo_f64(KernelKind::Gaussian, 0.5, &x32, &y32);
    let first = s.epochs[0].loss;
    assert!((first - want).abs() <= 1e-9 * want, "{first} vs {want}");
    let data = loo::prepare(&x32, &y32).unwrap();
    let lg = loo::loss_grad_kernel(&data, KernelKind::Gaussian, 2.0, Algorithm::Sweep, Par::Seq)
        .unwrap();
    assert!(
        (lg.loss - want).abs() <= 1e-9 * want,
        "{} vs {want}",
        lg.loss
    );
}

/// Asserts `err` is the sweep's refusal naming `what` (a part of it) and the way out.
fn refused(err: ModelError, what: &str) {
    let text = err.to_string();
    assert!(
        matches!(err, ModelError::Algorithm { .. })
            && text.contains(what)
            && text.contains("use algorithm direct, or auto"),
        "{text}"
    );
}

#[test]
fn sweep_refuses_what_it_does_not_cover_and_auto_goes_direct() {
    let (x, y) = chapter(400, 1);
    let q = grid(0.0, 5.0, 30);
    let linear = |algorithm| {
        NadarayaWatson::params()
            .degree(1)
            .bandwidth(Bandwidth::Fixed(0.3))
            .algorithm(algorithm)
            .fit(Inputs::column(&x), &y)
    };
    refused(linear(Algorithm::Sweep).unwrap_err(), "degree 1 or 2");
    let auto = linear(Algorithm::Auto).unwrap();
    let direct = linear(Algorithm::Direct).unwrap();
    assert_eq!(
        auto.predict(Inputs::column(&q)).unwrap(),
        direct.predict(Inputs::column(&q)).unwrap()
    );
    // With a search, too.
    let searched = NadarayaWatson::params()
        .degree(1)
        .algorithm(Algorithm::Auto)
        .fit(Inputs::column(&x), &y)
        .unwrap();
    assert!(searched.cv().is_some());

    // Several inputs, the corrected AIC.
    let rows: Vec<f64> = x.iter().flat_map(|&v| [v, (v * 3.0).cos()]).collect();
    let nd = NadarayaWatson::params()
        .bandwidth(Bandwidth::Fixed(0.5))
        .algorithm(Algorithm::Sweep)
        .fit(Inputs::new(&rows, 2).unwrap(), &y);
    refused(nd.unwrap_err(), "several inputs");
    let aic = NadarayaWatson::params()
        .bandwidth(Bandwidth::Aic)
        .algorithm(Algorithm::Sweep)
        .fit(Inputs::column(&x), &y);
    refused(aic.unwrap_err(), "corrected AIC");

    // The weight matrix and diagnostics, asked of a swept model; Auto gives the direct bits.
    let model = |algorithm| {
        fit(
            KernelKind::Gaussian,
            Bandwidth::Fixed(0.3),
            Far::Nan,
            algorithm,
            &x,
            &y,
        )
    };
    for (options, what) in [
        (
            PredictOptions {
                weights: true,
                ..Default::default()
            },
            "weight matrix",
        ),
        (
            PredictOptions {
                diagnostics: true,
                ..Default::default()
            },
            "diagnostics",
        ),
    ] {
        let sweep = model(Algorithm::Sweep).predict_with(Inputs::column(&q), &options);
        refused(sweep.unwrap_err(), what);
        let auto = model(Algorithm::Auto).predict_with(Inputs::column(&q), &options);
        let direct = model(Algorithm::Direct).predict_with(Inputs::column(&q), &options);
        assert_eq!(auto.unwrap(), direct.unwrap(), "{what}");
    }

    // The poolings: adaptive and average have no sweep; an infinite bandwidth neither.
    let (k, v): (Vec<f32>, Vec<f32>) = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (a as f32, b as f32))
        .unzip();
    let q32: Vec<f32> = q.iter().map(|&v| v as f32).collect();
    let options = |algorithm| PoolOptions {
        algorithm,
        ..PoolOptions::default()
    };
    let adaptive = AdaptivePooling::new(KernelKind::Gaussian, -1.0, 0.1, 2.5).unwrap();
    refused(
        adaptive
            .pool_with(&q32, &k, &v, &options(Algorithm::Sweep))
            .unwrap_err(),
        "each query's own",
    );
    assert!(
        adaptive
            .pool_with(&q32, &k, &v, &options(Algorithm::Auto))
            .is_ok()
    );
    refused(
        AveragePooling
            .pool_with(&q32, &k, &v, &options(Algorithm::Sweep))
            .unwrap_err(),
        "average pooling",
    );
    // w = 0: bandwidth 1/|w| is infinite.
    let wide = ParametricPooling::with_kernel(KernelKind::Gaussian, 0.0).unwrap();
    refused(
        wide.pool_with(&q32, &k, &v, &options(Algorithm::Sweep))
            .unwrap_err(),
        "infinite bandwidth",
    );
    let mean = v.iter().map(|&t| f64::from(t)).sum::<f64>() / v.len() as f64;
    let every = wide
        .pool_with(&q32, &k, &v, &options(Algorithm::Auto))
        .unwrap();
    assert!(
        every
            .y_hat
            .iter()
            .all(|&p| (f64::from(p) - mean).abs() < 1e-5)
    );
    // The adaptive leave-one-out loss has one path: it takes no algorithm at all.
    let data = loo::prepare(&k, &v).unwrap();
    assert!(adaptive::loss_grad(KernelKind::Gaussian, &data, (-1.0, 0.1, 2.5), Par::Seq).is_ok());

    // Training the scale on the chapter's tensors.
    let chapter = train_with(
        &k,
        &v,
        KernelKind::Gaussian,
        Init::Value(2.0),
        1,
        &mut Sgd { lr: 1e-3 },
        Path::Chapter,
        Algorithm::Sweep,
        Par::Seq,
        &mut |_| {},
    );
    refused(chapter.unwrap_err(), "chapter's tensor path");
}
