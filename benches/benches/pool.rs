//! Attention pooling: the fused streaming kernel beside the chapter's materialized path, the
//! fused leave-one-out epoch beside the chapter's tensors, and the vector exponential that
//! bounds them both, each side on rayon pools of 1 and 2 threads.
//!
//! Ids read `<exp|pool|loo>/<shape>/<ours|peer>/<threads>t`; throughput counts query-key
//! pairs (or exponentials), reported by `cargo xtask bench` in G pairs/s (G exp/s).

// Bench binaries may print (the ban is for libraries): the agreement checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{CHAPTER, Case, EXP, LOO, MATERIALIZED, OURS, POOL, WIDE_EXP, cases_in, uniform};
use nw_model::pooling::ParametricPooling;
use nw_model::{chapter, loss};
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::radial::Gaussian;
use nw_tensor::kernels::simd::On;
use nw_tensor::ops::pool::{self, SortedKeys};
use nw_tensor::ops::{matmul, softmax};
use nw_tensor::{Par, Tensor};
use rayon::prelude::*;
use wide::f32x16;

mod common;
use common::rayon_pool;

/// The kernel scale of every case: the chapter's nonparametric `w = 1`, under which every
/// key of [0, 5) weighs in (no key is skipped as too far).
const W: f32 = 1.0;

fn exp(c: &mut Criterion) {
    let mut group = c.benchmark_group(EXP.name);
    for case in cases_in(EXP.name) {
        assert_eq!(
            case.peers,
            [&WIDE_EXP],
            "exp has no runner for peers {}",
            case.peer_names()
        );
        let &[len] = case.dims else {
            panic!("exp case {} must have 1 dim", case.shape())
        };
        let input: Vec<f32> = uniform(len, 11).iter().map(|u| -64.0 * u).collect();
        let mut out = vec![0.0f32; len];
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| map_slices(&input, &mut out, threads)))
            });
            group.bench_function(case.bench_id(WIDE_EXP.name, threads), |b| {
                pool.install(|| b.iter(|| map_vectors(&input, &mut out, threads, f32x16::exp)))
            });
        }
    }
    group.finish();
}

/// `out = 2^input` with our kernel on the active level, the buffer split between `threads`
/// threads.
fn map_slices(input: &[f32], out: &mut [f32], threads: usize) {
    let per = input.len().div_ceil(threads).next_multiple_of(LANES);
    input
        .par_chunks(per)
        .zip(out.par_chunks_mut(per))
        .for_each(|(i, o)| On::active().exp2(i, o));
}

/// `out = f(input)` sixteen `wide` lanes at a time (the peer: `wide`'s own `exp`, compiled for
/// the build's target), the buffer split between `threads` threads.
fn map_vectors(
    input: &[f32],
    out: &mut [f32],
    threads: usize,
    f: impl Fn(f32x16) -> f32x16 + Sync,
) {
    let run = |(i, o): (&[f32], &mut [f32])| {
        for (iv, ov) in i.chunks_exact(LANES).zip(o.chunks_exact_mut(LANES)) {
            let v: [f32; LANES] = iv.try_into().expect("a whole vector");
            ov.copy_from_slice(f(f32x16::new(v)).as_array());
        }
    };
    let per = input.len().div_ceil(threads).next_multiple_of(LANES);
    if threads == 1 {
        run((input, out));
    } else {
        input
            .par_chunks(per)
            .zip(out.par_chunks_mut(per))
            .for_each(run);
    }
}

fn pool_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(POOL.name);
    // An iteration takes 2 ms to 2 s: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    for case in cases_in(POOL.name) {
        assert_eq!(
            case.peers,
            [&MATERIALIZED],
            "pool has no runner for peers {}",
            case.peer_names()
        );
        let &[nq, nk] = case.dims else {
            panic!("pool case {} must have 2 dims", case.shape())
        };
        let queries: Vec<f32> = uniform(nq, 21).iter().map(|u| 5.0 * u).collect();
        let keys: Vec<f32> = uniform(nk, 22).iter().map(|u| 5.0 * u).collect();
        let values = uniform(nk, 23);
        check_pool(case, &queries, &keys, &values);
        group.throughput(Throughput::Elements(case.work));
        if nq * nk > 100_000_000 {
            // The materialized side takes seconds per iteration here.
            group.sample_size(10);
        }
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| fused(&queries, &keys, &values, par)))
            });
            group.bench_function(case.bench_id(MATERIALIZED.name, threads), |b| {
                pool.install(|| b.iter(|| materialized(&queries, &keys, &values, par)))
            });
        }
    }
    group.finish();
}

