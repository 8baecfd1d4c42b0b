//! The instruction set through the binary (issue 14): `nw info` names the level the kernels
//! run on and the `NW_SIMD` cap; a cap that names no level is refused; and a prediction gives
//! the same bytes on AVX-512 and AVX2 (the same sums, both fused) and agrees with the
//! baseline's (never fused) to its last digits.

mod common;

use common::{fails_with, json_and_stderr, nw, succeeds, write, xy};
use tempfile::TempDir;

/// The level names `nw info --json` reports: (in use, detected).
fn levels(cap: Option<&str>) -> (String, String, serde_json::Value) {
    let mut cmd = nw();
    cmd.args(["info", "--json"]).env_remove("NW_SIMD");
    if let Some(c) = cap {
        cmd.env("NW_SIMD", c);
    }
    let (report, _) = json_and_stderr(&mut cmd);
    let name = |k: &str| report[k].as_str().expect("a level name").to_owned();
    (
        name("simd"),
        name("simd_detected"),
        report["simd_cap"].clone(),
    )
}

const ORDER: [&str; 3] = ["baseline", "avx2", "avx512"];

fn rank(level: &str) -> usize {
    ORDER
        .iter()
        .position(|&l| l == level)
        .expect("a known level")
}

#[test]
fn info_names_the_level_and_the_cap() {
    let (active, detected, cap) = levels(None);
    assert_eq!(active, detected);
    assert!(cap.is_null());
    for asked in ORDER {
        let (active, again, cap) = levels(Some(asked));
        assert_eq!(again, detected);
        assert_eq!(cap, asked);
        // The cap, or the CPU's highest level if that is lower.
        assert_eq!(
            rank(&active),
            rank(asked).min(rank(&detected)),
            "NW_SIMD={asked}"
        );
    }
    let (text, _) = succeeds(nw().arg("info").env("NW_SIMD", "baseline"));
    assert!(
        text.contains("simd: baseline (capped by NW_SIMD=baseline")
            || text.contains("simd: baseline (the highest"),
        "{text}"
    );
}

#[test]
fn a_cap_that_names_no_level_is_refused() {
    let dir = TempDir::new().unwrap();
    let train = xy(&dir, "train.csv", [(0.0, 1.0), (1.0, 2.0)]);
    let query = write(&dir, "q.csv", "x\n0.5\n");
    let out = dir.path().join("p.csv");
    let err = fails_with(
        nw().env("NW_SIMD", "sse9")
            .args(["predict", "--bandwidth", "1", "--train"])
            .arg(&train)
            .arg("--query")
            .arg(&query)
            .arg("--out")
            .arg(&out),
        1,
    );
    assert!(err.contains("NW_SIMD") && err.contains("sse9"), "{err}");
    assert!(!out.exists());
}

#[test]
fn predictions_are_the_same_bytes_on_avx512_and_avx2_and_close_on_the_baseline() {
    let dir = TempDir::new().unwrap();
    let frac = |v: f64| v - v.floor();
    let rows = (0..3000).map(|i| {
        let x = 5.0 * frac(f64::from(i) * 0.618_033_988_7);
        (x, (2.0 * x).sin() + x.powf(0.8))
    });
    let train = xy(&dir, "train.csv", rows);
    let queries: String = std::iter::once("x".to_owned())
        .chain((0..517).map(|i| format!("{}", 0.01 + f64::from(i) * 0.0095)))
        .collect::<Vec<_>>()
        .join("\n");
    let query = write(&dir, "q.csv", &(queries + "\n"));
    let predict = |level: &str, kernel: &str| {
        let out = dir.path().join(format!("p_{level}_{kernel}.csv"));
        succeeds(
            nw().env("NW_SIMD", level)
                .args([
                    "predict",
                    "-q",
                    "--algorithm",
                    "direct",
                    "--bandwidth",
                    "0.3",
                ])
                .args(["--kernel", kernel, "--train"])
                .arg(&train)
                .arg("--query")
                .arg(&query)
                .arg("--out")
                .arg(&out),
        );
        std::fs::read_to_string(out).unwrap()
    };
    let column = |text: &str| -> Vec<f64> {
        text.lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
            .collect()
    };
    for kernel in ["gaussian", "epanechnikov", "tricube"] {
        let (a512, a2, base) = (
            predict("avx512", kernel),
            predict("avx2", kernel),
            predict("baseline", kernel),
        );
        assert_eq!(a512, a2, "{kernel}");
        let (f, b) = (column(&a2), column(&base));
        assert_eq!(f.len(), 517);
        for (x, y) in f.iter().zip(&b) {
            assert!(
                (x - y).abs() <= 2e-6 * x.abs().max(1.0),
                "{kernel}: {x} vs {y}"
            );
        }
    }
}
