//! Data as people have it, through the real binary: R's `write.csv` output, spreadsheet
//! exports (extra columns, `y` before `x`, `;` and decimal commas), missing values, standard
//! input, CR-only line endings, and a time series in Unix seconds. The files are in
//! `tests/data` (see its README for where each came from); references are computed here in
//! f64 from the files' text, never by `nw`.

mod common;

use std::path::{Path, PathBuf};

use common::{fails_with, json_and_stderr, nw, succeeds, write};
use serde_json::Value;
use tempfile::TempDir;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn fails(cmd: &mut assert_cmd::Command) -> String {
    fails_with(cmd, 1)
}

/// The Gaussian Nadaraya-Watson estimate at `q`, in f64 with the largest weight factored out.
fn nw_f64(x: &[f64], y: &[f64], q: f64, h: f64) -> f64 {
    let scores: Vec<f64> = x.iter().map(|&xi| -((q - xi) / h).powi(2) / 2.0).collect();
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    for (s, yi) in scores.iter().zip(y) {
        let w = (s - top).exp();
        num += w * yi;
        den += w;
    }
    num / den
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// The predictions of `nw predict --json` with these arguments.
fn predict(args: &[&str]) -> (Value, String) {
    json_and_stderr(nw().args(["predict", "--json"]).args(args))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// R's `cars` as `write.csv` wrote it, parsed here by hand: rows with `NA` left out.
fn cars() -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(data("r_write_csv.csv")).unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[2] != "NA" {
            x.push(f[1].parse().unwrap());
            y.push(f[2].parse().unwrap());
        }
    }
    (x, y)
}

#[test]
fn r_write_csv_reads_by_name_past_the_row_names_and_drops_na_rows_when_asked() {
    let r = data("r_write_csv.csv");
    // Without --missing drop, the first NA is named with its line, column and text.
    let err = fails(nw().args(["predict", "--train", path(&r), "--query", path(&r)]));
    assert_eq!(
        err,
        format!(
            "error: {}:4: missing value \"NA\" in column \"y\"; --missing drop leaves such rows \
             out (and says how many)\n",
            r.display()
        )
    );
    let (report, stderr) = predict(&[
        "--train",
        path(&r),
        "--query",
        path(&r),
        "--missing",
        "drop",
        "--bandwidth",
        "2",
    ]);
    assert!(
        stderr.contains(&format!(
            "note: left out 3 of 50 rows of {} for a missing value (the first on line 4)",
            r.display()
        )),
        "{stderr}"
    );
    assert_eq!(report["columns"]["dropped_rows"], 3);
    assert_eq!(report["columns"]["x"], "x");
    // The queries' x column has no NA: all 50 are predicted.
    let (x, y) = cars();
    assert_eq!((x.len(), report["n_train"].as_u64()), (47, Some(47)));
    let queries = floats(&report["queries"]);
    assert_eq!(queries.len(), 50);
    for (q, got) in queries.iter().zip(floats(&report["predictions"])) {
        let want = nw_f64(&x, &y, *q, 2.0);
        assert!(
            (got - want).abs() <= 1e-5 * want.abs(),
            "{q}: {got} vs {want}"
        );
    }
}

#[test]
fn columns_are_chosen_by_name_or_number_in_any_order() {
    let r = data("r_write_csv.csv");
    let base = [
        "--train",
        path(&r),
        "--query",
        path(&r),
        "--missing",
        "drop",
        "--bandwidth",
        "3",
    ];
    let (by_name, _) = predict(&[&base[..], &["--x", "x", "--y", "y"]].concat());
    let (by_number, _) = predict(&[&base[..], &["--x", "2", "--y", "3"]].concat());
    assert_eq!(by_name["predictions"], by_number["predictions"]);
    // y before x, extra columns, and a decoy column named like an input.
    let dir = TempDir::new().unwrap();
    let (x, y) = cars();
    let mut text = String::from("label,y,z,x\n");
    for (i, (a, b)) in x.iter().zip(&y).enumerate() {
        text += &format!("car {i},{b},{},{a}\n", a * 100.0);
    }
    let shuffled = write(&dir, "shuffled.csv", &text);
    let (report, _) = predict(&[
        "--train",
        path(&shuffled),
        "--query",
        path(&shuffled),
        "--bandwidth",
        "3",
    ]);
    for (q, got) in floats(&report["queries"])
        .iter()
        .zip(floats(&report["predictions"]))
    {
        let want = nw_f64(&x, &y, *q, 3.0);
        assert!(
            (got - want).abs() <= 1e-5 * want.abs(),
            "{q}: {got} vs {want}"
        );
    }
    // Swapping the roles swaps what is predicted.
    let (swapped, _) = predict(&[
        "--train",
        path(&shuffled),
        "--query",
        path(&shuffled),
        "--x",
        "y",
        "--y",
        "x",
        "--bandwidth",
        "3",
    ]);
    assert_eq!(floats(&swapped["queries"]), y);
}

