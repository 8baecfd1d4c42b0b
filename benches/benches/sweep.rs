//! The sorted sweeps of issue 13 (`ops::sweep`): one prediction of a million queries over a
//! million keys with every kernel, the same prediction beside the direct path at a size where
//! that finishes, and the whole cross-validated bandwidth search, each on a rayon pool of 2
//! threads.
//!
//! Ids read `<sweep_pool|sweep_vs_direct|sweep_cv>/<kernel>[-<bandwidth>]-<shape>/<ours|direct>/2t`
//! (the bandwidth `h0` or `0.1h0`, see `nw_bench::sweep_variant`); `cargo xtask bench` reports
//! the time of one run.

// Bench binaries may print (the ban is for libraries): the checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Mutex;
use std::time::Instant;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{
    Case, DIRECT, OURS, SWEEP_CV, SWEEP_POOL, SWEEP_VS_DIRECT, cases_in, sweep_variant, uniform,
};
use nw_model::bandwidth::{Search, Selection, select};
use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, SortedKeys};
use nw_tensor::ops::sweep::{Algorithm, pool_sweep};

mod common;
use common::{config, rayon_pool};

/// `n` inputs uniform on `[0, 5)` with targets `2 sin x + x^0.8` plus noise uniform on
/// `[-1/2, 1/2)` (the `bandwidth` bench's function, its own seeds), sorted as a fitted model
/// holds them.
fn training(n: usize) -> SortedKeys {
    let x: Vec<f32> = uniform(n, 51).iter().map(|u| 5.0 * u).collect();
    let noise = uniform(n, 52);
    let y: Vec<f32> = x
        .iter()
        .zip(&noise)
        .map(|(&x, &e)| 2.0 * x.sin() + x.powf(0.8) + (e - 0.5))
        .collect();
    SortedKeys::new(&x, &y).expect("finite inputs")
}

/// `m` queries uniform on `[0, 5)`, in no order.
fn queries(m: usize) -> Vec<f32> {
    uniform(m, 53).iter().map(|u| 5.0 * u).collect()
}

/// The rule of thumb `h0 = 1.06 sd(x) n^(-1/5)`, with the population standard deviation in
/// f64 (Scott's rule for the Gaussian kernel), used as it is for every kernel.
fn rule_of_thumb(x: &[f32]) -> f32 {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (1.06 * var.sqrt() * n.powf(-0.2)) as f32
}

/// The kernel the library names `name`.
fn kernel(name: &str) -> KernelKind {
    KernelKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or_else(|| panic!("no kernel named {name}"))
}

/// A `sweep_pool` or `sweep_vs_direct` case's kernel and bandwidth on its keys.
fn kernel_and_h(case: &Case, keys: &SortedKeys) -> (KernelKind, f32) {
    let (name, share) = sweep_variant(case.variant)
        .unwrap_or_else(|| panic!("{}: no kernel and bandwidth", case.shape()));
    (
        kernel(name),
        (f64::from(rule_of_thumb(keys.keys())) * share) as f32,
    )
}

/// The training set and queries of a `queries x keys` case, made once for every case of the
/// same dimensions (they come in runs).
struct Data {
    dims: Vec<usize>,
    keys: SortedKeys,
    queries: Vec<f32>,
}

impl Data {
    /// The data of `case`, reusing `cache` when it holds the same dimensions.
    fn of<'a>(case: &Case, cache: &'a mut Option<Data>) -> &'a Data {
        let &[m, n] = case.dims else {
            panic!("{} {} must have 2 dims", case.group.name, case.shape())
        };
        if cache.as_ref().is_none_or(|d| d.dims != case.dims) {
            *cache = Some(Data {
                dims: case.dims.to_vec(),
                keys: training(n),
                queries: queries(m),
            });
        }
        cache.as_ref().expect("just made")
    }
}

/// The direct path's prediction, for [`KernelKind::visit`].
struct Direct<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for Direct<'_> {
    type Output = Vec<f32>;
    fn visit<K: Bandwidth>(self, kernel: K) -> Vec<f32> {
        pool::pool(&kernel, self.queries, self.keys, self.par).y
    }
}

