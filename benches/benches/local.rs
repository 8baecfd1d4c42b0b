//! Local polynomial regression in the fused passes (issue 12): local linear in 1 and 2
//! dimensions and local quadratic in 1, each beside Nadaraya-Watson on the same queries, keys,
//! kernel and bandwidth in the same run, on rayon pools of 1 and 2 threads.
//!
//! Ids read `<local_linear|local_linear_epa|local_quadratic|local_linear_nd>/<shape>/<ours|nw>/
//! <threads>t`; throughput counts query-key pairs, reported by `cargo xtask bench` in
//! G pairs/s, with ours/nw the local fit's share of Nadaraya-Watson's rate.

// Bench binaries may print (the ban is for libraries): the agreement checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{
    Case, LOCAL_LINEAR, LOCAL_LINEAR_EPA, LOCAL_LINEAR_ND, LOCAL_QUADRATIC, NW, OURS, cases_in,
    uniform,
};
use nw_tensor::Par;
use nw_tensor::kernels::compact::{Compact, Epanechnikov};
use nw_tensor::kernels::radial::{Bandwidth, Gaussian, KernelKind, Radial};
use nw_tensor::ops::local_linear::{pool_linear, pool_linear_scalar};
use nw_tensor::ops::local_linear_nd::{pool_linear_nd, pool_linear_nd_scalar};
use nw_tensor::ops::local_quadratic::{pool_quadratic, pool_quadratic_scalar};
use nw_tensor::ops::pool::{SortedKeys, pool};
use nw_tensor::ops::pool_nd::{KeysNd, pool_nd};

mod common;
use common::{config, rayon_pool};

/// Queries of each case checked against the scalar twins before timing (the twins are slow).
const CHECKED: usize = 64;

/// The `pool` rows' inputs: queries and keys uniform on [0, 5), values in [0, 1).
fn inputs_1d(case: &Case) -> (Vec<f32>, SortedKeys) {
    let &[nq, nk] = case.dims else {
        panic!("{} case {} must have 2 dims", case.group.name, case.shape())
    };
    assert_eq!(
        case.peers,
        [&NW],
        "{} has no runner for its peers",
        case.group.name
    );
    let queries: Vec<f32> = uniform(nq, 21).iter().map(|u| 5.0 * u).collect();
    let keys: Vec<f32> = uniform(nk, 22).iter().map(|u| 5.0 * u).collect();
    let values = uniform(nk, 23);
    let sorted = SortedKeys::new(&keys, &values).expect("finite inputs");
    (queries, sorted)
}

/// The worst of `|a - b| / scale` over pairs where both are numbers; infinite when only one
/// of them is.
fn worst(a: &[f32], b: &[f32], scale: f32) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| match (x.is_nan(), y.is_nan()) {
            (true, true) => 0.0,
            (false, false) => (x - y).abs() / scale,
            _ => f32::INFINITY,
        })
        .fold(0.0f32, f32::max)
}

/// Times `ours` and Nadaraya-Watson (`nw`) on every thread count of `case`.
fn time_pair<O, N>(c: &mut Criterion, case: &Case, ours: O, nw: N)
where
    O: Fn(Par) -> Vec<f32> + Sync,
    N: Fn(Par) -> Vec<f32> + Sync,
{
    let mut group = c.benchmark_group(case.group.name);
    // An iteration takes 2 ms to 1 s: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.throughput(Throughput::Elements(case.work));
    for &threads in case.threads {
        let pool = rayon_pool(threads);
        let par = if threads == 1 { Par::Seq } else { Par::Rayon };
        group.bench_function(case.bench_id(OURS, threads), |b| {
            pool.install(|| b.iter(|| ours(par)))
        });
        group.bench_function(case.bench_id(NW.name, threads), |b| {
            pool.install(|| b.iter(|| nw(par)))
        });
    }
    group.finish();
}

