//! Attention pooling in `d` dimensions: the fused kernel `ops::pool_nd::pool_nd` beside the
//! same computation materialized a block of queries at a time, and the loop that bounds it
//! (one `exp2` and `d` multiply-adds per pair), each on rayon pools of 1 and 2 threads.
//!
//! Ids read `<pool_nd|pool_nd_bound>/<d>x<queries>x<keys>/<ours|materialized>/<threads>t`;
//! throughput counts query-key pairs, reported by `cargo xtask bench` in G pairs/s.

// Bench binaries may print (the ban is for libraries): the agreement checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{Case, MATERIALIZED_ND, OURS, POOL_ND, POOL_ND_BOUND, cases_in, uniform};
use nw_tensor::Par;
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::isa::{self, Simd, Task};
use nw_tensor::kernels::radial::KernelKind;
use nw_tensor::kernels::simd::{self, On};
use nw_tensor::ops::pool_nd::{KeysNd, pool_nd};
use nw_tensor::ops::softmax;
use rayon::prelude::*;

mod common;
use common::{config, rayon_pool};

/// The bandwidth in every dimension: on [0, 1)^d no key lies far enough from a query to be
/// pruned (see `nw_bench::POOL_ND`), so every pair is weighed.
const H: f32 = 0.5;

/// Scores the materialized peer holds at once: 64 MiB, the size of the 4096 x 4096 matrix.
const BLOCK_SCORES: usize = 1 << 24;

fn pool_nd_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(POOL_ND.name);
    // An iteration takes 5 ms to 2 s: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    for case in cases_in(POOL_ND.name) {
        assert_eq!(
            case.peers,
            [&MATERIALIZED_ND],
            "pool_nd has no runner for peers {}",
            case.peer_names()
        );
        let &[d, nq, nk] = case.dims else {
            panic!("pool_nd case {} must have 3 dims", case.shape())
        };
        let queries = uniform(nq * d, 71 + d as u64);
        let keys = uniform(nk * d, 81 + d as u64);
        let values = smooth(&keys, d);
        let h = vec![H; d];
        check(case, &h, &queries, &keys, &values);
        group.throughput(Throughput::Elements(case.work));
        // The materialized side takes seconds per iteration on 200,000 keys.
        group.sample_size(if nq * nk > 100_000_000 { 10 } else { 20 });
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| fused(&h, &queries, &keys, &values, par)))
            });
            group.bench_function(case.bench_id(MATERIALIZED_ND.name, threads), |b| {
                pool.install(|| b.iter(|| materialized(&h, &queries, &keys, &values, par)))
            });
        }
    }
    group.finish();
}

/// Values of a smooth function of the keys (row-major `n x d`): `2 + mean_l sin(2 pi x_l)`,
/// in [1, 3], so predictions are far from 0 and relative errors mean something.
fn smooth(keys: &[f32], d: usize) -> Vec<f32> {
    keys.chunks_exact(d)
        .map(|k| {
            2.0 + k
                .iter()
                .map(|x| (std::f32::consts::TAU * x).sin())
                .sum::<f32>()
                / d as f32
        })
        .collect()
}

/// Ours: sort the keys, then the fused passes.
fn fused(h: &[f32], queries: &[f32], keys: &[f32], values: &[f32], par: Par) -> Vec<f32> {
    let d = h.len();
    let sorted = KeysNd::new(keys, d, values, 0).expect("finite inputs");
    pool_nd(KernelKind::Gaussian, h, queries, &sorted, false, par)
        .expect("valid bandwidths")
        .y
}

