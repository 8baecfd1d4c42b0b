//! What the binary's tests share: running `nw`, writing inputs, reading what it printed.

#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The `nw` binary of this build.
pub fn nw() -> Command {
    Command::cargo_bin("nw").expect("the nw binary")
}

/// Runs `cmd`, expects success, and returns its standard output as JSON and its stderr.
pub fn json_and_stderr(cmd: &mut Command) -> (Value, String) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// Runs `cmd`, expects success, and returns stdout and stderr.
pub fn succeeds(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

/// Runs `cmd`, expects failure with `code` and no panic, and returns stderr.
pub fn fails_with(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !err.contains("panicked")
            && !err.contains("internal error")
            && !err.contains("RUST_BACKTRACE")
            && !err.contains("stack backtrace"),
        "{err}"
    );
    err
}

/// Writes `text` to `name` in `dir`.
pub fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

/// A CSV file `x,y` of the given rows.
pub fn xy(dir: &TempDir, name: &str, rows: impl IntoIterator<Item = (f64, f64)>) -> PathBuf {
    let mut text = String::from("x,y\n");
    for (x, y) in rows {
        text += &format!("{x},{y}\n");
    }
    write(dir, name, &text)
}

/// The numbers of a JSON array.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The codes of a JSON report's `warnings`, in order.
pub fn codes(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_string())
        .collect()
}
