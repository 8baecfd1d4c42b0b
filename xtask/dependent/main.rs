//! A crate outside the `nw` workspace that depends on `nw-model` by path, as a user's would:
//! `cargo xtask dependent` writes this file into a fresh crate, builds it with plain
//! `cargo build --release` and with `-C target-cpu=native`, and sets the two side by side.
//!
//! It fits Gaussian Nadaraya-Watson to 200,000 keys with a fixed bandwidth, predicts 2000
//! queries by the direct path (the one the vector kernels run) on one thread, several times,
//! and prints one JSON line: the best time, the predictions' bits as a hash and their sum, and
//! the instruction set the kernels chose.
//!
//! Usage: `nw-dependent [REPEATS]` (default 10).

use std::time::Instant;

use nw_model::{Algorithm, Bandwidth, Inputs, KernelKind, NadarayaWatson, Par};
use nw_tensor::kernels::isa::Level;

/// Keys and queries of the check: 2000 x 200,000.
const KEYS: usize = 200_000;
const QUERIES: usize = 2000;
/// The bandwidth, on inputs spread over [0, 5): every key is within reach of every query.
const BANDWIDTH: f64 = 0.5;

/// splitmix64: a fixed sequence, so both builds see the same inputs on every machine.
struct SplitMix(u64);

impl SplitMix {
    /// The next value in [0, 1), from the top 53 bits (exact in an f64).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let repeats: usize = match std::env::args().nth(1) {
        None => 10,
        Some(a) => match a.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("nw-dependent: REPEATS must be a positive whole number, got {a:?}");
                std::process::exit(2);
            }
        },
    };
    let mut rng = SplitMix(2024);
    let x: Vec<f64> = (0..KEYS).map(|_| 5.0 * rng.unit()).collect();
    // Targets: x (3 - x) / 2 plus uniform noise (exactly rounded arithmetic only, no `sin`,
    // whose last bit depends on the platform's maths library).
    let y: Vec<f64> = x
        .iter()
        .map(|&x| x * (3.0 - x) / 2.0 + (rng.unit() - 0.5))
        .collect();
    let q: Vec<f64> = (0..QUERIES).map(|_| 5.0 * rng.unit()).collect();

    // One thread: the machine running the check is shared, and one core's time is steadier.
    let model = NadarayaWatson::params()
        .kernel(KernelKind::Gaussian)
        .bandwidth(Bandwidth::Fixed(BANDWIDTH))
        .algorithm(Algorithm::Direct)
        .par(Par::Seq)
        .fit(Inputs::column(&x), &y)
        .unwrap_or_else(|e| {
            eprintln!("nw-dependent: fit failed: {e}");
            std::process::exit(1);
        });
    let mut best = u128::MAX;
    let mut first: Option<Vec<f64>> = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let prediction = model.predict(Inputs::column(&q)).unwrap_or_else(|e| {
            eprintln!("nw-dependent: predict failed: {e}");
            std::process::exit(1);
        });
        best = best.min(start.elapsed().as_nanos());
        match &first {
            None => first = Some(prediction.y),
            Some(y) if y.iter().map(|v| v.to_bits()).eq(prediction.y.iter().map(|v| v.to_bits())) => {}
            Some(_) => {
                eprintln!("nw-dependent: two predictions of the same queries differ");
                std::process::exit(1);
            }
        }
    }
    let y = first.unwrap_or_default();
    // FNV-1a over every prediction's bits: equal hashes mean the same bits, almost surely.
    let bits = y.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
        v.to_bits()
            .to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    });
    let sum: f64 = y.iter().sum();
    println!(
        "{{\"keys\": {KEYS}, \"queries\": {QUERIES}, \"repeats\": {repeats}, \"best_ns\": {best}, \
         \"bits\": \"{bits:016x}\", \"sum\": {sum:?}, \"level\": \"{}\"}}",
        Level::active().name()
    );
}