/// The materialized way, a block of queries at a time: the block's scores, a row softmax,
/// then each row's dot product with the values.
fn materialized(h: &[f32], queries: &[f32], keys: &[f32], values: &[f32], par: Par) -> Vec<f32> {
    let d = h.len();
    let n = values.len();
    let w: Vec<f32> = h.iter().map(|h| 1.0 / h).collect();
    // The keys as d columns, so the loop over keys runs along memory.
    let columns: Vec<Vec<f32>> = (0..d)
        .map(|j| keys.iter().skip(j).step_by(d).copied().collect())
        .collect();
    let rows = (BLOCK_SCORES / n).max(1);
    let mut scores = vec![0.0f32; rows.min(queries.len() / d) * n];
    let mut y = Vec::with_capacity(queries.len() / d);
    let score_row = |(row, q): (&mut [f32], &[f32])| {
        row.fill(0.0);
        for ((column, &qj), &wj) in columns.iter().zip(q).zip(&w) {
            for (s, &k) in row.iter_mut().zip(column) {
                let t = (qj - k) * wj;
                *s += t * t;
            }
        }
        for s in row.iter_mut() {
            *s *= -0.5;
        }
    };
    for block in queries.chunks(rows * d) {
        let m = block.len() / d;
        let s = &mut scores[..m * n];
        if par.is_parallel() {
            s.par_chunks_mut(n)
                .zip(block.par_chunks(d))
                .for_each(score_row);
        } else {
            s.chunks_mut(n).zip(block.chunks(d)).for_each(score_row);
        }
        softmax::softmax_rows(s, n, par);
        if par.is_parallel() {
            y.par_extend(s.par_chunks(n).map(|row| On::active().dot(row, values)));
        } else {
            y.extend(s.chunks(n).map(|row| On::active().dot(row, values)));
        }
    }
    y
}

/// Both sides agree before they are timed (values are in [1, 3], so relative error fits).
fn check(case: &Case, h: &[f32], queries: &[f32], keys: &[f32], values: &[f32]) {
    let ours = fused(h, queries, keys, values, Par::Rayon);
    let peer = materialized(h, queries, keys, values, Par::Rayon);
    assert_eq!(ours.len(), peer.len(), "pool_nd {}", case.shape());
    let worst = ours
        .iter()
        .zip(&peer)
        .map(|(a, b)| {
            if a.is_finite() {
                (a - b).abs() / b.abs()
            } else {
                f32::INFINITY
            }
        })
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-4,
        "pool_nd {}: sides differ by {worst:e}",
        case.shape()
    );
    eprintln!(
        "pool_nd {}: fused and materialized agree to {worst:.1e} (relative)",
        case.shape()
    );
}

fn bound_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group(POOL_ND_BOUND.name);
    for case in cases_in(POOL_ND_BOUND.name) {
        assert!(case.peers.is_empty(), "the bound has no peers");
        let &[d, nq, nk] = case.dims else {
            panic!("pool_nd_bound case {} must have 3 dims", case.shape())
        };
        assert!(nk.is_multiple_of(LANES), "whole vectors of keys");
        // Keys on [0, 1) in blocks of LANES (d vectors each), coefficients on (-1, 0]: scores
        // on (-d, 0], where `exp2` is exact work and never a denormal.
        let keys = uniform(nk * d, 91);
        let coefficients: Vec<f32> = uniform(nq * d, 92).iter().map(|u| -u).collect();
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| bound(d, &keys, &coefficients, threads)))
            });
        }
    }
    group.finish();
}

/// The bound in `d` dimensions, the queries split between `threads` threads.
fn bound(d: usize, keys: &[f32], coefficients: &[f32], threads: usize) -> f32 {
    let run = |q: &[f32]| match d {
        2 => isa::run(BoundPass::<2> {
            keys,
            coefficients: q,
        }),
        4 => isa::run(BoundPass::<4> {
            keys,
            coefficients: q,
        }),
        8 => isa::run(BoundPass::<8> {
            keys,
            coefficients: q,
        }),
        _ => panic!("no bound loop for d = {d}"),
    };
    if threads == 1 {
        run(coefficients)
    } else {
        let per = (coefficients.len() / d).div_ceil(threads) * d;
        coefficients.par_chunks(per).map(run).sum()
    }
}

/// Every query against every key: `D` multiply-adds for the score, one `exp2`, one add into
/// a single accumulator (returned, so the work cannot be optimized away), on the active
/// level's vectors.
struct BoundPass<'a, const D: usize> {
    keys: &'a [f32],
    coefficients: &'a [f32],
}

impl<const D: usize> Task for BoundPass<'_, D> {
    type Output = f32;

    #[inline(always)]
    fn run<V: Simd>(self) -> f32 {
        let mut acc = V::ZERO;
        for q in self.coefficients.chunks_exact(D) {
            let mut qv = [V::ZERO; D];
            for (v, &x) in qv.iter_mut().zip(q) {
                *v = V::splat(x);
            }
            for block in self.keys.chunks_exact(D * LANES) {
                let mut s = V::ZERO;
                for (k, qj) in block.chunks_exact(LANES).zip(&qv) {
                    s = V::load(k).mul_add(*qj, s);
                }
                acc += simd::exp2(s);
            }
        }
        acc.reduce_add()
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bound_bench, pool_nd_bench
}
criterion_main!(benches);
