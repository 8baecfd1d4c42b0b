//! Confidence bands of a fitted local linear model (issue 12): the wild bootstrap (B = 999)
//! and the asymptotic band on a warmed model, and the one-time training pass of a model's
//! first band, each beside the plain prediction of the same model in the same run, on rayon
//! pools of 1 and 2 threads.
//!
//! Ids read `<bands_bootstrap|bands_asymptotic|bands_residuals>/<queries>x<keys>/
//! <ours|predict>/<threads>t`; `cargo xtask bench` reports the time of one call.

// Bench binaries may print (the ban is for libraries): the checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{
    BANDS_ASYMPTOTIC, BANDS_BOOTSTRAP, BANDS_H, BANDS_RESIDUALS, Case, OURS, PREDICT_PEER,
    cases_in, uniform,
};
use nw_model::{BandKind, BandOptions, Bandwidth, Inputs, Multipliers, NadarayaWatson, Par};

mod common;
use common::{config, rayon_pool};

/// The data of a `bands_*` case: `keys` rows of x uniform on [0, 5) and
/// y = 2 sin x + x^0.8 + (u - 1/2), and `queries` points evenly spaced over [0, 5).
fn data(case: &Case) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let &[nq, nk] = case.dims else {
        panic!("{} case {} must have 2 dims", case.group.name, case.shape())
    };
    assert_eq!(
        case.peers,
        [&PREDICT_PEER],
        "{} has no runner for its peers",
        case.group.name
    );
    let x: Vec<f64> = uniform(nk, 41)
        .iter()
        .map(|&u| 5.0 * f64::from(u))
        .collect();
    let y: Vec<f64> = x
        .iter()
        .zip(uniform(nk, 42))
        .map(|(&x, e)| 2.0 * x.sin() + x.powf(0.8) + (f64::from(e) - 0.5))
        .collect();
    let q: Vec<f64> = (0..nq)
        .map(|i| 5.0 * (i as f64 + 0.5) / nq as f64)
        .collect();
    (x, y, q)
}

/// The banded model: local linear, Gaussian, `h = BANDS_H`, on `par`.
fn model(x: &[f64], y: &[f64], par: Par) -> NadarayaWatson {
    NadarayaWatson::params()
        .degree(1)
        .bandwidth(Bandwidth::Fixed(BANDS_H))
        .par(par)
        .fit(Inputs::column(x), y)
        .expect("a valid fit")
}

/// The bootstrap band of the `bands_bootstrap` rows.
fn bootstrap() -> BandOptions {
    BandOptions {
        kind: BandKind::Bootstrap {
            replicates: 999,
            seed: 0,
            multipliers: Multipliers::Rademacher,
        },
        ..Default::default()
    }
}

/// Times `ours` (on a model warmed for it) and the plain prediction on every thread count.
fn bands(c: &mut Criterion, group_name: &str, options: &BandOptions) {
    for case in cases_in(group_name) {
        let (x, y, q) = data(case);
        let mut group = c.benchmark_group(group_name);
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            let model = pool.install(|| model(&x, &y, par));
            // Warm: the training fit (and the smoothed squares) are cached by the first band.
            let band = pool
                .install(|| model.bands(Inputs::column(&q), options))
                .expect("a band");
            let plain = model.predict(Inputs::column(&q)).expect("a prediction");
            check(case, threads, &band.center, &band.lo, &band.hi, &plain.y);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| model.bands(Inputs::column(&q), options)))
            });
            group.bench_function(case.bench_id(PREDICT_PEER.name, threads), |b| {
                pool.install(|| b.iter(|| model.predict(Inputs::column(&q))))
            });
        }
        group.finish();
    }
}

/// The band holds its centre, and the bias-corrected centre stays near the prediction (the
/// local quadratic against the local linear fit of a smooth function: within 0.1).
fn check(case: &Case, threads: usize, center: &[f64], lo: &[f64], hi: &[f64], plain: &[f64]) {
    let mut width = 0.0f64;
    let mut gap = 0.0f64;
    for i in 0..center.len() {
        assert!(
            lo[i] <= center[i] && center[i] <= hi[i],
            "{} {}: query {i}: band [{}, {}] misses its centre {}",
            case.group.name,
            case.shape(),
            lo[i],
            hi[i],
            center[i]
        );
        width = width.max(hi[i] - lo[i]);
        gap = gap.max((center[i] - plain[i]).abs());
    }
    assert!(
        gap < 0.1,
        "{} {}: centre {gap} from the prediction",
        case.group.name,
        case.shape()
    );
    eprintln!(
        "{} {} {threads}t: widest band {width:.4}, centre within {gap:.1e} of the prediction",
        case.group.name,
        case.shape()
    );
}

fn bands_bootstrap(c: &mut Criterion) {
    bands(c, BANDS_BOOTSTRAP.name, &bootstrap());
}

fn bands_asymptotic(c: &mut Criterion) {
    bands(c, BANDS_ASYMPTOTIC.name, &BandOptions::default());
}

/// A fresh model's first band at one query: the training fit and residuals it caches.
fn bands_residuals(c: &mut Criterion) {
    for case in cases_in(BANDS_RESIDUALS.name) {
        let (x, y, q) = data(case);
        let mut group = c.benchmark_group(BANDS_RESIDUALS.name);
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.throughput(Throughput::Elements(case.work));
        let options = bootstrap();
        let one = [q[q.len() / 2]];
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| {
                    b.iter_batched(
                        || model(&x, &y, par),
                        |m| m.bands(Inputs::column(&one), &options),
                        BatchSize::PerIteration,
                    )
                })
            });
            let model = pool.install(|| model(&x, &y, par));
            group.bench_function(case.bench_id(PREDICT_PEER.name, threads), |b| {
                pool.install(|| b.iter(|| model.predict(Inputs::column(&q))))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bands_bootstrap, bands_asymptotic, bands_residuals
}
criterion_main!(benches);
