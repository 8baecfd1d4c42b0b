//! Reading CSV files: `nw_data`'s reader beside the `csv` crate's tokenizer alone and beside
//! the reader `nw` had before issue 10, on files of 10^6 rows in memory; then `nw predict`'s
//! wall time in its two steps, reading both files from disk and pooling, each timed on its own.
//!
//! Ids read `read/<rows>x<columns>x<used>/<ours|csv-bytes|split-parse>/1t`, with throughput in
//! bytes (`cargo xtask bench` reports MB/s and rows/s), and `predict/<queries>x<keys>/<read|
//! pool>/<threads>t` (the time of one step; reading is sequential, so only `1t`).

// Bench binaries may print (the ban is for libraries): the agreement checks go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nw_bench::{
    CSV_BYTES, Case, CsvFile, OURS, POOL_STEP, PREDICT, READ, READ_STEP, SPLIT_PARSE, SPLITS,
    Split, cases_in, ten_column_csv, two_column_csv, uniform,
};
use nw_data::{Origin, ReadOptions, Select, Synthetic, parse_frame, read_frame};
use nw_model::{KernelKind, NonparametricPooling, PoolOptions, Pooling};
use nw_tensor::Par;

mod common;
use common::{config, rayon_pool};

/// The bandwidth of the `predict` split: fixed, as with `--bandwidth 0.5`.
const H: f32 = 0.5;

/// The columns both files are read for.
const WANTED: [&str; 2] = ["x", "y"];

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group(READ.name);
    // An iteration takes 50 ms to 1 s: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for case in cases_in(READ.name) {
        assert_eq!(
            case.peers,
            [&CSV_BYTES, &SPLIT_PARSE],
            "read has no runner for peers {}",
            case.peer_names()
        );
        let &[rows, columns, used] = case.dims else {
            panic!(
                "read case {} must have 3 dims ({})",
                case.shape(),
                READ.dims
            )
        };
        assert_eq!(used, WANTED.len(), "read case {}", case.shape());
        let file = match columns {
            2 => two_column_csv(rows),
            10 => ten_column_csv(rows),
            _ => panic!("read case {}: no file of {columns} columns", case.shape()),
        };
        assert_eq!(
            file.bytes.len() as u64,
            case.work,
            "read case {}: the file is not the size the table says",
            case.shape()
        );
        check_read(case, &file, columns);
        group.throughput(Throughput::Bytes(case.work));
        assert_eq!(case.threads, [1], "reading a file is sequential");
        group.bench_function(case.bench_id(OURS, 1), |b| b.iter(|| ours(&file.bytes)));
        group.bench_function(case.bench_id(CSV_BYTES.name, 1), |b| {
            b.iter(|| csv_bytes(&file.bytes))
        });
        group.bench_function(case.bench_id(SPLIT_PARSE.name, 1), |b| {
            b.iter(|| split_parse(&file.bytes, &WANTED))
        });
    }
    group.finish();
}

/// Ours: the columns `x` and `y` of a file, as `nw` reads a training file (default columns,
/// delimiter detected, f64).
fn ours(bytes: &[u8]) -> Vec<Vec<f64>> {
    parse_frame(
        bytes,
        "bench.csv",
        &Select::defaults(&WANTED),
        &ReadOptions::default(),
    )
    .expect("a valid file")
    .columns
}

/// The `csv` tokenizer alone: every record of the file, no field looked at. Returns the
/// records and fields seen, so nothing can be optimized away.
fn csv_bytes(bytes: &[u8]) -> (usize, usize) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b',')
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut fields) = (0, 0);
    while reader.read_byte_record(&mut record).expect("a valid file") {
        rows += 1;
        fields += record.len();
    }
    (rows, fields)
}

