//! Input files through the real `nw` binary: standard input as `-`, files with any line
//! ending, and inputs that must not take memory without bound.

mod common;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use common::write;
use serde_json::Value;
use tempfile::TempDir;

/// Long enough for a read of 16 MiB and an error, short enough to stop a runaway read.
const TIMEOUT: Duration = Duration::from_secs(60);

const TRAIN: &str = "x,y\n0,0\n1,2\n2,3\n3,1\n";
const QUERY: &str = "x\n0.5\n1.5\n2.5\n";

/// The binary, stopped if a read runs away.
fn nw() -> Command {
    let mut cmd = common::nw();
    cmd.timeout(TIMEOUT);
    cmd
}

/// Runs `cmd`, expects success, and returns stdout.
fn succeeds(cmd: &mut Command) -> String {
    common::succeeds(cmd).0
}

/// Runs `cmd`, expects an ordinary failure (exit code 1, no panic, no backtrace, no signal),
/// and returns stderr.
fn fails(cmd: &mut Command) -> String {
    common::fails_with(cmd, 1)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

// ---- unbounded reads ------------------------------------------------------------------------

#[test]
fn a_training_file_of_endless_zeros_fails_fast_with_a_clear_message() {
    let dir = TempDir::new().unwrap();
    let query = write(&dir, "q.csv", QUERY);
    let err = fails(
        nw().args(["predict", "--train", "/dev/zero", "--query"])
            .arg(&query),
    );
    assert!(
        err.starts_with(
            "error: /dev/zero:1: line is longer than 16777216 bytes, the most a line may hold; \
             it starts \"\\0\\0"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_line_over_the_cap_names_the_file_the_line_and_its_start() {
    let dir = TempDir::new().unwrap();
    let long = format!("x\n1\n{}\n", "9".repeat(17 << 20));
    let query = write(&dir, "q.csv", &long);
    let train = write(&dir, "t.csv", TRAIN);
    let err = fails(
        nw().args(["predict", "--train"])
            .arg(&train)
            .arg("--query")
            .arg(&query),
    );
    assert_eq!(
        err,
        format!(
            "error: {}:3: line is longer than 16777216 bytes, the most a line may hold; it \
             starts \"{}...\"\n",
            query.display(),
            "9".repeat(80)
        )
    );
}

#[test]
fn a_weights_row_of_100000_keys_is_far_below_the_cap() {
    // What `nw predict --weights` writes for 100,000 training examples, read back by
    // `nw plot heatmap`: about 1.5 MB a row.
    let dir = TempDir::new().unwrap();
    let keys = 100_000;
    let header: Vec<String> = std::iter::once("x".to_string())
        .chain((1..=keys).map(|j| format!("k{j}")))
        .collect();
    let row = |x: &str| {
        let mut r = x.to_string();
        r.push_str(&",0.000012345678".repeat(keys));
        r
    };
    let text = format!("{}\n{}\n{}\n", header.join(","), row("0"), row("1"));
    assert!(text.len() > 3_000_000);
    let weights = write(&dir, "w.csv", &text);
    let out = dir.path().join("heat.svg");
    succeeds(
        nw().args(["plot", "heatmap", "--weights"])
            .arg(&weights)
            .arg("--out")
            .arg(&out),
    );
    assert!(fs::read_to_string(&out).unwrap().contains("<svg"));
}

// ---- line endings ---------------------------------------------------------------------------

#[test]
fn cr_only_files_read_like_any_other() {
    let dir = TempDir::new().unwrap();
    let unix = [write(&dir, "t.csv", TRAIN), write(&dir, "q.csv", QUERY)];
    let mac = [
        write(&dir, "t-mac.csv", &TRAIN.replace('\n', "\r")),
        write(&dir, "q-mac.csv", &QUERY.replace('\n', "\r")),
    ];
    let predict = |[train, query]: &[PathBuf; 2]| {
        json(&succeeds(
            nw().args(["predict", "--json", "--train"])
                .arg(train)
                .arg("--query")
                .arg(query),
        ))["predictions"]
            .clone()
    };
    let want = predict(&unix);
    assert_eq!(want.as_array().unwrap().len(), 3);
    assert_eq!(predict(&mac), want);
    // Line numbers count the lone \r too.
    let bad = write(&dir, "bad.csv", "x,y\r0,0\r1,abc\r");
    let err = fails(
        nw().args(["predict", "--train"])
            .arg(&bad)
            .arg("--query")
            .arg(&unix[1]),
    );
    assert_eq!(
        err,
        format!(
            "error: {}:3: \"abc\" is not a number (column \"y\")\n",
            bad.display()
        )
    );
}

// ---- standard input -------------------------------------------------------------------------

#[test]
fn predict_reads_the_training_set_or_the_queries_from_standard_input() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "t.csv", TRAIN);
    let query = write(&dir, "q.csv", QUERY);
    let from_files = succeeds(
        nw().args(["predict", "--train"])
            .arg(&train)
            .arg("--query")
            .arg(&query),
    );
    assert!(from_files.starts_with("x,y_hat\n0.5,"), "{from_files}");
    let train_stdin = succeeds(
        nw().args(["predict", "--train", "-", "--query"])
            .arg(&query)
            .write_stdin(TRAIN),
    );
    assert_eq!(train_stdin, from_files);
    let query_stdin = succeeds(
        nw().args(["predict", "--query", "-", "--train"])
            .arg(&train)
            .write_stdin(QUERY),
    );
    assert_eq!(query_stdin, from_files);
    // The JSON report names the file as errors do.
    let report = json(&succeeds(
        nw().args(["predict", "--json", "--train", "-", "--query"])
            .arg(&query)
            .write_stdin(TRAIN),
    ));
    assert_eq!(report["train"], "<stdin>");
}

#[test]
fn errors_in_standard_input_name_it_stdin() {
    let dir = TempDir::new().unwrap();
    let query = write(&dir, "q.csv", QUERY);
    let err = fails(
        nw().args(["predict", "--train", "-", "--query"])
            .arg(&query)
            .write_stdin("x,y\n0,0\n1,abc\n"),
    );
    assert_eq!(
        err,
        "error: <stdin>:3: \"abc\" is not a number (column \"y\")\n"
    );
    let err = fails(nw().args(["train", "--train", "-"]).write_stdin(""));
    assert_eq!(
        err,
        "error: <stdin>:1: file is empty, expected a header with the columns \"x\", \"y\"\n"
    );
}

#[test]
fn train_and_bandwidth_read_the_training_set_from_standard_input() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "t.csv", TRAIN);
    for args in [
        &["train", "--w0", "0.5", "--epochs", "2", "--json"][..],
        &["bandwidth", "--method", "silverman", "--json"][..],
    ] {
        let from_file = succeeds(nw().args(args).arg("--train").arg(&train));
        let from_stdin = succeeds(nw().args(args).args(["--train", "-"]).write_stdin(TRAIN));
        assert_eq!(from_stdin, from_file, "{args:?}");
    }
}