#[test]
fn unknown_columns_list_the_file_s_columns_and_suggest_the_closest() {
    let euro = data("euro.csv");
    let err = fails(nw().args([
        "bandwidth",
        "--train",
        path(&euro),
        "--x",
        "stunden",
        "--y",
        "2",
    ]));
    assert_eq!(
        err,
        format!(
            "error: {}:1: no column \"stunden\" (the columns are \"datum\", \"temperatur\", \
             \"ort\", \"stunde\"); did you mean \"stunde\"? (choose columns with --x and --y)\n",
            euro.display()
        )
    );
    let err = fails(nw().args(["bandwidth", "--train", path(&euro), "--x", "7"]));
    assert!(
        err.contains("euro.csv:1: no column 7 (the columns are \"datum\"")
            && err.contains("the header has 4 column(s)"),
        "{err}"
    );
    // Several input columns are read as such: here the target is what is missing.
    let err = fails(nw().args(["bandwidth", "--train", path(&euro), "--x", "stunde,ort"]));
    assert_eq!(
        err,
        format!(
            "error: {}:1: no column \"y\" (the columns are \"datum\", \"temperatur\", \"ort\", \
             \"stunde\") (choose columns with --x and --y)\n",
            euro.display()
        )
    );
    // A figure of one input refuses several, naming the commands that take them.
    let out = std::env::temp_dir().join("nw-files-never-written.png");
    let err = fails(nw().args([
        "plot",
        "regression",
        "--train",
        path(&euro),
        "--pred",
        path(&euro),
        "--x",
        "stunde,ort",
        "--out",
        path(&out),
    ]));
    assert!(
        err.contains("--x names 2 input columns") && err.contains("plot surface"),
        "{err}"
    );
}

#[test]
fn a_european_spreadsheet_reads_with_its_semicolons_and_decimal_commas() {
    let euro = data("euro.csv");
    // The file's own text, read here: BOM, CRLF, `;`, decimal commas.
    let text = std::fs::read_to_string(&euro).unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.trim_start_matches('\u{feff}').lines().skip(1) {
        let f: Vec<&str> = line.trim_end_matches('\r').split(';').collect();
        y.push(f[1].replace(',', ".").parse::<f64>().unwrap());
        x.push(f[3].parse::<f64>().unwrap());
    }
    let args = [
        "--train",
        path(&euro),
        "--query",
        path(&euro),
        "--x",
        "stunde",
        "--y",
        "temperatur",
        "--bandwidth",
        "1.5",
    ];
    let err = fails(nw().args(["predict"]).args(args));
    assert_eq!(
        err,
        format!(
            "error: {}:2: \"3,9\" is not a number (column \"temperatur\"); numbers with a \
             decimal comma read with --decimal-comma\n",
            euro.display()
        )
    );
    let (report, _) = predict(&[&args[..], &["--decimal-comma"]].concat());
    assert_eq!(floats(&report["queries"]), x);
    for (q, got) in x.iter().zip(floats(&report["predictions"])) {
        let want = nw_f64(&x, &y, *q, 1.5);
        assert!(
            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "{q}: {got} vs {want}"
        );
    }
    // The delimiter was detected; given, it is the same; a wrong one finds one column.
    let (given, _) = predict(&[&args[..], &["--decimal-comma", "--delimiter", ";"]].concat());
    assert_eq!(given["predictions"], report["predictions"]);
    let err =
        fails(
            nw().args(["predict"])
                .args(args)
                .args(["--decimal-comma", "--delimiter", "tab"]),
        );
    assert!(err.contains("euro.csv:1: no column \"stunde\""), "{err}");
}