/// Local linear (or, with `quadratic`, local quadratic) with `kernel`, beside
/// Nadaraya-Watson with it, on the cases of `group`.
fn one_dimension<K: Radial + Sync>(c: &mut Criterion, group: &str, kernel: &K, quadratic: bool) {
    for case in cases_in(group) {
        let (queries, sorted) = inputs_1d(case);
        let fit = |q: &[f32], par: Par| {
            if quadratic {
                let f = pool_quadratic(kernel, q, &sorted, par);
                (f.y, f.slope)
            } else {
                let f = pool_linear(kernel, q, &sorted, par);
                (f.y, f.slope)
            }
        };
        // The vector pass agrees with its scalar twin (values in [0, 1), slopes per unit of x
        // within the module docs' tolerances, loosened for the quadratic).
        let q = &queries[..CHECKED.min(queries.len())];
        let (y, slope) = fit(q, Par::Rayon);
        let (ty, tslope) = if quadratic {
            let t = pool_quadratic_scalar(kernel, q, &sorted);
            (t.y, t.slope)
        } else {
            let t = pool_linear_scalar(kernel, q, &sorted);
            (t.y, t.slope)
        };
        let (ey, es) = (worst(&y, &ty, 1.0), worst(&slope, &tslope, 1.0));
        assert!(
            y.iter().chain(&slope).all(|v| v.is_finite()) && ey < 1e-4 && es < 1e-3,
            "{group} {}: vector and scalar differ by {ey:e} (fit), {es:e} (slope)",
            case.shape()
        );
        eprintln!(
            "{group} {}: vector pass and scalar twin agree to {ey:.1e} (fit), {es:.1e} (slope)",
            case.shape()
        );
        time_pair(
            c,
            case,
            |par| fit(&queries, par).0,
            |par| pool(kernel, &queries, &sorted, par).y,
        );
    }
}

fn local_linear(c: &mut Criterion) {
    one_dimension(c, LOCAL_LINEAR.name, &Gaussian::new(1.0), false);
}

fn local_linear_epa(c: &mut Criterion) {
    let kernel = Compact::<Epanechnikov>::with_bandwidth(1.0);
    one_dimension(c, LOCAL_LINEAR_EPA.name, &kernel, false);
}

fn local_quadratic(c: &mut Criterion) {
    one_dimension(c, LOCAL_QUADRATIC.name, &Gaussian::new(1.0), true);
}

/// The bandwidth in every dimension, as in the `pool_nd` rows.
const H_ND: f32 = 0.5;

fn local_linear_nd(c: &mut Criterion) {
    for case in cases_in(LOCAL_LINEAR_ND.name) {
        assert_eq!(
            case.peers,
            [&NW],
            "local_linear_nd has no runner for its peers"
        );
        let &[d, nq, nk] = case.dims else {
            panic!("local_linear_nd case {} must have 3 dims", case.shape())
        };
        // The `pool_nd` rows' inputs, seeds and values.
        let queries = uniform(nq * d, 71 + d as u64);
        let keys = uniform(nk * d, 81 + d as u64);
        let values: Vec<f32> = keys
            .chunks_exact(d)
            .map(|k| {
                2.0 + k
                    .iter()
                    .map(|x| (std::f32::consts::TAU * x).sin())
                    .sum::<f32>()
                    / d as f32
            })
            .collect();
        let sorted = KeysNd::new(&keys, d, &values, 0).expect("finite inputs");
        let h = vec![H_ND; d];
        let kind = KernelKind::Gaussian;
        let q = &queries[..CHECKED * d];
        let ours = pool_linear_nd(kind, &h, q, &sorted, Par::Rayon).expect("valid bandwidths");
        let twin = pool_linear_nd_scalar(kind, &h, q, &sorted).expect("valid bandwidths");
        // Values in [1, 3]; slopes up to about 2 pi.
        let (ey, es) = (
            worst(&ours.y, &twin.y, 1.0),
            worst(&ours.slopes, &twin.slopes, 1.0),
        );
        let finite = ours.y.iter().chain(&ours.slopes).all(|v| v.is_finite());
        assert!(
            finite && ey < 1e-4 && es < 1e-3,
            "local_linear_nd {}: vector and scalar differ by {ey:e} (fit), {es:e} (slopes)",
            case.shape()
        );
        eprintln!(
            "local_linear_nd {}: vector pass and scalar twin agree to {ey:.1e} (fit), \
             {es:.1e} (slopes)",
            case.shape()
        );
        time_pair(
            c,
            case,
            |par| {
                pool_linear_nd(kind, &h, &queries, &sorted, par)
                    .expect("valid bandwidths")
                    .y
            },
            |par| {
                pool_nd(kind, &h, &queries, &sorted, false, par)
                    .expect("valid bandwidths")
                    .y
            },
        );
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = local_linear, local_linear_epa, local_quadratic, local_linear_nd
}
criterion_main!(benches);