/// `Par::Seq` on 1 thread, `Par::Rayon` on more.
fn par_for(threads: usize) -> Par {
    if threads == 1 { Par::Seq } else { Par::Rayon }
}

fn sweep_pool_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(SWEEP_POOL.name);
    // An iteration takes a few tenths of a second: the same number in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    let mut cache = None;
    for case in cases_in(SWEEP_POOL.name) {
        assert!(
            case.peers.is_empty(),
            "sweep_pool has no runner for peers {}",
            case.peer_names()
        );
        let data = Data::of(case, &mut cache);
        let (kind, h) = kernel_and_h(case, &data.keys);
        assert!(
            Algorithm::Auto.sweeps(kind, h, &data.keys, data.queries.len()),
            "sweep_pool {}: Auto would not sweep at h {h}",
            case.shape()
        );
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = par_for(threads);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| pool_sweep(kind, h, &data.queries, &data.keys, par)))
            });
        }
    }
    group.finish();
}

fn sweep_vs_direct_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(SWEEP_VS_DIRECT.name);
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    let mut cache = None;
    for case in cases_in(SWEEP_VS_DIRECT.name) {
        assert_eq!(
            case.peers,
            [&DIRECT],
            "sweep_vs_direct has no runner for peers {}",
            case.peer_names()
        );
        let data = Data::of(case, &mut cache);
        let (kind, h) = kernel_and_h(case, &data.keys);
        let (queries, keys) = (data.queries.as_slice(), &data.keys);
        check_pool(case, kind, h, queries, keys);
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = par_for(threads);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| pool_sweep(kind, h, queries, keys, par)))
            });
            group.bench_function(case.bench_id(DIRECT.name, threads), |b| {
                pool.install(|| b.iter(|| kind.visit(h, Direct { queries, keys, par })))
            });
        }
    }
    group.finish();
}

/// Both sides give the same predictions (within 1e-5 of each other, relative) before they are
/// timed, and a query without one (no key within a compact kernel's reach) has none on both.
fn check_pool(case: &Case, kind: KernelKind, h: f32, queries: &[f32], keys: &SortedKeys) {
    let ours = pool_sweep(kind, h, queries, keys, Par::Rayon).y;
    let par = Par::Rayon;
    let direct = kind.visit(h, Direct { queries, keys, par });
    let mut worst = 0.0f64;
    for (&a, &b) in ours.iter().zip(&direct) {
        assert_eq!(a.is_nan(), b.is_nan(), "{}: {a} vs {b}", case.shape());
        if !b.is_nan() {
            let (a, b) = (f64::from(a), f64::from(b));
            worst = worst.max((a - b).abs() / b.abs());
        }
    }
    let without = ours.iter().filter(|y| y.is_nan()).count();
    assert!(
        worst <= 1e-5,
        "sweep_vs_direct {}: sides differ by {worst:e} (relative)",
        case.shape()
    );
    let auto = if Algorithm::Auto.sweeps(kind, h, keys, queries.len()) {
        "sweep"
    } else {
        "direct"
    };
    eprintln!(
        "sweep_vs_direct {} (h {h}): sweep and direct agree to {worst:.1e} (relative), \
         {without} queries without an estimate; Auto picks {auto}",
        case.shape()
    );
}