#[test]
fn each_missing_token_is_an_error_or_a_dropped_row() {
    let dir = TempDir::new().unwrap();
    let query = write(&dir, "q.csv", "x\n0.5\n1.5\n");
    let clean = write(&dir, "clean.csv", "x,y\n0,1\n2,3\n");
    let (want, _) = predict(&["--train", path(&clean), "--query", path(&query)]);
    for token in ["", "NA", "NaN", "nan", "null", "N/A", "\"NA\"", " NA "] {
        let train = write(&dir, "t.csv", &format!("x,y\n0,1\n1,{token}\n2,3\n"));
        let err = fails(nw().args(["predict", "--train", path(&train), "--query", path(&query)]));
        let shown = token.trim().trim_matches('"');
        assert!(
            err.contains(&format!(
                "t.csv:3: missing value \"{shown}\" in column \"y\"; --missing drop"
            )),
            "{token:?}: {err}"
        );
        let (got, stderr) = predict(&[
            "--train",
            path(&train),
            "--query",
            path(&query),
            "--missing",
            "drop",
        ]);
        assert_eq!(got["predictions"], want["predictions"], "{token:?}");
        assert_eq!(got["columns"]["dropped_rows"], 1);
        assert!(stderr.contains("left out 1 of 3 rows"), "{stderr}");
    }
    // In the shipped file: six tokens among notes with quoted commas and quotes.
    let file = data("missing_tokens.csv");
    let (report, stderr) = predict(&[
        "--train",
        path(&file),
        "--query",
        path(&query),
        "--missing",
        "drop",
    ]);
    assert_eq!(report["columns"]["dropped_rows"], 6);
    assert!(
        stderr.contains("left out 6 of 13 rows") && stderr.contains("(the first on line 3)"),
        "{stderr}"
    );
    let (x, y) = (
        [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0],
        [2.5, 3.25, 4.5, 5.0, 6.75, 7.5, 8.0],
    );
    for (q, got) in [0.5, 1.5].iter().zip(floats(&report["predictions"])) {
        let want = nw_f64(&x, &y, *q, 1.0);
        assert!(
            (got - want).abs() <= 1e-5 * want.abs(),
            "{q}: {got} vs {want}"
        );
    }
    // Not missing: infinities and text stay errors, named in full.
    let dropping = |train: &Path| {
        fails(
            nw().args([
                "predict",
                "--missing",
                "drop",
                "--train",
                path(train),
                "--query",
            ])
            .arg(&query),
        )
    };
    let err = dropping(&write(&dir, "t.csv", "x,y\n0,1\n1,-inf\n"));
    assert!(
        err.contains("t.csv:3: \"-inf\" is infinite or beyond f32's range"),
        "{err}"
    );
    // Every row dropped leaves nothing to fit.
    let err = dropping(&write(&dir, "t.csv", "x,y\n0,NA\n1,\n"));
    assert!(
        err.contains("t.csv: all 2 rows had a missing value"),
        "{err}"
    );
}

#[test]
fn standard_input_and_cr_only_files_read_like_any_other() {
    let r = data("r_write_csv.csv");
    let args = ["--query", path(&r), "--missing", "drop", "--bandwidth", "2"];
    let (from_file, _) = predict(&[&["--train", path(&r)][..], &args].concat());
    let (from_stdin, _) = json_and_stderr(
        nw().args(["predict", "--json", "--train", "-"])
            .args(args)
            .write_stdin(std::fs::read(&r).unwrap()),
    );
    assert_eq!(from_stdin["predictions"], from_file["predictions"]);
    assert_eq!(from_stdin["train"], "<stdin>");

    let mac = data("mac_cr.csv");
    let bytes = std::fs::read(&mac).unwrap();
    assert!(bytes.contains(&b'\r') && !bytes.contains(&b'\n'));
    let dir = TempDir::new().unwrap();
    let unix = write(
        &dir,
        "unix.csv",
        &String::from_utf8(bytes.clone())
            .unwrap()
            .replace('\r', "\n"),
    );
    let (a, _) = predict(&["--train", path(&mac), "--query", path(&mac)]);
    let (b, _) = predict(&["--train", path(&unix), "--query", path(&unix)]);
    assert_eq!(a["predictions"], b["predictions"]);
    assert_eq!(a["n_train"], 12);
    // Line numbers count the lone CRs.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, b"x,y\r1,2\r3,4\r5,oops\r").unwrap();
    let err = fails(nw().args(["bandwidth", "--train", path(&bad)]));
    assert!(
        err.contains("bad.csv:4: \"oops\" is not a number (column \"y\")"),
        "{err}"
    );
}

