//! Batched matrix products: our `batched_gemm` beside `matrixmultiply::sgemm` on every case of
//! the `bmm` group in `nw_bench::CASES`, each side on rayon pools of 1 and 2 threads.
//!
//! Ids read `bmm/<shape>/<ours|matrixmultiply>/<threads>t`; throughput is in flops
//! (criterion's "elem/s"), which `cargo xtask bench` reports as GFLOP/s.

// Bench binaries may print (the ban is for libraries): the agreement check goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nw_bench::{BMM, MATRIXMULTIPLY, OURS, cases_in, uniform};
use nw_tensor::Par;
use nw_tensor::ops::matmul::batched_gemm;
use rayon::prelude::*;

fn bmm(c: &mut Criterion) {
    let mut group = c.benchmark_group(BMM.name);
    for case in cases_in(BMM.name) {
        assert_eq!(
            case.peers,
            [&MATRIXMULTIPLY],
            "bmm has no runner for peers {}",
            case.peer_names()
        );
        let &[batch, m, k, n] = case.dims else {
            panic!("bmm case {} must have 4 dims ({})", case.shape(), BMM.dims)
        };
        let a = uniform(batch * m * k, 1);
        let b = uniform(batch * k * n, 2);
        let mut c_ours = vec![0.0; batch * m * n];
        let mut c_peer = vec![0.0; batch * m * n];
        check_agreement(case.shape(), (batch, m, k, n), &a, &b);

        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |bench| {
                pool.install(|| {
                    bench.iter(|| {
                        batched_gemm(
                            batch,
                            m,
                            k,
                            n,
                            black_box(&a),
                            black_box(&b),
                            &mut c_ours,
                            par,
                        )
                    })
                })
            });
            group.bench_function(case.bench_id(MATRIXMULTIPLY.name, threads), |bench| {
                pool.install(|| {
                    bench.iter(|| {
                        peer_bmm(
                            (batch, m, k, n),
                            black_box(&a),
                            black_box(&b),
                            &mut c_peer,
                            threads,
                        )
                    })
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

/// The peer's batched product on `threads` threads of the current rayon pool.
///
/// `matrixmultiply` can thread itself, but it reads `MATMUL_NUM_THREADS` once per process, so
/// one run could not measure it on both 1 and 2 threads. Instead rayon splits the work into
/// `threads` parts and each part calls single-threaded `sgemm`: the batch when there are at
/// least as many products as threads, otherwise the rows of A and C (B is shared).
fn peer_bmm(
    (batch, m, k, n): (usize, usize, usize, usize),
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    threads: usize,
) {
    let products = |a: &[f32], b: &[f32], c: &mut [f32]| {
        for ((c, a), b) in c
            .chunks_mut(m * n)
            .zip(a.chunks(m * k))
            .zip(b.chunks(k * n))
        {
            sgemm(m, k, n, a, b, c);
        }
    };
    if threads == 1 {
        products(a, b, c);
    } else if batch >= threads {
        let per = batch.div_ceil(threads);
        c.par_chunks_mut(per * m * n)
            .zip(a.par_chunks(per * m * k))
            .zip(b.par_chunks(per * k * n))
            .for_each(|((c, a), b)| products(a, b, c));
    } else {
        let rows = m.div_ceil(threads);
        for ((c, a), b) in c
            .chunks_mut(m * n)
            .zip(a.chunks(m * k))
            .zip(b.chunks(k * n))
        {
            c.par_chunks_mut(rows * n)
                .zip(a.par_chunks(rows * k))
                .for_each(|(c, a)| sgemm(c.len() / n, k, n, a, b, c));
        }
    }
}

/// `C = A B` for row-major `A (m x k)`, `B (k x n)`, `C (m x n)` with `matrixmultiply::sgemm`
/// on the calling thread; `C` is overwritten.
#[allow(unsafe_code)] // sgemm takes raw pointers and strides; this is its one safe door.
fn sgemm(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(
        a.len() == m * k && b.len() == k * n && c.len() == m * n,
        "sgemm: bad lengths"
    );
    let (m_, k_, n_) = (m as isize, k as isize, n as isize);
    debug_assert!(m_ >= 0 && k_ >= 0 && n_ >= 0);
    // SAFETY: the assert makes `a`, `b` and `c` exactly m x k, k x n and m x n row-major
    // (row strides k, n, n; column stride 1), so every element sgemm addresses is in bounds;
    // `c` is a unique borrow, so it aliases neither input; with beta = 0, C is only written.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k_,
            1,
            b.as_ptr(),
            n_,
            1,
            0.0,
            c.as_mut_ptr(),
            n_,
            1,
        );
    }
}

/// Both sides must compute the same product on every thread count before they are timed.
fn check_agreement(shape: String, dims: (usize, usize, usize, usize), a: &[f32], b: &[f32]) {
    let (batch, m, k, n) = dims;
    let mut reference = vec![0.0; batch * m * n];
    peer_bmm(dims, a, b, &mut reference, 1);
    let mut worst = 0.0f32;
    for threads in [1, 2] {
        pool(threads).install(|| {
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            let mut ours = vec![f32::NAN; batch * m * n];
            let mut peer = vec![f32::NAN; batch * m * n];
            batched_gemm(batch, m, k, n, a, b, &mut ours, par);
            peer_bmm(dims, a, b, &mut peer, threads);
            for ((&o, &p), &r) in ours.iter().zip(&peer).zip(&reference) {
                // Inputs are in [0, 1), so every entry is positive and a relative error fits;
                // `f32::max` would drop a NaN, so an entry left unwritten counts as infinite.
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
        "bmm {shape}: ours and matrixmultiply differ by {worst:e} (relative)"
    );
    eprintln!("bmm {shape}: ours and matrixmultiply agree to {worst:.1e} (relative)");
}

/// About 4 s per benchmark (1 s warm-up, 3 s measured): 512^3 takes 1-2 ms and the 64^3
/// batch about as long, so 40 samples are plenty. Command-line flags override these (that is
/// how `cargo xtask bench --quick` shortens a run).
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bmm
}
criterion_main!(benches);
