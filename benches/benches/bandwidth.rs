//! Choosing a bandwidth by leave-one-out cross-validation: our search with fused CV passes,
//! beside the same search with every CV(h) computed through the dense `n x n` weight matrix,
//! each on rayon pools of 1 and 2 threads.
//!
//! Ids read `bandwidth/<n>/<ours|dense-cv>/<threads>t`; `cargo xtask bench` reports the time of
//! one whole search.

// Bench binaries may print (the ban is for libraries): the agreement check goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{BANDWIDTH, DENSE_CV, OURS, cases_in, uniform};
use nw_model::KernelKind;
use nw_model::bandwidth::{CvPoint, Search, Selection, Spread, search_min, select};
use nw_tensor::Par;
use nw_tensor::ops::{matmul, softmax};
use rayon::prelude::*;

mod common;
use common::{config, rayon_pool};

fn bandwidth(c: &mut Criterion) {
    let mut group = c.benchmark_group(BANDWIDTH.name);
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for case in cases_in(BANDWIDTH.name) {
        let &[n] = case.dims else {
            panic!("bandwidth case {} must have 1 dim", case.shape())
        };
        let x: Vec<f32> = uniform(n, 41).iter().map(|u| 5.0 * u).collect();
        let noise = uniform(n, 42);
        let y: Vec<f32> = x
            .iter()
            .zip(&noise)
            .map(|(&x, &e)| 2.0 * x.sin() + x.powf(0.8) + (e - 0.5))
            .collect();
        let search = Search::default();
        for &peer in case.peers {
            assert_eq!(peer, &DENSE_CV, "bandwidth has no runner for {}", peer.name);
            let ours = select(KernelKind::Gaussian, &x, &y, &search, Par::Rayon).expect("select");
            let dense = dense_select(&x, &y, &search, Par::Rayon);
            let rel = (f64::from(ours.h) / f64::from(dense.h) - 1.0).abs();
            assert!(
                rel < 1e-3,
                "bandwidth {}: h {} vs dense {}",
                case.shape(),
                ours.h,
                dense.h
            );
            eprintln!(
                "bandwidth {}: fused and dense searches agree (h {} vs {})",
                case.shape(),
                ours.h,
                dense.h
            );
        }
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| select(KernelKind::Gaussian, &x, &y, &search, par)))
            });
            if !case.peers.is_empty() {
                group.bench_function(case.bench_id(DENSE_CV.name, threads), |b| {
                    pool.install(|| b.iter(|| dense_select(&x, &y, &search, par)))
                });
            }
        }
    }
    group.finish();
}

/// The same search, each CV(h) through the dense matrix.
fn dense_select(x: &[f32], y: &[f32], search: &Search, par: Par) -> Selection {
    let mut sorted = x.to_vec();
    sorted.sort_by(f32::total_cmp);
    let spread = Spread::of(&sorted).expect("inputs with a spread");
    search_min(&spread, search, |h| {
        Ok(CvPoint {
            h,
            cv: dense_cv(x, y, h, par),
            isolated: 0,
        })
    })
    .expect("search")
}

/// `CV(h)` the dense way: the `n x n` Gaussian scores with the diagonal left out, a row
/// softmax, then the product with the targets.
fn dense_cv(x: &[f32], y: &[f32], h: f32, par: Par) -> f64 {
    let n = x.len();
    let w = 1.0 / h;
    let mut s = vec![0.0f32; n * n];
    let scores = |(i, row): (usize, &mut [f32])| {
        for (j, v) in row.iter_mut().enumerate() {
            let t = (x[i] - x[j]) * w;
            *v = if i == j {
                f32::NEG_INFINITY
            } else {
                -(t * t) / 2.0
            };
        }
    };
    if par.is_parallel() {
        s.par_chunks_mut(n).enumerate().for_each(scores);
    } else {
        s.chunks_mut(n).enumerate().for_each(scores);
    }
    softmax::softmax_rows(&mut s, n, par);
    let mut y_hat = vec![0.0f32; n];
    matmul::gemm(n, n, 1, &s, y, &mut y_hat, par);
    y_hat
        .iter()
        .zip(y)
        .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
        .sum::<f64>()
        / n as f64
}

criterion_group! {
    name = benches;
    config = config();
    targets = bandwidth
}
criterion_main!(benches);
