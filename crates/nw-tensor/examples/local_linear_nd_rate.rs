//! Rates of the d-dimensional local linear fit (`ops::local_linear_nd::pool_linear_nd`) beside
//! the Nadaraya-Watson pooling it builds on (`ops::pool_nd::pool_nd`), on one thread, on the
//! bench package's `pool_nd` shapes (Gaussian, bandwidth 0.5, uniform on `[0, 1)^d`, so every
//! pair is weighed). A quick check while tuning the kernels; the criterion benches are the
//! record. Run with
//! `cargo run --release -p nw-tensor --example local_linear_nd_rate [d ..]`.

// An example reports on stdout (the ban is for the library).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use nw_tensor::Par;
use nw_tensor::kernels::radial::KernelKind;
use nw_tensor::ops::local_linear_nd::pool_linear_nd;
use nw_tensor::ops::pool_nd::{KeysNd, pool_nd};

/// `len` numbers uniform on `[0, 1)` from a fixed seed (splitmix64).
fn uniform(len: usize, mut state: u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

/// The best of `reps` runs of `f`, in seconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let (nq, nk) = (4096, 4096);
    // The dimensions to time, from the arguments (all compiled ones by default).
    let mut dims: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if dims.is_empty() {
        dims = vec![1, 2, 3, 4, 8];
    }
    for d in dims {
        let queries = uniform(nq * d, 71 + d as u64);
        let keys = uniform(nk * d, 81 + d as u64);
        let values: Vec<f32> = keys
            .chunks_exact(d)
            .map(|k| {
                2.0 + k
                    .iter()
                    .map(|x| (std::f32::consts::TAU * x).sin())
                    .sum::<f32>()
            })
            .collect();
        let h = vec![0.5; d];
        let sorted = KeysNd::new(&keys, d, &values, 0).expect("finite inputs");
        let nw = best(5, || {
            std::hint::black_box(
                pool_nd(KernelKind::Gaussian, &h, &queries, &sorted, false, Par::Seq)
                    .expect("valid bandwidths"),
            );
        });
        let ll = best(5, || {
            std::hint::black_box(
                pool_linear_nd(KernelKind::Gaussian, &h, &queries, &sorted, Par::Seq)
                    .expect("valid bandwidths"),
            );
        });
        let pairs = (nq * nk) as f64 * 1e-9;
        println!(
            "d = {d}: NW {:.3} G pairs/s, local linear {:.3} G pairs/s, ratio {:.3}",
            pairs / nw,
            pairs / ll,
            nw / ll
        );
    }
}
