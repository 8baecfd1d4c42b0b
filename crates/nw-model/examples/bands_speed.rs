//! Times confidence bands against a plain prediction: `cargo run --release -p nw-model
//! --example bands_speed [keys] [queries] [bandwidth] [kernel]`.

// An example reports to its terminal.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use nw_model::Par;
use nw_model::{
    BandKind, BandOptions, Bandwidth, Far, Inputs, KernelKind, Multipliers, NadarayaWatson,
};
use nw_tensor::ops::multiplier::{BLOCK, MultiplierBits, replicate_sums};

fn main() -> Result<(), nw_model::ModelError> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: f64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let n = arg(1, 200_000.0) as usize;
    let m = arg(2, 2_000.0) as usize;
    let h = arg(3, 0.01);
    let kernel = args
        .get(4)
        .and_then(|s| KernelKind::from_name(s))
        .unwrap_or(KernelKind::Epanechnikov);
    let x: Vec<f64> = (0..n).map(|i| 10.0 * (i as f64 + 0.5) / n as f64).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &a)| a.sin() + 0.3 * (((i * 7919) % 1000) as f64 / 1000.0 - 0.5))
        .collect();
    let q: Vec<f64> = (0..m).map(|i| 10.0 * i as f64 / m as f64).collect();
    let model = NadarayaWatson::params()
        .kernel(kernel)
        .degree(1)
        .bandwidth(Bandwidth::Fixed(h))
        .far(Far::Nan)
        .fit(Inputs::column(&x), &y)?;
    let time = |what: &str, f: &mut dyn FnMut() -> Result<(), nw_model::ModelError>| {
        let t = Instant::now();
        f()?;
        let s = t.elapsed().as_secs_f64();
        println!("{what:<40} {s:>9.3} s");
        Ok::<f64, nw_model::ModelError>(s)
    };
    println!(
        "{n} keys, {m} queries, {} bandwidth {h}, degree 1",
        kernel.name()
    );
    let predict = time("predict", &mut || {
        model.predict(Inputs::column(&q)).map(|_| ())
    })?;
    // The same call without queries: the training fit, variances and draws alone.
    let none: [f64; 0] = [];
    let base = time("bands: asymptotic, no queries", &mut || {
        model
            .bands(Inputs::column(&none), &BandOptions::default())
            .map(|_| ())
    })?;
    let asym = time("bands: asymptotic", &mut || {
        model
            .bands(Inputs::column(&q), &BandOptions::default())
            .map(|_| ())
    })?;
    println!(
        "  the queries' pass: {:.3} s = {:.1} x predict",
        asym - base,
        (asym - base) / predict
    );
    for simultaneous in [false, true] {
        let options = BandOptions {
            kind: BandKind::Bootstrap {
                replicates: 999,
                seed: 1,
                multipliers: Multipliers::Mammen,
            },
            simultaneous,
            ..Default::default()
        };
        let base = time("bands: bootstrap, no queries", &mut || {
            model.bands(Inputs::column(&none), &options).map(|_| ())
        })?;
        let what = format!("bands: bootstrap B = 999 (sup-t: {simultaneous})");
        let boot = time(&what, &mut || {
            model.bands(Inputs::column(&q), &options).map(|_| ())
        })?;
        println!(
            "  the queries' pass with 999 replicates: {:.3} s = {:.1} x predict",
            boot - base,
            (boot - base) / predict
        );
    }
    // The replicate sums alone (nw-tensor's subset-sum kernel), one thread: every query block
    // over as many keys as a query of this model has in reach, in f32 coefficients.
    let reach = match kernel.support() {
        Some(s) => 2.0 * s * h,
        None => 2.0 * 9.5 * h,
    };
    let keys = ((reach / 10.0 * n as f64) as usize).clamp(1, n);
    let ids: Vec<u64> = (0..keys as u64).collect();
    let bits = MultiplierBits::new(Multipliers::Mammen, 1, &ids, 999, Par::Seq);
    let coef: Vec<[f32; BLOCK]> = (0..keys)
        .map(|k| std::array::from_fn(|l| ((k * 31 + l) % 17) as f32 - 8.0))
        .collect();
    let mut acc = vec![0.0; 999 * BLOCK];
    let blocks = m.div_ceil(BLOCK);
    let t = Instant::now();
    for _ in 0..blocks {
        replicate_sums(&coef, 0, &bits, &mut acc);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "replicate sums alone, {blocks} blocks x {keys} keys x 999, 1 thread: {s:.3} s ({:.2e} \
         pair-replicates/s)",
        (blocks * BLOCK * keys) as f64 * 999.0 / s
    );
    Ok(())
}
