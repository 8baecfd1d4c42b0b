//! Choosing one bandwidth per input by leave-one-out cross-validation on the workspace's
//! data files (Boston housing, 10,000 diamonds), through the estimator as a user calls it, on
//! rayon pools of 1 and 2 threads. There is no Rust peer; `cargo xtask bench` sets the Boston
//! time beside statsmodels' `KernelReg`, as `benches/peers/statsmodels_kernelreg.py` recorded
//! it.
//!
//! Ids read `bandwidth_nd/<rows>x<inputs>/ours/<threads>t`; the report gives the time of one
//! whole fit.

// Bench binaries may print (the ban is for libraries): what the fits chose goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{BANDWIDTH_ND, Case, DataFit, OURS, cases_in, data_fit};
use nw_data::{ColumnRef, ReadOptions, Select};
use nw_model::{Inputs, NadarayaWatson, Par};

mod common;
use common::{config, rayon_pool};

fn bandwidth_nd(c: &mut Criterion) {
    let mut group = c.benchmark_group(BANDWIDTH_ND.name);
    // A fit takes 10 ms to seconds: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for case in cases_in(BANDWIDTH_ND.name) {
        assert!(case.peers.is_empty(), "bandwidth_nd has no peer runner");
        let data = data_fit(case)
            .unwrap_or_else(|| panic!("bandwidth_nd {}: no data named", case.shape()));
        let (x, y) = read(case, data);
        let d = data.inputs.len();
        check(case, data, &x, &y);
        group.throughput(Throughput::Elements(case.work));
        for &threads in case.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(case.bench_id(OURS, threads), |b| {
                pool.install(|| b.iter(|| fit(&x, d, &y, par)))
            });
        }
    }
    group.finish();
}

/// The fit as a user writes it, on `par`.
fn fit(x: &[f64], d: usize, y: &[f64], par: Par) -> NadarayaWatson {
    let inputs = Inputs::new(x, d).expect("rows of d inputs");
    NadarayaWatson::params()
        .par(par)
        .fit(inputs, y)
        .expect("a fit")
}

/// The inputs (row-major) and target of `data`, read once with `nw_data`'s reader.
fn read(case: &Case, data: &DataFit) -> (Vec<f64>, Vec<f64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(data.file);
    let mut columns: Vec<ColumnRef> = data.inputs.iter().map(|c| ColumnRef::name(c)).collect();
    columns.push(ColumnRef::name(data.target));
    let frame = nw_data::read_frame(&path, &Select::columns(columns), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("bandwidth_nd {}: {}: {e}", case.shape(), data.file));
    let (n, d) = (frame.rows(), data.inputs.len());
    assert_eq!(
        [n, d],
        case.dims,
        "bandwidth_nd {}: {} does not hold the rows the table says",
        case.shape(),
        data.file
    );
    let x = (0..n)
        .flat_map(|i| frame.columns[..d].iter().map(move |c| c[i]))
        .collect();
    (x, frame.columns[d].clone())
}

/// The fit works and gives the same bandwidths on 1 and 2 threads (the kernels' sums do not
/// depend on the thread count), before anything is timed.
fn check(case: &Case, data: &DataFit, x: &[f64], y: &[f64]) {
    let d = data.inputs.len();
    let seq = fit(x, d, y, Par::Seq);
    let par = rayon_pool(2).install(|| fit(x, d, y, Par::Rayon));
    assert_eq!(
        seq.bandwidths(),
        par.bandwidths(),
        "bandwidth_nd {}: 1 and 2 threads chose differently",
        case.shape()
    );
    let cv = seq.cv().expect("a CV score");
    assert!(cv.is_finite(), "bandwidth_nd {}: CV {cv}", case.shape());
    eprintln!(
        "bandwidth_nd {} ({}: {} -> {}): h {:?}, CV {cv:.6}, {} evaluations",
        case.shape(),
        data.file,
        data.inputs.join(", "),
        data.target,
        seq.bandwidths(),
        seq.chosen().evaluations
    );
}

criterion_group! {
    name = benches;
    config = config();
    targets = bandwidth_nd
}
criterion_main!(benches);