fn sweep_cv_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(SWEEP_CV.name);
    // A search takes seconds: criterion's fewest samples, one search each.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    let mut cache: Option<(usize, SortedKeys)> = None;
    for case in cases_in(SWEEP_CV.name) {
        let &[n] = case.dims else {
            panic!("sweep_cv case {} must have 1 dim", case.shape())
        };
        if cache.as_ref().is_none_or(|(m, _)| *m != n) {
            cache = Some((n, training(n)));
        }
        let data = &cache.as_ref().expect("just made").1;
        let (x, y) = (data.keys(), data.values());
        let kind = kernel(case.variant);
        for &peer in case.peers {
            assert_eq!(peer, &DIRECT, "sweep_cv has no runner for {}", peer.name);
            check_search(case, kind, data);
        }
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = par_for(threads);
            // The last timed search, to say what it found and how.
            let last = Mutex::new(None);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| {
                    b.iter(|| {
                        let found = search(kind, x, y, Algorithm::Auto, par);
                        *last.lock().expect("not poisoned") = Some(found);
                    })
                })
            });
            if let Some(found) = last.into_inner().expect("not poisoned") {
                eprintln!(
                    "sweep_cv {} {threads}t: h {} (CV {:.8}) from {} CV evaluations, {} of \
                     them swept",
                    case.shape(),
                    found.h,
                    found.cv,
                    found.curve.len(),
                    swept(kind, data, &found)
                );
            }
            if case.peers.contains(&&DIRECT) {
                group.bench_function(case.bench_id(DIRECT.name, threads), |b| {
                    pool.install(|| b.iter(|| search(kind, x, y, Algorithm::Direct, par)))
                });
            }
        }
    }
    group.finish();
}

/// The estimator's bandwidth search, `bandwidth::select`, with the default settings and each
/// CV(h) by `algorithm` (`Auto`: by the sweep where the cost model says it pays).
fn search(kind: KernelKind, x: &[f32], y: &[f32], algorithm: Algorithm, par: Par) -> Selection {
    let search = Search {
        algorithm,
        ..Search::default()
    };
    select(kind, x, y, &search, par).expect("a bandwidth")
}

/// How many of the search's CV evaluations `Algorithm::Auto` sends to the sweep.
fn swept(kind: KernelKind, data: &SortedKeys, found: &Selection) -> usize {
    let n = data.len();
    found
        .curve
        .iter()
        .filter(|p| Algorithm::Auto.sweeps(kind, p.h, data, n))
        .count()
}

/// The search through the sweeps scores every bandwidth both searches evaluate alike (within
/// 1e-5, relative) and finds a minimum as low as the direct one's (within 1e-6) at about the
/// same bandwidth (within 1e-2: near a flat minimum, CVs that differ in their seventh digit
/// may move the refined bandwidth by a few parts in 10^4).
fn check_search(case: &Case, kind: KernelKind, data: &SortedKeys) {
    let (x, y) = (data.keys(), data.values());
    let start = Instant::now();
    let ours = search(kind, x, y, Algorithm::Auto, Par::Rayon);
    let ours_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let direct = search(kind, x, y, Algorithm::Direct, Par::Rayon);
    let direct_s = start.elapsed().as_secs_f64();
    let rel = (f64::from(ours.h) / f64::from(direct.h) - 1.0).abs();
    assert!(
        rel < 1e-2 && (ours.cv - direct.cv).abs() <= 1e-6 * direct.cv,
        "sweep_cv {}: h {} (CV {}) vs direct {} (CV {})",
        case.shape(),
        ours.h,
        ours.cv,
        direct.h,
        direct.cv
    );
    let mut worst = 0.0f64;
    for p in &ours.curve {
        if let Some(q) = direct.curve.iter().find(|q| q.h == p.h)
            && q.cv.is_finite()
        {
            assert_eq!(p.isolated, q.isolated, "{}: at h {}", case.shape(), p.h);
            worst = worst.max((p.cv - q.cv).abs() / q.cv);
        }
    }
    assert!(
        worst < 1e-5,
        "sweep_cv {}: CV differs by {worst:e} (relative)",
        case.shape()
    );
    eprintln!(
        "sweep_cv {}: h {} (CV {:.8}), direct h {} (CV {:.8}); CV alike to {worst:.1e} \
         (relative) where both evaluated; {} evaluations ({} swept); one search \
         {ours_s:.2} s, direct {direct_s:.2} s",
        case.shape(),
        ours.h,
        ours.cv,
        direct.h,
        direct.cv,
        ours.curve.len(),
        swept(kind, data, &ours)
    );
}

criterion_group! {
    name = benches;
    config = config();
    targets = sweep_pool_bench, sweep_vs_direct_bench, sweep_cv_bench
}
criterion_main!(benches);