#[test]
fn plot_reads_any_one_of_its_inputs_from_standard_input() {
    let dir = TempDir::new().unwrap();
    let pred_text = "x,y_hat\n0,0.5\n1.5,2\n3,1.5\n";
    let truth_text = "x,y\n0,0\n1.5,2.5\n3,1\n";
    let train = write(&dir, "train.csv", TRAIN);
    let pred = write(&dir, "pred.csv", pred_text);
    let truth = write(&dir, "truth.csv", truth_text);
    let regression = |stdin_flag: &str, text: &str| {
        let out = dir.path().join(format!("reg-{}.svg", &stdin_flag[2..]));
        let mut cmd = nw();
        cmd.args(["plot", "regression", "--out"]).arg(&out);
        for (flag, path) in [("--train", &train), ("--pred", &pred), ("--truth", &truth)] {
            cmd.arg(flag);
            if flag == stdin_flag {
                cmd.arg("-");
            } else {
                cmd.arg(path);
            }
        }
        succeeds(cmd.write_stdin(text));
        fs::read_to_string(&out).unwrap()
    };
    let svg = regression("--train", TRAIN);
    // The four training points are drawn: they came from standard input.
    assert_eq!(svg.matches("<circle").count(), 4);
    assert_eq!(regression("--pred", pred_text), svg);
    assert_eq!(regression("--truth", truth_text), svg);

    let out = dir.path().join("heat.svg");
    succeeds(
        nw().args(["plot", "heatmap", "--weights", "-", "--out"])
            .arg(&out)
            .write_stdin("x,k1,k2,k3\n0,0.5,0.25,0.25\n1,0.2,0.6,0.2\n"),
    );
    assert_eq!(
        fs::read_to_string(&out).unwrap().matches("<rect").count(),
        6 + 256 + 2
    );
    let out = dir.path().join("loss.svg");
    succeeds(
        nw().args(["plot", "loss", "--epochs", "-", "--out"])
            .arg(&out)
            .write_stdin("epoch,loss\n1,9\n2,5\n3,4\n"),
    );
    // Errors about a file from standard input name it as the readers do.
    let err = fails(
        nw().args(["plot", "loss", "--epochs", "-", "--out"])
            .arg(&out)
            .write_stdin("epoch,loss\n1,9\n3,5\n"),
    );
    assert_eq!(
        err,
        "error: <stdin>:3: epoch 3, expected 2: epochs must count 1, 2, 3, ... in order\n"
    );
}

#[test]
fn at_most_one_input_may_be_standard_input() {
    let dir = TempDir::new().unwrap();
    let err = fails(
        nw().args(["predict", "--train", "-", "--query", "-"])
            .write_stdin(TRAIN),
    );
    assert_eq!(
        err,
        "error: --train and --query both read standard input (`-`), which can be read only \
         once: give a file for all but one of them\n"
    );
    let out = dir.path().join("reg.svg");
    let err = fails(
        nw().args([
            "plot",
            "regression",
            "--train",
            "-",
            "--pred",
            "-",
            "--truth",
            "-",
            "--out",
        ])
        .arg(&out)
        .write_stdin(TRAIN),
    );
    assert_eq!(
        err,
        "error: --train, --pred and --truth all read standard input (`-`), which can be read \
         only once: give a file for all but one of them\n"
    );
    // Refused before anything was read or written.
    assert!(!out.exists());
}
