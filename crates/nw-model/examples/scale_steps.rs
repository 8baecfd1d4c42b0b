//! Where the time of a large fit goes: reading a CSV, sorting its inputs, the leave-one-out CV
//! search, and predicting at a second file's inputs, each timed on its own, with the
//! process's peak memory. For the issue 13 scale runs (`benches/peers/sweep_scale.sh` makes the
//! files); run with
//! `cargo run --release -p nw-model --example scale_steps -- TRAIN.csv QUERIES.csv [kernel]
//! [auto|direct|sweep]`.

// An example reports on stdout (the ban is for the library).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use nw_model::bandwidth::{Search, select};
use nw_model::{Algorithm, KernelKind};
use nw_tensor::Par;
use nw_tensor::ops::pool::SortedKeys;
use nw_tensor::ops::sweep::pool_sweep;

/// The process's peak resident memory in MB (Linux's `VmHWM`), if it can be read.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(train), Some(queries)) = (args.first(), args.get(1)) else {
        return Err("usage: scale_steps TRAIN.csv QUERIES.csv [kernel] [algorithm]".into());
    };
    let kind = KernelKind::from_name(args.get(2).map_or("gaussian", String::as_str))
        .ok_or("unknown kernel")?;
    let algorithm = match args.get(3).map_or("auto", String::as_str) {
        "auto" => Algorithm::Auto,
        "direct" => Algorithm::Direct,
        "sweep" => Algorithm::Sweep,
        other => return Err(format!("unknown algorithm {other}").into()),
    };
    let t = Instant::now();
    let data = nw_data::read::read_dataset(train)?;
    let q = nw_data::read::read_queries(queries)?;
    let read = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let keys = SortedKeys::new(data.x(), data.y())?;
    let sort = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let search = Search {
        algorithm,
        ..Search::default()
    };
    let chosen = select(kind, data.x(), data.y(), &search, Par::Rayon)?;
    let cv = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pooled = pool_sweep(kind, chosen.h, &q, &keys, Par::Rayon);
    let predict = t.elapsed().as_secs_f64();
    let missing = pooled.y.iter().filter(|y| y.is_nan()).count();
    println!(
        "{} rows, {} queries, {} kernel, {}: read {read:.2} s, sort {sort:.2} s, CV search {cv:.2} s ({} bandwidths, h {}), predict {predict:.2} s ({missing} without an estimate); peak memory {:.0} MB",
        data.x().len(),
        q.len(),
        kind.name(),
        algorithm.name(),
        chosen.curve.len(),
        chosen.h,
        peak_mb().unwrap_or(f64::NAN)
    );
    Ok(())
}
