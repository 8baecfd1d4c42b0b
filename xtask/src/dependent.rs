//! `cargo xtask dependent`: issue 14's check that a user's crate gets full speed from a plain
//! build.
//!
//! A crate outside the repository (so the workspace's `.cargo/config.toml` cannot apply)
//! depends on `nw-model` by path and times the 2000 x 200,000 Gaussian prediction on the
//! direct path (the one the vector kernels run): the program is [`PROGRAM`], its manifest
//! leaves `[profile.release]` at cargo's defaults, as a user's would. It is built twice with
//! `cargo build --release`: *plain*, with every `RUSTFLAGS`-like and `CARGO_*` build variable
//! removed, and *native*, with `RUSTFLAGS="-C target-cpu=native"`. The two binaries run
//! alternately (ABAB..., so a change in the machine's load falls on both), each side's best
//! time is kept, and the check fails when plain/native exceeds `--max-ratio` (1.10), when the
//! two builds chose different instruction sets (`Level::active`, which each binary reports),
//! or when their predictions differ in any bit (both builds pick their kernels at run time,
//! so they should run the same instructions; a difference means the dispatch misbehaved).
//!
//! Where things go: the crate is written to a temporary folder named after the workspace
//! (`<tmp>/nw-dependent-<hash>`), removed afterwards; the two target folders are the
//! workspace's `target/dependent/{plain,native}`, kept between runs. Cargo caches a
//! dependency by its own path and the build's flags, not by the crate that depends on it, so
//! `nw-model` and everything below it are rebuilt only when they change; the crate itself is
//! recompiled each run (one small file). A stable name (not the process id) keeps that
//! crate's artifacts from piling up under a new hash every run.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::bench::{target_dir, workspace_root};

/// The dependent crate's `main.rs`.
const PROGRAM: &str = include_str!("../dependent/main.rs");
/// The flags of the native build: what `.cargo/config.toml` set before issue 14.
const NATIVE_FLAGS: &str = "-C target-cpu=native";
/// Rounds of the two binaries (each round runs both) unless `--rounds` says otherwise.
const ROUNDS: usize = 5;
/// The most plain may take over native, unless `--max-ratio` says otherwise: issue 14's 10%.
const MAX_RATIO: f64 = 1.10;
/// Predictions each run of a binary times (its best is its time).
const REPEATS: usize = 10;
/// Environment variables that change how rustc compiles, besides every `CARGO_*` one.
const FLAG_VARS: &[&str] = &["RUSTFLAGS", "RUSTDOCFLAGS"];

/// The options of `cargo xtask dependent`.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    rounds: usize,
    max_ratio: f64,
}

impl Options {
    /// Parses `[--rounds N] [--max-ratio X]` (also `--rounds=N`).
    fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options {
            rounds: ROUNDS,
            max_ratio: MAX_RATIO,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || -> Result<String> {
                match inline.clone().or_else(|| args.next().cloned()) {
                    Some(v) => Ok(v),
                    None => bail!("{flag} needs a value"),
                }
            };
            match flag {
                "--rounds" => {
                    let v = value()?;
                    options.rounds = match v.parse() {
                        Ok(n) if n > 0 => n,
                        _ => bail!("--rounds takes a whole number from 1, got {v:?}"),
                    };
                }
                "--max-ratio" => {
                    let v = value()?;
                    options.max_ratio = match v.parse::<f64>() {
                        Ok(x) if x.is_finite() && x > 0.0 => x,
                        _ => bail!("--max-ratio takes a positive number, got {v:?}"),
                    };
                }
                _ => {
                    bail!("`cargo xtask dependent` takes --rounds N and --max-ratio X, got {arg:?}")
                }
            }
        }
        Ok(options)
    }
}

/// What one run of the dependent binary printed.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    /// The best of its predictions, in ns.
    best_ns: f64,
    /// FNV-1a hash of the predictions' bits, as 16 hex digits.
    bits: String,
    /// The predictions' sum (for a reader: how far apart two hashes' predictions are).
    sum: f64,
    /// The instruction set the kernels chose (`Level::active`'s name).
    level: String,
}

