//! Times of the sorted sweeps (`ops::sweep`) beside the direct path (`ops::pool`), on keys
//! uniform on `[0, 5)` at the rule-of-thumb bandwidth and a tenth of it, on the current rayon
//! pool. A quick check while tuning the cost model; `cargo xtask bench` is the record. Run with
//! `cargo run --release -p nw-tensor --example sweep_rate [n] [queries]`.

// An example reports on stdout (the ban is for the library).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{SortedKeys, loo_cv, pool};
use nw_tensor::ops::sweep::{loo_sweep, pool_sweep, sweep_pays};

/// `len` numbers uniform on `[0, 5)` from a fixed seed (splitmix64).
fn uniform(len: usize, mut state: u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            5.0 * ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn secs(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

struct Direct<'a>(&'a [f32], &'a SortedKeys, bool);

impl KernelVisitor for Direct<'_> {
    type Output = ();
    fn visit<K: Bandwidth>(self, kernel: K) {
        if self.2 {
            loo_cv(&kernel, self.1, Par::Rayon).unwrap();
        } else {
            pool(&kernel, self.0, self.1, Par::Rayon);
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let m = args.get(1).copied().unwrap_or(n);
    let x = uniform(n, 1);
    let y: Vec<f32> = x.iter().map(|&v| 2.0 * v.sin() + v.powf(0.8)).collect();
    let keys = SortedKeys::new(&x, &y).unwrap();
    let queries = uniform(m, 2);
    // Silverman's rule for the uniform's spread, 1.44.
    let rule = (1.06 * 1.443 * (n as f64).powf(-0.2)) as f32;
    println!("n {n}, queries {m}, rule-of-thumb h {rule}");
    for kind in KernelKind::ALL {
        for h in [rule, rule / 10.0] {
            let sweep = secs(|| {
                pool_sweep(kind, h, &queries, &keys, Par::Rayon);
            });
            let loo = secs(|| {
                loo_sweep(kind, h, &keys, Par::Rayon).unwrap();
            });
            // The direct path on a sample of queries, scaled up.
            let sample = &queries[..m.min(2000)];
            let direct = secs(|| kind.visit(h, Direct(sample, &keys, false))) * m as f64
                / sample.len() as f64;
            let small = if n <= 200_000 {
                format!("{:.3}", secs(|| kind.visit(h, Direct(&[], &keys, true))))
            } else {
                "-".into()
            };
            println!(
                "{:>12} h {h:.5}: predict sweep {sweep:.3} s, direct ~{direct:.2} s ({:.0}x); loo sweep {loo:.3} s, direct {small} s; auto sweeps {}",
                kind.name(),
                direct / sweep,
                sweep_pays(kind, h, &keys, m)
            );
        }
    }
}