/// Ours: sort the keys, then one streaming pass.
fn fused(queries: &[f32], keys: &[f32], values: &[f32], par: Par) -> Vec<f32> {
    let sorted = SortedKeys::new(keys, values).expect("finite inputs");
    pool::pool(&Gaussian::new(W), queries, &sorted, par).y
}

/// The chapter's way: the score matrix, a row softmax, then the product with the values.
fn materialized(queries: &[f32], keys: &[f32], values: &[f32], par: Par) -> Vec<f32> {
    let m = keys.len();
    let mut weights = vec![0.0f32; queries.len() * m];
    let scores = |(row, &q): (&mut [f32], &f32)| {
        for (s, &k) in row.iter_mut().zip(keys) {
            let t = (q - k) * W;
            *s = -(t * t) / 2.0;
        }
    };
    if par.is_parallel() {
        weights.par_chunks_mut(m).zip(queries).for_each(scores);
    } else {
        weights.chunks_mut(m).zip(queries).for_each(scores);
    }
    softmax::softmax_rows(&mut weights, m, par);
    let mut y = vec![0.0; queries.len()];
    matmul::gemm(queries.len(), m, 1, &weights, values, &mut y, par);
    y
}

/// Both sides agree before they are timed (values are positive, so relative error fits).
fn check_pool(case: &Case, queries: &[f32], keys: &[f32], values: &[f32]) {
    let ours = fused(queries, keys, values, Par::Rayon);
    let peer = materialized(queries, keys, values, Par::Rayon);
    let worst = ours
        .iter()
        .zip(&peer)
        .map(|(a, b)| {
            if a.is_finite() {
                (a - b).abs() / b
            } else {
                f32::INFINITY
            }
        })
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-5,
        "pool {}: sides differ by {worst:e}",
        case.shape()
    );
    eprintln!(
        "pool {}: fused and materialized agree to {worst:.1e} (relative)",
        case.shape()
    );
}

fn loo_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(LOO.name);
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for case in cases_in(LOO.name) {
        assert_eq!(
            case.peers,
            [&CHAPTER],
            "loo has no runner for peers {}",
            case.peer_names()
        );
        let &[n] = case.dims else {
            panic!("loo case {} must have 1 dim", case.shape())
        };
        let x: Vec<f32> = uniform(n, 31).iter().map(|u| 5.0 * u).collect();
        let y: Vec<f32> = x.iter().map(|&x| 2.0 * x.sin() + x.powf(0.8)).collect();
        let sorted = SortedKeys::new(&x, &y).expect("finite inputs");
        let tensors = (
            Tensor::from_slice(&x),
            chapter::leave_one_out(&x).expect("n >= 2"),
            chapter::leave_one_out(&y).expect("n >= 2"),
        );
        let ours = pool::loo(&Gaussian::new(W), &sorted, Par::Rayon).expect("n >= 2");
        let peer = chapter_epoch(&tensors, &y, Par::Rayon);
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
        // The fused pass gives dL/d ln h; with h = 1/w, dL/dw = -(1/w) dL/d ln h.
        let grad_w = -ours.grad / f64::from(W);
        assert!(
            rel(ours.loss, peer.0) < 1e-5 && rel(grad_w, peer.1) < 1e-4,
            "loo {}: fused ({}, {grad_w}) vs chapter ({}, {})",
            case.shape(),
            ours.loss,
            peer.0,
            peer.1
        );
        eprintln!(
            "loo {}: fused and chapter agree on loss and gradient",
            case.shape()
        );
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| pool::loo(&Gaussian::new(W), &sorted, par)))
            });
            group.bench_function(case.bench_id(CHAPTER.name, threads), |b| {
                pool.install(|| b.iter(|| chapter_epoch(&tensors, &y, par)))
            });
        }
    }
    group.finish();
}

/// One epoch of the chapter path: forward, summed squared loss, hand-derived backward.
fn chapter_epoch((q, k, v): &(Tensor, Tensor, Tensor), y: &[f32], par: Par) -> (f64, f64) {
    let tape = ParametricPooling::new(W)
        .and_then(|p| p.forward_rows(q, k, v, par))
        .expect("chapter forward");
    let l = loss::squared_loss(tape.y_hat(), y).expect("lengths match");
    let g = tape
        .backward(&loss::squared_loss_grad(tape.y_hat(), y).expect("lengths match"))
        .expect("one gradient per prediction");
    (l, f64::from(g))
}

/// The shared timing, with fewer samples: the chapter's tensors take seconds per run.
fn config() -> Criterion {
    common::config().sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = exp, pool_bench, loo_bench
}
criterion_main!(benches);
