//! Row softmax: our `softmax_rows` beside a plain scalar loop (`nw_bench::plain_softmax_row`)
//! on every case of the `softmax` group in `nw_bench::CASES`, each side on rayon pools of 1
//! and 2 threads.
//!
//! Ids read `softmax/<shape>/<ours|plain-loop>/<threads>t`; throughput counts 4 bytes read and
//! 4 bytes written per element, reported by `cargo xtask bench` in GB/s.

// Bench binaries may print (the ban is for libraries): the agreement check goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{OURS, PLAIN_LOOP, SOFTMAX, cases_in, plain_softmax_row, uniform};
use nw_tensor::Par;
use nw_tensor::ops::softmax::softmax_rows;
use rayon::prelude::*;

fn softmax(c: &mut Criterion) {
    let mut group = c.benchmark_group(SOFTMAX.name);
    // An iteration takes 5-60 ms: the same number of iterations in every sample, not criterion's
    // linear ramp, keeps the run short.
    group.sampling_mode(SamplingMode::Flat);
    for case in cases_in(SOFTMAX.name) {
        assert_eq!(
            case.peers,
            [&PLAIN_LOOP],
            "softmax has no runner for peers {}",
            case.peer_names()
        );
        let &[rows, cols] = case.dims else {
            panic!(
                "softmax case {} must have 2 dims ({})",
                case.shape(),
                SOFTMAX.dims
            )
        };
        let input = uniform(rows * cols, 3);
        check_agreement(case.shape(), &input, cols);

        group.throughput(Throughput::Bytes(case.work));
        for &threads in case.threads {
            let pool = pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            // Softmax works in place, so every iteration gets a fresh copy of the input from
            // `iter_batched_ref`'s setup, which is not timed: the same on both sides, and the
            // bytes counted are the softmax's own. `LargeInput` makes a batch of
            // ceil(iterations / 1000) inputs; a sample here has far fewer than 1000 iterations,
            // so each copy is made and timed alone and one 64 MiB copy is alive at a time.
            group.bench_function(case.bench_id(OURS, threads), |bench| {
                pool.install(|| {
                    bench.iter_batched_ref(
                        || input.clone(),
                        |x| softmax_rows(x, cols, par),
                        BatchSize::LargeInput,
                    )
                })
            });
            group.bench_function(case.bench_id(PLAIN_LOOP.name, threads), |bench| {
                pool.install(|| {
                    bench.iter_batched_ref(
                        || input.clone(),
                        |x| plain_softmax_rows(x, cols, threads),
                        BatchSize::LargeInput,
                    )
                })
            });
        }
    }
    group.finish();
}

/// A rayon pool of exactly `threads` threads; the benches run inside its `install`.
fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a rayon pool of {threads} threads: {e}"))
}

/// The peer: the plain loop on each row, over the rows with rayon when `threads > 1`.
fn plain_softmax_rows(data: &mut [f32], cols: usize, threads: usize) {
    if threads == 1 {
        data.chunks_mut(cols).for_each(plain_softmax_row);
    } else {
        data.par_chunks_mut(cols).for_each(plain_softmax_row);
    }
}

/// Both sides must give the same weights on every thread count before they are timed.
fn check_agreement(shape: String, input: &[f32], cols: usize) {
    let mut reference = input.to_vec();
    plain_softmax_rows(&mut reference, cols, 1);
    let mut worst = 0.0f32;
    for threads in [1, 2] {
        pool(threads).install(|| {
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            let mut ours = input.to_vec();
            let mut peer = input.to_vec();
            softmax_rows(&mut ours, cols, par);
            plain_softmax_rows(&mut peer, cols, threads);
            for ((&o, &p), &r) in ours.iter().zip(&peer).zip(&reference) {
                // Inputs are in [0, 1), so every weight is near 1 / cols, far from underflow;
                // `f32::max` would drop a NaN, so a NaN weight counts as infinitely wrong.
                for err in [(o - r).abs() / r, (p - r).abs() / r] {
                    worst = if err.is_nan() {
                        f32::INFINITY
                    } else {
                        worst.max(err)
                    };
                }
            }
        });
    }
    assert!(
        worst < 1e-5,
        "softmax {shape}: ours and the plain loop differ by {worst:e}"
    );
    eprintln!("softmax {shape}: ours and the plain loop agree to {worst:.1e} (relative)");
}

/// 1 s warm-up and 3 s measured per benchmark, 10 samples of a fixed iteration count; the
/// untimed input copies add about as much again. Command-line flags override these (that is
/// how `cargo xtask bench --quick` shortens a run).
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
}

criterion_group! {
    name = benches;
    config = config();
    targets = softmax
}
criterion_main!(benches);