impl Run {
    /// Reads the JSON line the binary prints (the last non-empty line of its stdout).
    fn parse(stdout: &str) -> Result<Run> {
        let Some(line) = stdout.lines().rev().find(|l| !l.trim().is_empty()) else {
            bail!("the dependent binary printed nothing");
        };
        let json: Value = serde_json::from_str(line)
            .with_context(|| format!("the dependent binary printed {line:?}, not JSON"))?;
        let (Some(best_ns), Some(bits), Some(sum), Some(level)) = (
            json["best_ns"].as_f64(),
            json["bits"].as_str(),
            json["sum"].as_f64(),
            json["level"].as_str(),
        ) else {
            bail!("the dependent binary's line {line:?} lacks best_ns, bits, sum or level");
        };
        if best_ns.is_nan() || best_ns <= 0.0 {
            bail!("the dependent binary timed {best_ns} ns");
        }
        Ok(Run {
            best_ns,
            bits: bits.to_owned(),
            sum,
            level: level.to_owned(),
        })
    }
}

/// Each side's best over the rounds, and the verdict.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    plain: Run,
    native: Run,
    /// plain's best time over native's.
    ratio: f64,
    /// Why the check fails, if it does.
    failures: Vec<String>,
}

impl Verdict {
    /// Each side's fastest run, the ratio, and what fails: a ratio above `max_ratio`, or
    /// predictions that differ in any bit between the builds or between runs of one build.
    fn judge(plain: &[Run], native: &[Run], max_ratio: f64) -> Result<Verdict> {
        let best = |runs: &[Run], side: &str| -> Result<Run> {
            match runs.iter().min_by(|a, b| a.best_ns.total_cmp(&b.best_ns)) {
                Some(r) => Ok(r.clone()),
                None => bail!("no run of the {side} build"),
            }
        };
        let (p, n) = (best(plain, "plain")?, best(native, "native")?);
        let mut failures = Vec::new();
        for (runs, side) in [(plain, "plain"), (native, "native")] {
            if runs.iter().any(|r| r.bits != runs[0].bits) {
                failures.push(format!("the {side} build's runs disagree with each other"));
            }
        }
        if p.level != n.level {
            failures.push(format!(
                "the builds chose different instruction sets: {} (plain) and {} (native)",
                p.level, n.level
            ));
        }
        if p.bits != n.bits {
            failures.push(format!(
                "the builds' predictions differ (bits {} vs {}; sums {:?} vs {:?}, relative \
                 difference {:.1e}): they ran different kernels",
                p.bits,
                n.bits,
                p.sum,
                n.sum,
                (p.sum - n.sum).abs() / n.sum.abs()
            ));
        }
        let ratio = p.best_ns / n.best_ns;
        if ratio > max_ratio {
            failures.push(format!(
                "the plain build takes {ratio:.3}x the native build's time, more than {max_ratio}"
            ));
        }
        Ok(Verdict {
            plain: p,
            native: n,
            ratio,
            failures,
        })
    }

    /// The two sides, the ratio and the bits, as a markdown table.
    fn markdown(&self, max_ratio: f64) -> String {
        let mut out = String::from(
            "| build | simd | best time | predictions' bits (FNV-1a) | sum |\n\
             |---|---|---:|---|---:|\n",
        );
        for (name, r) in [
            ("plain `cargo build --release`", &self.plain),
            ("`RUSTFLAGS=\"-C target-cpu=native\"`", &self.native),
        ] {
            let _ = writeln!(
                out,
                "| {name} | {} | {:.2} ms | `{}` | {:?} |",
                r.level,
                r.best_ns / 1e6,
                r.bits,
                r.sum
            );
        }
        let _ = writeln!(
            out,
            "\nplain/native: {:.3} (at most {max_ratio}); bits {}",
            self.ratio,
            if self.plain.bits == self.native.bits {
                "equal"
            } else {
                "differ"
            }
        );
        out
    }
}

/// Runs `cargo xtask dependent [--rounds N] [--max-ratio X]`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let root = workspace_root();
    let targets = target_dir(&root)?.join("dependent");
    let dir = std::env::temp_dir().join(format!("nw-dependent-{:016x}", fnv(&root)));
    let result = write_crate(&dir, &root).and_then(|()| {
        let started = Instant::now();
        let plain = build(&dir, &targets.join("plain"), None)?;
        let native = build(&dir, &targets.join("native"), Some(NATIVE_FLAGS))?;
        eprintln!(
            "dependent: both builds took {:.1} s",
            started.elapsed().as_secs_f64()
        );
        measure(&plain, &native, &options)
    });
    // The crate goes either way; its artifacts stay in the target folders.
    if let Err(e) = fs::remove_dir_all(&dir) {
        eprintln!("dependent: cannot remove {}: {e}", dir.display());
    }
    let verdict = result?;
    println!("{}", verdict.markdown(options.max_ratio));
    if !verdict.failures.is_empty() {
        bail!("{}", verdict.failures.join("; "));
    }
    Ok(())
}