#[test]
fn a_file_of_two_other_columns_is_x_then_y_with_a_note() {
    let file = data("unix_seconds.csv");
    let (out, stderr) =
        succeeds(nw().args(["bandwidth", "--train", path(&file), "--method", "scott"]));
    assert!(
        stderr.contains(&format!(
            "note: {} has no column \"x\" or \"y\": reading \"t\" and \"value\" as \"x\" and \
             \"y\" (choose with --x and --y)",
            file.display()
        )),
        "{stderr}"
    );
    assert!(out.starts_with("bandwidth "), "{out}");
}

#[test]
fn unix_seconds_predict_to_the_f64_reference_and_echo_the_query_text() {
    let (train, queries, reference) = (
        data("unix_seconds.csv"),
        data("unix_seconds_queries.csv"),
        data("unix_seconds_reference.csv"),
    );
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("p.csv");
    let weights = dir.path().join("w.csv");
    succeeds(nw().args([
        "predict",
        "--train",
        path(&train),
        "--query",
        path(&queries),
        "--x",
        "t",
        "--y",
        "value",
        "--bandwidth",
        "3600",
        "--out",
        path(&out),
        "--weights",
        path(&weights),
    ]));
    let lines = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect()
    };
    let query_text = lines(&queries);
    let reference: Vec<(String, f64)> = lines(&reference)
        .iter()
        .map(|l| {
            let (t, y) = l.split_once(',').unwrap();
            (t.to_string(), y.parse().unwrap())
        })
        .collect();
    let range_y = {
        let y: Vec<f64> = lines(&train)
            .iter()
            .map(|l| l.split_once(',').unwrap().1.parse().unwrap())
            .collect();
        y.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - y.iter().copied().fold(f64::INFINITY, f64::min)
    };
    let got = lines(&out);
    assert_eq!(got.len(), query_text.len());
    let mut worst = 0.0f64;
    for ((row, text), (ref_t, ref_y)) in got.iter().zip(&query_text).zip(&reference) {
        let (x, y_hat) = row.split_once(',').unwrap();
        // The query exactly as given, not a rounded f32 (which would move it by up to 64 s).
        assert_eq!((x, x), (text.as_str(), ref_t.as_str()));
        worst = worst.max((y_hat.parse::<f64>().unwrap() - ref_y).abs() / range_y);
    }
    assert!(worst <= 1e-5, "worst error {worst} of the range of y");
    // The weights file's first column echoes the queries too.
    let first: Vec<String> = lines(&weights)
        .iter()
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(first, query_text);
}

#[test]
fn inputs_too_wide_for_f32_at_the_bandwidth_are_named_in_a_warning() {
    let dir = TempDir::new().unwrap();
    // A span of 1e9 seconds, odd ones: measured from its midpoint, f32 steps of 32 s round
    // them by up to 16 s, against h = 10 s.
    let mut text = String::from("x,y\n");
    for i in 0..50 {
        text += &format!("{},{}\n", 1_000_000_000i64 + i * 20_000_001, i % 7);
    }
    let train = write(&dir, "t.csv", &text);
    let (report, stderr) = predict(&[
        "--train",
        path(&train),
        "--query",
        path(&train),
        "--bandwidth",
        "10",
        "--far",
        "nearest",
    ]);
    let codes = common::codes(&report);
    assert!(codes.iter().any(|c| c == "resolution"), "{codes:?}");
    assert!(
        stderr.contains("warning: the inputs span too wide a range for the bandwidth 10"),
        "{stderr}"
    );
    // The same data at a bandwidth the f32 spacing resolves: no such warning.
    let (report, _) = predict(&[
        "--train",
        path(&train),
        "--query",
        path(&train),
        "--bandwidth",
        "1e7",
    ]);
    assert_eq!(report["warnings"], serde_json::json!([]));
}

