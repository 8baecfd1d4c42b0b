//! Paths whose memory grows with a product of sizes refuse, before any work, to plan beyond a
//! stated limit, naming how much and the flag that raises it (issue 9, item 6).

mod common;

use common::{fails_with, nw, succeeds, write, xy};
use tempfile::TempDir;

#[test]
fn the_weight_matrix_and_the_chapters_tensors_are_estimated_before_any_work() {
    let dir = TempDir::new().unwrap();
    let train = xy(
        &dir,
        "t.csv",
        (0..100).map(|i| (f64::from(i) * 0.05, f64::from(i % 3))),
    );
    let query = write(
        &dir,
        "q.csv",
        &(0..50).fold("x\n".to_string(), |t, i| {
            t + &format!("{}\n", f64::from(i) * 0.1)
        }),
    );
    let weights = dir.path().join("w.csv");
    // 50 x 100 weights are 20,000 bytes.
    let err = fails_with(
        nw().args(["predict", "--max-memory", "10K", "--train"])
            .arg(&train)
            .arg("--query")
            .arg(&query)
            .arg("--weights")
            .arg(&weights),
        1,
    );
    assert!(
        err.contains("--weights for 50 queries x 100 keys needs about 19.5 KB of memory"),
        "{err}"
    );
    assert!(
        err.contains("above the limit of 10.0 KB (--max-memory)"),
        "{err}"
    );
    assert!(err.contains("raise it with --max-memory"), "{err}");
    assert!(!weights.exists());
    // The chapter's tensors hold about seven such matrices.
    let err = fails_with(
        nw().args([
            "predict",
            "--max-memory",
            "100K",
            "--path",
            "chapter",
            "--train",
        ])
        .arg(&train)
        .arg("--query")
        .arg(&query),
        1,
    );
    assert!(err.contains("needs about 136.7 KB"), "{err}");
    // Under the limit, the same command runs, and the weights file is the matrix row by row.
    succeeds(
        nw().args(["predict", "--max-memory", "1M", "--train"])
            .arg(&train)
            .arg("--query")
            .arg(&query)
            .arg("--weights")
            .arg(&weights),
    );
    let table = nw_data::read_table(&weights).unwrap();
    assert_eq!(table.names.len(), 101);
    assert_eq!(
        (table.names[0].as_str(), table.names[100].as_str()),
        ("x", "k100")
    );
    for row in 0..50 {
        let sum: f64 = table.columns[1..].iter().map(|c| f64::from(c[row])).sum();
        assert!((sum - 1.0).abs() < 1e-5, "row {row} sums to {sum}");
    }
}

#[test]
fn training_on_the_chapters_tensors_and_generating_data_are_estimated_too() {
    let dir = TempDir::new().unwrap();
    let train = xy(
        &dir,
        "t.csv",
        (0..300).map(|i| (f64::from(i) * 0.01, f64::from(i % 5))),
    );
    // Ten 300 x 300 matrices of f32: 3.4 MB.
    let err = fails_with(
        nw().args([
            "train",
            "--path",
            "chapter",
            "--max-memory",
            "1M",
            "--train",
        ])
        .arg(&train),
        1,
    );
    assert!(
        err.contains("--path chapter on 300 examples needs about 3.4 MB"),
        "{err}"
    );
    let out = dir.path().join("big.csv");
    let err = fails_with(
        nw().args([
            "generate",
            "--n-train",
            "100000000",
            "--max-memory",
            "1G",
            "--train-out",
        ])
        .arg(&out),
        1,
    );
    assert!(
        err.contains("generating 100000000 examples needs about 2.2 GB"),
        "{err}"
    );
    assert!(!out.exists());
    let err = fails_with(
        nw().args(["sweep", "--n-train", "50,90000000", "--max-memory", "2G"]),
        1,
    );
    assert!(
        err.contains("a training set of 90000000 examples needs about 3.4 GB"),
        "{err}"
    );
    // A size that is not one is a flag error.
    let err = fails_with(nw().args(["sweep", "--max-memory", "lots"]), 2);
    assert!(err.contains("not a size"), "{err}");
}