/// Writes the dependent crate into `dir`: a manifest naming `nw-model` by its absolute path,
/// the workspace's `Cargo.lock` (the same versions as the in-repo build, and no registry
/// query to resolve them) and [`PROGRAM`].
fn write_crate(dir: &Path, root: &Path) -> Result<()> {
    // A TOML basic string: escape what it cannot hold as it is.
    let path = |name: &str| -> Result<String> {
        let dir = root.join("crates").join(name);
        let Some(dir) = dir.to_str() else {
            bail!("the workspace path {} is not UTF-8", root.display());
        };
        Ok(dir.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let (model, tensor) = (path("nw-model")?, path("nw-tensor")?);
    let manifest = format!(
        "[package]\n\
         name = \"nw-dependent\"\n\
         version = \"0.1.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         \n\
         # A crate of its own, not a member of any workspace above it.\n\
         [workspace]\n\
         \n\
         [dependencies]\n\
         nw-model = {{ path = \"{model}\" }}\n\
         # For `Level::active`: which instruction set the kernels chose.\n\
         nw-tensor = {{ path = \"{tensor}\" }}\n"
    );
    let src = dir.join("src");
    fs::create_dir_all(&src).with_context(|| format!("cannot create {}", src.display()))?;
    let write = |path: PathBuf, text: &[u8]| {
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write(dir.join("Cargo.toml"), manifest.as_bytes())?;
    write(src.join("main.rs"), PROGRAM.as_bytes())?;
    let lock = root.join("Cargo.lock");
    let lock = fs::read(&lock).with_context(|| format!("cannot read {}", lock.display()))?;
    write(dir.join("Cargo.lock"), &lock)
}

/// Builds the crate in `dir` with `cargo build --release` into `target`, with `rustflags` as
/// the only flags (none: a user's plain build), and returns the binary's path.
fn build(dir: &Path, target: &Path, rustflags: Option<&str>) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args(["build", "--release", "--target-dir"])
        .arg(target);
    // `cargo run` sets CARGO_* variables for xtask, and the caller may have set more (a target
    // folder, flags, a profile): none of them belongs to a user's build. CARGO_HOME stays: it
    // says where the registry cache is.
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if (name.starts_with("CARGO_") && name != "CARGO_HOME") || FLAG_VARS.contains(&name) {
            command.env_remove(name);
        }
    }
    if let Some(flags) = rustflags {
        command.env("RUSTFLAGS", flags);
    }
    let what = format!(
        "`{}cargo build --release` of the dependent crate",
        rustflags.map_or(String::new(), |f| format!("RUSTFLAGS=\"{f}\" "))
    );
    eprintln!("dependent: {what} into {}", target.display());
    let status = command
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(target.join("release").join("nw-dependent"))
}

/// Runs the two binaries alternately for the rounds asked and judges their best times.
fn measure(plain: &Path, native: &Path, options: &Options) -> Result<Verdict> {
    let (mut plains, mut natives) = (Vec::new(), Vec::new());
    for round in 0..options.rounds {
        // Alternate which goes first, so neither always runs on a machine the other warmed.
        let order = if round % 2 == 0 {
            [(plain, true), (native, false)]
        } else {
            [(native, false), (plain, true)]
        };
        for (binary, is_plain) in order {
            let run = run_binary(binary)?;
            eprintln!(
                "dependent: round {}/{}: {} {:.2} ms",
                round + 1,
                options.rounds,
                if is_plain { "plain " } else { "native" },
                run.best_ns / 1e6
            );
            if is_plain {
                plains.push(run);
            } else {
                natives.push(run);
            }
        }
    }
    Verdict::judge(&plains, &natives, options.max_ratio)
}

/// Runs one dependent binary and reads what it printed.
fn run_binary(binary: &Path) -> Result<Run> {
    let output = Command::new(binary)
        .arg(REPEATS.to_string())
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Run::parse(&String::from_utf8_lossy(&output.stdout))
        .with_context(|| format!("from {}", binary.display()))
}

/// FNV-1a of a path's bytes: a short stable name for the workspace's temporary crate.
fn fnv(path: &Path) -> u64 {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ns: f64, bits: &str, sum: f64) -> Run {
        Run {
            best_ns: ns,
            bits: bits.to_owned(),
            sum,
            level: "avx512".to_owned(),
        }
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn reads_the_binary_line() {
        let out = "\n{\"keys\": 200000, \"queries\": 2000, \"repeats\": 10, \"best_ns\": 54321000, \
                   \"bits\": \"00ff00ff00ff00ff\", \"sum\": 1234.5, \"level\": \"avx512\"}\n\n";
        assert_eq!(
            Run::parse(out).unwrap(),
            run(54_321_000.0, "00ff00ff00ff00ff", 1234.5)
        );
        let err = |s: &str| format!("{:#}", Run::parse(s).unwrap_err());
        assert!(err("").contains("printed nothing"));
        assert!(
            err("time: 5 ms").contains("not JSON"),
            "{}",
            err("time: 5 ms")
        );
        assert!(err("{\"best_ns\": 5, \"sum\": 1}").contains("lacks"));
        assert!(
            err("{\"best_ns\": 0, \"bits\": \"0\", \"sum\": 1, \"level\": \"avx2\"}")
                .contains("timed 0 ns")
        );
    }

    #[test]
    fn the_best_of_each_side_is_set_against_the_other() {
        let plain = [run(110.0, "a", 1.0), run(105.0, "a", 1.0)];
        let native = [run(100.0, "a", 1.0), run(120.0, "a", 1.0)];
        let v = Verdict::judge(&plain, &native, 1.10).unwrap();
        assert_eq!((v.plain.best_ns, v.native.best_ns), (105.0, 100.0));
        assert!((v.ratio - 1.05).abs() < 1e-12);
        assert!(v.failures.is_empty(), "{:?}", v.failures);
        let md = v.markdown(1.10);
        assert!(
            md.contains("plain/native: 1.050 (at most 1.1); bits equal"),
            "{md}"
        );
        assert!(md.contains("| avx512 | 0.00 ms | `a` | 1.0 |"), "{md}");
    }

    #[test]
    fn too_slow_fails_and_so_do_other_bits() {
        let v = Verdict::judge(&[run(111.0, "a", 1.0)], &[run(100.0, "a", 1.0)], 1.10).unwrap();
        assert_eq!(v.failures.len(), 1);
        assert!(v.failures[0].contains("1.110x"), "{:?}", v.failures);
        // A looser bound passes the same times.
        let v = Verdict::judge(&[run(111.0, "a", 1.0)], &[run(100.0, "a", 1.0)], 1.2).unwrap();
        assert!(v.failures.is_empty());

        // Faster, but on other bits: the builds ran different kernels.
        let v =
            Verdict::judge(&[run(90.0, "a", 1.0)], &[run(100.0, "b", 1.0 + 1e-9)], 1.1).unwrap();
        assert_eq!(v.failures.len(), 1, "{:?}", v.failures);
        assert!(v.failures[0].contains("bits a vs b"), "{:?}", v.failures);
        assert!(v.markdown(1.1).contains("bits differ"));
        // Runs of one build that disagree are a failure of their own.
        let v = Verdict::judge(
            &[run(90.0, "a", 1.0), run(95.0, "c", 1.0)],
            &[run(100.0, "a", 1.0)],
            1.1,
        )
        .unwrap();
        assert!(
            v.failures[0].contains("plain build's runs disagree"),
            "{:?}",
            v.failures
        );
        assert!(Verdict::judge(&[], &[run(1.0, "a", 1.0)], 1.1).is_err());
        // Another instruction set is named as such (and here gives other bits too).
        let mut avx2 = run(100.0, "b", 1.0);
        avx2.level = "avx2".to_owned();
        let v = Verdict::judge(&[avx2], &[run(100.0, "a", 1.0)], 1.1).unwrap();
        assert_eq!(v.failures.len(), 2, "{:?}", v.failures);
        assert!(
            v.failures[0].contains("avx2 (plain) and avx512 (native)"),
            "{:?}",
            v.failures
        );
    }

    #[test]
    fn options() {
        assert_eq!(
            Options::parse(&[]).unwrap(),
            Options {
                rounds: 5,
                max_ratio: 1.10
            }
        );
        let o = Options::parse(&strings(&["--rounds", "3", "--max-ratio=1.25"])).unwrap();
        assert_eq!((o.rounds, o.max_ratio), (3, 1.25));
        for bad in [
            &["--rounds", "0"][..],
            &["--rounds"],
            &["--max-ratio", "-1"],
            &["--max-ratio", "inf"],
            &["--fast"],
        ] {
            assert!(Options::parse(&strings(bad)).is_err(), "{bad:?}");
        }
    }
}