#[test]
fn plot_regression_reads_the_chosen_columns_and_names_its_axes_after_them() {
    let dir = TempDir::new().unwrap();
    let train = write(
        &dir,
        "t.csv",
        "note,temp,time_unix\na,3.5,1700000000\nb,NA,1700003600\nc,4.5,1700007200\n",
    );
    let pred = write(
        &dir,
        "p.csv",
        "x,y_hat\n1700000000,3.6\n1700003600,4\n1700007200,4.4\n",
    );
    let svg = dir.path().join("f.svg");
    let cmd = |extra: &[&str]| {
        let mut c = nw();
        c.args([
            "plot",
            "regression",
            "--train",
            path(&train),
            "--pred",
            path(&pred),
        ])
        .args(["--x", "time_unix", "--y", "temp", "--out", path(&svg)])
        .args(extra);
        c
    };
    let err = fails(&mut cmd(&[]));
    assert!(
        err.contains("t.csv:3: missing value \"NA\" in column \"temp\""),
        "{err}"
    );
    let (_, stderr) = succeeds(&mut cmd(&["--missing", "drop"]));
    assert!(stderr.contains("left out 1 of 3 rows"), "{stderr}");
    let svg = std::fs::read_to_string(&svg).unwrap();
    let labels: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>')?.1.split_once("</text>"))
        .map(|(label, _)| label.trim())
        .collect();
    assert!(
        labels.contains(&"time_unix − 1.7e9") && labels.contains(&"temp"),
        "{labels:?}"
    );
    // The offset is said once, in the axis name; no tick spells out a ten-digit time stamp.
    let ticks = labels
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()));
    assert!(ticks.clone().count() >= 8, "{labels:?}");
    assert!(ticks.into_iter().all(|l| l.len() <= 12), "{labels:?}");
}

#[test]
fn predictions_of_shifted_targets_print_the_digits_f32_holds_and_no_more() {
    let dir = TempDir::new().unwrap();
    // y from 1000 to 1001: measured from 1000.5, the kernels' means keep f32's digits there.
    let train = write(&dir, "t.csv", "x,y\n1,1000\n2,1001\n");
    let (out, _) =
        succeeds(nw().args(["predict", "--train", path(&train), "--query", path(&train)]));
    let rows: Vec<(f64, &str)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let (x, y) = l.split_once(',').unwrap();
            (x.parse().unwrap(), y)
        })
        .collect();
    for (x, text) in rows {
        let want = nw_f64(&[1.0, 2.0], &[1000.0, 1001.0], x, 1.0);
        let got: f64 = text.parse().unwrap();
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        // f32's ~1e-8 steps near 0.1 in the shifted frame: 13 significant digits at 1000, not
        // an f64's 17.
        assert!(text.len() <= 14, "{text}: more digits than f32 holds");
    }
}

#[test]
fn plot_regression_draws_predictions_with_far_nan_marks_leaving_the_marks_out() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "t.csv", "x,y\n0,1\n1,2\n2,3\n");
    let query = write(&dir, "q.csv", "x\n0.5\n9\n");
    let pred = dir.path().join("p.csv");
    succeeds(nw().args([
        "predict",
        "--train",
        path(&train),
        "--query",
        path(&query),
        "--kernel",
        "epanechnikov",
        "--bandwidth",
        "1",
        "--far",
        "nan",
        "--out",
        path(&pred),
    ]));
    assert!(std::fs::read_to_string(&pred).unwrap().contains("9,NaN"));
    let svg = dir.path().join("f.svg");
    let (_, stderr) = succeeds(nw().args([
        "plot",
        "regression",
        "--train",
        path(&train),
        "--pred",
        path(&pred),
        "--out",
        path(&svg),
    ]));
    assert!(
        stderr.contains("note: 1 of 2 predictions in")
            && stderr.contains("have no value (NaN): not drawn"),
        "{stderr}"
    );
}