/// The reader `nw` had before issue 10, in outline: each line (ended by `\n` or `\r`) copied
/// into a reused buffer and checked as UTF-8, blank lines skipped, its fields counted, split
/// at `,`, the wanted ones picked, trimmed and parsed with `str::parse::<f32>`, each checked
/// finite.
fn split_parse(bytes: &[u8], wanted: &[&str]) -> Vec<Vec<f32>> {
    let mut rest = bytes;
    let mut line: Vec<u8> = Vec::new();
    let mut next_line = |line: &mut Vec<u8>| -> bool {
        if rest.is_empty() {
            return false;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        line.clear();
        line.extend_from_slice(&rest[..end]);
        rest = &rest[(end + 1).min(rest.len())..];
        true
    };
    assert!(next_line(&mut line), "a header");
    let header = String::from_utf8(line.clone()).expect("a UTF-8 header");
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut slot: Vec<Option<usize>> = vec![None; names.len()];
    for (k, want) in wanted.iter().enumerate() {
        let i = names
            .iter()
            .position(|n| n == want)
            .expect("a wanted column");
        slot[i] = Some(k);
    }
    let mut columns: Vec<Vec<f32>> = vec![Vec::new(); wanted.len()];
    while next_line(&mut line) {
        let text = std::str::from_utf8(&line).expect("a UTF-8 line");
        if text.trim().is_empty() {
            continue;
        }
        let got = text.bytes().filter(|&b| b == b',').count() + 1;
        assert_eq!(got, names.len(), "a row of as many fields as the header");
        let mut picked = vec![""; wanted.len()];
        for (field, k) in text.split(',').zip(&slot) {
            if let Some(k) = *k {
                picked[k] = field;
            }
        }
        for (column, field) in columns.iter_mut().zip(&picked) {
            let v: f32 = field.trim().parse().expect("a number");
            assert!(v.is_finite(), "a finite number");
            column.push(v);
        }
    }
    columns
}

/// All three read the same file: ours and the old reader give back exactly the values
/// written, and the tokenizer sees every row and field.
fn check_read(case: &Case, file: &CsvFile, columns: usize) {
    let rows = file.x.len();
    let exact = |got: &[f32], want: &[f32], who: &str| {
        assert_eq!(got.len(), want.len(), "read {}: {who} rows", case.shape());
        if let Some(i) = (0..want.len()).find(|&i| got[i].to_bits() != want[i].to_bits()) {
            panic!(
                "read {}: {who} gives {} for {} on row {}",
                case.shape(),
                got[i],
                want[i],
                i + 1
            );
        }
    };
    let read = ours(&file.bytes);
    // f64 from shortest f32 text, then to f32: the written bits again.
    #[allow(clippy::cast_possible_truncation)]
    let as_f32 = |c: &[f64]| -> Vec<f32> { c.iter().map(|&v| v as f32).collect() };
    exact(&as_f32(&read[0]), &file.x, "ours (x)");
    exact(&as_f32(&read[1]), &file.y, "ours (y)");
    let old = split_parse(&file.bytes, &WANTED);
    exact(&old[0], &file.x, "split-parse (x)");
    exact(&old[1], &file.y, "split-parse (y)");
    assert_eq!(
        csv_bytes(&file.bytes),
        (rows, rows * columns),
        "read {}: csv-bytes",
        case.shape()
    );
    eprintln!(
        "read {}: {:.1} MB, {rows} rows; ours and split-parse give back every written bit",
        case.shape(),
        file.bytes.len() as f64 / 1e6
    );
}

fn predict(c: &mut Criterion) {
    let mut group = c.benchmark_group(PREDICT.name);
    // An iteration takes 10 to 100 ms: the same number of iterations in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for split in SPLITS.iter().filter(|s| s.group == &PREDICT) {
        assert_eq!(
            split.steps,
            [&READ_STEP, &POOL_STEP],
            "predict has no runner for these steps"
        );
        let (train, queries) = write_files(split);
        let (x, y, q) = read_inputs(&train, &queries);
        let y_hat = pool_step(&q, &x, &y, Par::Rayon);
        assert!(
            y_hat.len() == q.len() && y_hat.iter().all(|v| v.is_finite()),
            "predict {}: a prediction per query, each finite",
            split.shape()
        );
        // Read once, sequentially; pooled on each thread count.
        group.bench_function(split.bench_id(&READ_STEP, 1), |b| {
            b.iter(|| read_inputs(&train, &queries))
        });
        for &threads in split.threads {
            let pool = rayon_pool(threads);
            let par = if threads == 1 { Par::Seq } else { Par::Rayon };
            group.bench_function(split.bench_id(&POOL_STEP, threads), |b| {
                pool.install(|| b.iter(|| pool_step(&q, &x, &y, par)))
            });
        }
    }
    group.finish();
}

/// Writes the split's training and query files with `nw_data`'s writers, under cargo's tmp
/// folder for benches (kept, so the `nw` binary can be timed on the very same files), and
/// checks they read back to the values written.
fn write_files(split: &Split) -> (PathBuf, PathBuf) {
    let &[nq, nk] = split.dims else {
        panic!("predict split {} must have 2 dims", split.shape())
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(split.folder);
    std::fs::create_dir_all(&dir).expect("a folder for the files");
    let (train, queries) = (dir.join("train.csv"), dir.join("queries.csv"));
    let data = Synthetic::new(nk, 1).train().expect("a training set");
    nw_data::write_dataset(&train, &data).expect("the training file written");
    let q: Vec<f32> = uniform(nq, 52).iter().map(|u| 5.0 * u).collect();
    nw_data::write_columns(&queries, &["x"], &[&q]).expect("the query file written");
    let (x, y, q_read) = read_inputs(&train, &queries);
    // Inputs on [0, 5) are not shifted: the f32 the kernels see are the values written.
    assert!(
        x == data.x() && y == data.y() && q_read == q,
        "predict {}: the files do not read back to what was written",
        split.shape()
    );
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / 1e6;
    eprintln!(
        "predict {}: {} ({:.2} MB) and {} ({:.3} MB)",
        split.shape(),
        train.display(),
        size(&train),
        queries.display(),
        size(&queries)
    );
    (train, queries)
}

/// `nw predict`'s reading: the training file's `x` and `y` and the query file's `x` through
/// `read_frame`, each column measured from its origin (the queries from the inputs') as f32.
fn read_inputs(train: &Path, queries: &Path) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let options = ReadOptions::default();
    let frame = read_frame(train, &Select::defaults(&["x", "y"]), &options).expect("train");
    let mut columns = frame.columns.into_iter();
    let (x, y) = (columns.next().expect("x"), columns.next().expect("y"));
    let (origin_x, origin_y) = (Origin::of(&x), Origin::of(&y));
    let frame = read_frame(queries, &Select::defaults(&["x"]), &options).expect("queries");
    let q = frame.columns.into_iter().next().expect("x");
    (
        origin_x.to_f32(&x),
        origin_y.to_f32(&y),
        origin_x.to_f32(&q),
    )
}

/// `nw predict`'s pooling: Gaussian nonparametric pooling at bandwidth [`H`], predictions
/// only, far queries refused.
fn pool_step(queries: &[f32], keys: &[f32], values: &[f32], par: Par) -> Vec<f32> {
    let pooling =
        NonparametricPooling::with_kernel(KernelKind::Gaussian, H).expect("a valid bandwidth");
    let options = PoolOptions {
        par,
        ..PoolOptions::default()
    };
    pooling
        .pool_with(queries, keys, values, &options)
        .expect("every query near a key")
        .y_hat
}

criterion_group! {
    name = benches;
    config = config();
    targets = read, predict
}
criterion_main!(benches);
