//! `cargo xtask bench`: run the criterion benches, pair ours with each peer, write the report.
//!
//! The pairing is driven by `nw_bench::CASES`, the same table the benches run: every case,
//! thread count and peer gives one row, whatever its group or unit, so a new case or group
//! needs no change here; `nw_bench::SPLITS` likewise drives the section on where a command's
//! time goes, and each case's `bound` the section on bounds. One number is not measured by
//! this run: statsmodels' bandwidth search on Boston housing, which the report reads from
//! [`STATSMODELS_PATH`] (written by `benches/peers/statsmodels_kernelreg.py`) and sets beside
//! the `bandwidth_nd` rows on the same data. Results come from criterion's files, `<target>/criterion/<group>/.../new/`:
//! the median of `estimates.json` (ns per iteration) and the id and throughput of
//! `benchmark.json`. Only results written by this run are used, so every ratio compares two
//! measurements of the same run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use nw_bench::{
    BANDWIDTH_ND, CASES, Case, DATA_FITS, GOALS, Goal, Group, OURS, Peer, SPLITS, Split, Target,
    Unit,
};
use nw_tensor::kernels::isa::{self, Level};
use serde_json::Value;

/// Criterion flags and values that `--quick` adds: short warm-up and measurement, the fewest
/// samples criterion allows.
const QUICK_ARGS: &[(&str, &str)] = &[
    ("--warm-up-time", "0.2"),
    ("--measurement-time", "0.5"),
    ("--sample-size", "10"),
];

/// Where the report goes, relative to the workspace root.
const REPORT_PATH: &str = "docs/performance.md";
/// How the report describes a build without flags.
const DEFAULT_BUILD: &str = "default build (no RUSTFLAGS): kernels chosen at run time";
/// Where `--native`'s report goes.
const NATIVE_REPORT_PATH: &str = "docs/performance-native.md";
/// The flags of `--native`: the build for this CPU that `.cargo/config.toml` made before the
/// kernels were chosen at run time (issue 14), to compare against.
const NATIVE_FLAGS: &str = "-C target-cpu=native";
/// statsmodels' `KernelReg` on Boston housing, as its peer script recorded it (relative to the
/// workspace root).
const STATSMODELS_PATH: &str = "crates/nw-model/tests/data/statsmodels_boston.json";

/// The arguments of `cargo xtask bench`: its own flags, and the rest for criterion.
#[derive(Clone, Debug, PartialEq)]
struct Args {
    /// `--quick`: short warm-up and measurement ([`QUICK_ARGS`]).
    quick: bool,
    /// `--native`: built with [`NATIVE_FLAGS`] in its own target folder.
    native: bool,
    /// `--simd <level>`: the cap set in `NW_SIMD` for the benches.
    simd: Option<Level>,
    /// What goes to the bench binaries: `--quick`'s flags (unless given), then the rest.
    criterion: Vec<String>,
}

impl Args {
    /// Splits `args` into ours and criterion's; an unknown `--simd` level is an error.
    fn parse(args: &[String]) -> Result<Args> {
        let mut quick = false;
        let mut native = false;
        let mut simd = None;
        let mut rest: Vec<String> = Vec::new();
        let mut args_iter = args.iter();
        while let Some(arg) = args_iter.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--native" => native = true,
                "--simd" => {
                    let name = args_iter.next().map_or("", String::as_str);
                    simd = Some(simd_level(name)?);
                }
                a if a.starts_with("--simd=") => simd = Some(simd_level(&a["--simd=".len()..])?),
                _ => rest.push(arg.clone()),
            }
        }
        let mut criterion: Vec<String> = Vec::new();
        if quick {
            // A flag the user gave wins over the quick default (criterion rejects repeats).
            for &(flag, value) in QUICK_ARGS {
                let given = |a: &String| a == flag || a.starts_with(&format!("{flag}="));
                if !rest.iter().any(given) {
                    criterion.extend([flag.to_owned(), value.to_owned()]);
                }
            }
        }
        criterion.extend(rest);
        Ok(Args {
            quick,
            native,
            simd,
            criterion,
        })
    }
}

/// The level named `name`, or an error listing the names.
fn simd_level(name: &str) -> Result<Level> {
    Level::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
        anyhow!("--simd takes one of {}, got {name:?}", names.join(", "))
    })
}

/// The instruction set the benches' kernels run on: this CPU's best, capped by `--simd` or
/// else by an inherited `NW_SIMD` (checked here, since the kernels ignore a value that names
/// no level), and how the report words it.
fn simd_of_run(flag: Option<Level>) -> Result<(Level, String)> {
    let detected = Level::detected();
    let (cap, from) = match flag {
        Some(level) => (Some(level), "`--simd`"),
        None => match Level::requested() {
            Ok(cap) => (cap, "`NW_SIMD` from the environment"),
            Err(v) => bail!(
                "{}={v} names no instruction set (avx512, avx2 or baseline)",
                isa::ENV
            ),
        },
    };
    Ok(match cap {
        None => (detected, format!("{detected}, this CPU's best")),
        Some(cap) => {
            let level = detected.min(cap);
            (
                level,
                format!("{level}: this CPU's best is {detected}, capped at {cap} by {from}"),
            )
        }
    })
}

/// Runs `cargo xtask bench [--quick] [--native] [--simd LEVEL] [CRITERION_ARGS...]`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let Args {
        quick,
        native,
        simd,
        criterion: criterion_args,
    } = Args::parse(args)?;
    let (level, level_note) = simd_of_run(simd)?;

    let root = workspace_root();
    let mut target = target_dir(&root)?;
    let mut machine = Machine::probe(&root);
    if native {
        // Its own target dir, so the default build's artifacts survive.
        target = target.join("native");
        machine.flags = format!("`RUSTFLAGS=\"{NATIVE_FLAGS}\"` (`--native`)");
    }
    machine.simd = level_note;
    // Files written before this moment belong to an earlier run (with a second of slack for
    // file systems that round their times).
    let started = SystemTime::now() - Duration::from_secs(1);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut bench = Command::new(&cargo);
    bench
        .current_dir(&root)
        .args(["bench", "--package", "nw-bench"]);
    if native {
        // The environment variable, not `--target-dir`: criterion finds its output folder
        // from `CARGO_TARGET_DIR` too.
        bench
            .env("RUSTFLAGS", NATIVE_FLAGS)
            .env("CARGO_TARGET_DIR", &target);
    }
    if let Some(cap) = simd {
        bench.env(isa::ENV, cap.name());
    }
    let status = bench
        .arg("--")
        .args(&criterion_args)
        .status()
        .context("cannot run `cargo bench`")?;
    if !status.success() {
        bail!("`cargo bench --package nw-bench` failed ({status})");
    }

    let results = read_results(&target.join("criterion"), started)?;
    let mut report = Report::build(CASES, SPLITS, &results, level);
    // A missing or unreadable reference costs its section, not the run's results.
    match read_statsmodels(&root.join(STATSMODELS_PATH)) {
        Ok(recorded) => report.recorded = recorded,
        Err(e) => report
            .notes
            .push(format!("statsmodels' times not shown: {e:#}")),
    }
    println!();
    println!("{}", report.markdown());
    for section in [
        report.reading_markdown(),
        report.split_markdown(),
        report.bound_markdown(),
        report.goal_markdown(GOALS),
        report.statsmodels_markdown(),
    ] {
        if !section.is_empty() {
            println!("{section}");
        }
    }
    for note in &report.notes {
        println!("- {note}");
    }

    let mut command = String::from("cargo xtask bench");
    for arg in args {
        command.push(' ');
        command.push_str(arg);
    }
    let doc = report.document(&machine, &command, quick);
    let path = root.join(if native {
        NATIVE_REPORT_PATH
    } else {
        REPORT_PATH
    });
    fs::create_dir_all(path.parent().unwrap_or(&root))
        .with_context(|| format!("cannot create the folder of {}", path.display()))?;
    fs::write(&path, doc).with_context(|| format!("cannot write {}", path.display()))?;
    println!("\nwrote {}", path.display());
    Ok(())
}

/// The workspace root: the parent of this package's folder.
pub(crate) fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Cargo's target folder as cargo itself reports it (so `CARGO_TARGET_DIR` and config are
/// respected), the same way criterion finds where to write.
pub(crate) fn target_dir(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cannot run `cargo metadata`")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("cannot parse `cargo metadata` output")?;
    match metadata["target_directory"].as_str() {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => bail!("`cargo metadata` gave no target_directory"),
    }
}

/// One benchmark's result as criterion stored it.
#[derive(Clone, Debug, PartialEq)]
struct Measured {
    /// Median time of one iteration, in ns.
    median_ns: f64,
    /// Work per iteration from `benchmark.json`, if criterion recorded a throughput.
    work: Option<u64>,
    /// Whether this run wrote it (rather than an earlier one).
    fresh: bool,
}

/// Results by criterion's full id, e.g. `bmm/256x64x64x64/ours/1t`.
type Results = HashMap<String, Measured>;

/// Reads every `new/` result under the folders of the groups in [`CASES`] and [`SPLITS`].
fn read_results(criterion_dir: &Path, started: SystemTime) -> Result<Results> {
    let mut groups: Vec<&str> = Vec::new();
    let names = CASES.iter().map(|c| c.group.name);
    for name in names.chain(SPLITS.iter().map(|s| s.group.name)) {
        if !groups.contains(&name) {
            groups.push(name);
        }
    }
    let mut results = Results::new();
    for group in groups {
        collect(&criterion_dir.join(group), 0, started, &mut results)?;
    }
    Ok(results)
}

/// Walks `dir` (criterion makes at most a few levels per id) for `new/` result folders.
fn collect(dir: &Path, depth: usize, started: SystemTime, results: &mut Results) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(()); // a group that was never run has no folder
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some((id, measured)) = read_one(&path, started)? {
                results.insert(id, measured);
            }
        } else if depth < 4 && path.file_name().is_none_or(|n| n != "report") {
            collect(&path, depth + 1, started, results)?;
        }
    }
    Ok(())
}

/// Reads one criterion `new/` folder: its full id and measurement.
fn read_one(new: &Path, started: SystemTime) -> Result<Option<(String, Measured)>> {
    let (bench_path, estimates_path) = (new.join("benchmark.json"), new.join("estimates.json"));
    if !bench_path.is_file() || !estimates_path.is_file() {
        return Ok(None);
    }
    let read = |path: &Path| -> Result<Value> {
        let text = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("cannot parse {}", path.display()))
    };
    let bench = read(&bench_path)?;
    let estimates = read(&estimates_path)?;
    let Some(id) = bench["full_id"].as_str() else {
        bail!("{} has no full_id", bench_path.display());
    };
    let Some(median_ns) = estimates["median"]["point_estimate"].as_f64() else {
        bail!("{} has no median point estimate", estimates_path.display());
    };
    // Criterion writes {"Bytes": n} or {"Elements": n} (or null without a throughput).
    let work = bench["throughput"]
        .as_object()
        .and_then(|t| t.values().next())
        .and_then(Value::as_u64);
    let modified = fs::metadata(&estimates_path)
        .and_then(|m| m.modified())
        .ok();
    let fresh = modified.is_some_and(|t| t >= started);
    Ok(Some((
        id.to_owned(),
        Measured {
            median_ns,
            work,
            fresh,
        },
    )))
}

/// One line of the table: a case on one thread count, ours beside one peer.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    group: &'static str,
    shape: String,
    /// The case's dimensions and work per iteration (rows per second follow from them).
    dims: &'static [usize],
    work: u64,
    threads: usize,
    /// The instruction set our kernels ran on.
    simd: Level,
    unit: Unit,
    /// The case whose rate bounds this one's, if any.
    bound: Option<&'static Case>,
    /// Rates in units of work per ns, i.e. G units per second.
    ours: f64,
    peer: f64,
    peer_name: &'static str,
}

/// The paired table and the notes on what could not be paired.
#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    /// One line per pair left out of the table, saying why.
    notes: Vec<String>,
    /// Groups and peers that appear in the table (each peer with the groups it is measured
    /// in), for the method notes.
    groups: Vec<&'static Group>,
    peers: Vec<(&'static Peer, Vec<&'static str>)>,
    /// Commands timed step by step.
    splits: Vec<SplitRow>,
    /// statsmodels' bandwidth searches as its peer script recorded them (not this run).
    recorded: Vec<Recorded>,
}

/// A command's steps on one thread count, each step's median time.
#[derive(Clone, Debug, PartialEq)]
struct SplitRow {
    split: &'static Split,
    threads: usize,
    /// Median ns per step, in the order of [`Split::steps`].
    ns: Vec<f64>,
}

/// The result with full id `id`, if this run wrote it; else why not, for a note on `label`.
fn this_run<'a>(
    results: &'a Results,
    id: &str,
    label: &str,
) -> std::result::Result<&'a Measured, String> {
    match results.get(id) {
        None => Err(format!("{label}: no result for `{id}` (not run)")),
        Some(m) if !m.fresh => Err(format!(
            "{label}: `{id}` is from an earlier run, not this one"
        )),
        Some(m) => Ok(m),
    }
}

impl Report {
    /// Pairs ours with each peer for every case and thread count in `cases`, and times the
    /// steps of every command in `splits`, our kernels having run on `simd`. A pair or step
    /// with a side missing, from an earlier run, or counted differently from the table is
    /// left out with a note.
    fn build(
        cases: &'static [Case],
        splits: &'static [Split],
        results: &Results,
        simd: Level,
    ) -> Report {
        let mut report = Report::default();
        for case in cases {
            for &threads in case.threads {
                let label = format!("{} {} {threads}t", case.group.name, case.shape());
                let side = |who: &str| -> std::result::Result<f64, String> {
                    let id = case.full_id(who, threads);
                    let m = this_run(results, &id, &label)?;
                    match m.work {
                        Some(w) if w != case.work => Err(format!(
                            "{label}: `{id}` counted {w} units of work, the table says {}",
                            case.work
                        )),
                        _ => Ok(case.work as f64 / m.median_ns),
                    }
                };
                // A case without a peer gets a row of ours alone (its peer is NaN).
                let peers: Vec<Option<&'static Peer>> = if case.peers.is_empty() {
                    vec![None]
                } else {
                    case.peers.iter().copied().map(Some).collect()
                };
                for peer in peers {
                    let peer_side = peer.map_or(Ok(f64::NAN), |p| side(p.name));
                    match (side(OURS), peer_side) {
                        (Ok(ours), Ok(peer_rate)) => {
                            report.rows.push(Row {
                                group: case.group.name,
                                shape: case.shape(),
                                dims: case.dims,
                                work: case.work,
                                threads,
                                simd,
                                unit: case.group.unit,
                                bound: case.bound,
                                ours,
                                peer: peer_rate,
                                peer_name: peer.map_or("(none run)", |p| p.name),
                            });
                            if !report.groups.contains(&case.group) {
                                report.groups.push(case.group);
                            }
                            if let Some(p) = peer
                                && !report.peers.iter().any(|(q, _)| *q == p)
                            {
                                report.peers.push((p, Vec::new()));
                            }
                            if let Some((_, groups)) =
                                report.peers.iter_mut().find(|(q, _)| Some(*q) == peer)
                                && !groups.contains(&case.group.name)
                            {
                                groups.push(case.group.name);
                            }
                        }
                        (Err(note), _) | (_, Err(note)) => {
                            if !report.notes.contains(&format!("skipped {note}")) {
                                report.notes.push(format!("skipped {note}"));
                            }
                        }
                    }
                }
            }
        }
        for split in splits {
            for &threads in split.threads {
                let label = format!("{} {} {threads}t", split.group.name, split.shape());
                let times: std::result::Result<Vec<f64>, String> = split
                    .steps
                    .iter()
                    .map(|step| this_run(results, &split.full_id(step, threads), &label))
                    .map(|m| m.map(|m| m.median_ns))
                    .collect();
                match times {
                    Ok(ns) => report.splits.push(SplitRow { split, threads, ns }),
                    Err(note) => report.notes.push(format!("skipped {note}")),
                }
            }
        }
        report
    }

    /// The table in markdown, one row per pair; ratio is ours over the peer (above 1: ours
    /// is faster).
    fn markdown(&self) -> String {
        let mut out = String::from(
            "| bench | shape | threads | simd | ours | peer | peer name | ratio (ours/peer) |\n\
             |---|---|---:|---|---:|---:|---|---:|\n",
        );
        for r in &self.rows {
            let shown = |x: f64| match (x.is_nan(), r.unit) {
                (true, _) => "—".to_string(),
                // A whole run reads best as its time.
                (false, Unit::Run) => duration(1.0 / x),
                (false, unit) => format!("{} {}", rate(x * unit.scale()), unit.rate_label()),
            };
            let ratio = if r.peer.is_nan() {
                "—".to_string()
            } else {
                format!("{:.2}", r.ours / r.peer)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {ratio} |",
                r.group,
                r.shape,
                r.threads,
                r.simd,
                shown(r.ours),
                shown(r.peer),
                r.peer_name,
            );
        }
        if self.rows.is_empty() {
            out.push_str("| (no paired results) | | | | | | | |\n");
        }
        out
    }

    /// Our rate as a share of the rate of its case's bound (the `bound` of its entry in the
    /// table: the vector exponential for the 1-D kernels, `exp2` and `d` multiply-adds per
    /// pair for `pool_nd`), thread count for thread count. Empty when the run measured no
    /// case beside its bound.
    fn bound_markdown(&self) -> String {
        let mut out = String::new();
        let mut seen: Vec<(&str, &str, usize)> = Vec::new();
        for r in &self.rows {
            let Some(case) = r.bound else { continue };
            let bound_shape = case.shape();
            let Some(bound) = self.rows.iter().find(|b| {
                b.group == case.group.name && b.shape == bound_shape && b.threads == r.threads
            }) else {
                continue;
            };
            // One line per case and thread count, however many peers it has.
            if seen.contains(&(r.group, r.shape.as_str(), r.threads)) {
                continue;
            }
            seen.push((r.group, r.shape.as_str(), r.threads));
            if out.is_empty() {
                out.push_str(
                    "| bench | shape | threads | ours | bound | bound's rate | share of the bound |\n\
                     |---|---|---:|---:|---|---:|---:|\n",
                );
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} {} | `{}` {} | {} {} | {:.0}% |",
                r.group,
                r.shape,
                r.threads,
                rate(r.ours * r.unit.scale()),
                r.unit.rate_label(),
                bound.group,
                bound.shape,
                rate(bound.ours * bound.unit.scale()),
                bound.unit.rate_label(),
                100.0 * r.ours / bound.ours
            );
        }
        out
    }

    /// The rows of every goal's group against its peer: ours as a share of the peer's rate
    /// (pairs) or as a multiple of its time (whole runs), beside what the goal asks. Empty
    /// when the run measured none of them.
    fn goal_markdown(&self, goals: &[Goal]) -> String {
        let mut out = String::new();
        for goal in goals {
            for r in self
                .rows
                .iter()
                .filter(|r| r.group == goal.group.name && r.peer_name == goal.peer.name)
            {
                if out.is_empty() {
                    out.push_str(
                        "| bench | shape | threads | ours | baseline | ours against it | asked | met |\n\
                         |---|---|---:|---:|---:|---:|---:|---|\n",
                    );
                }
                let shown = |x: f64| match r.unit {
                    Unit::Run => duration(1.0 / x),
                    unit => format!("{} {}", rate(x * unit.scale()), unit.rate_label()),
                };
                let (against, asked, met) = match (r.unit, goal.target) {
                    (Unit::Run, target) => {
                        let times = r.peer / r.ours;
                        let asked = match target {
                            Some(Target::TimeMultiple(t)) => (format!("at most {t}x"), times <= t),
                            _ => ("—".to_owned(), true),
                        };
                        (format!("{times:.1}x the time"), asked.0, asked.1)
                    }
                    (_, target) => {
                        let share = r.ours / r.peer;
                        let asked = match target {
                            Some(Target::RateShare(t)) => (format!("at least {t:.2}"), share >= t),
                            _ => ("—".to_owned(), true),
                        };
                        (format!("{share:.2} of the rate"), asked.0, asked.1)
                    }
                };
                let met = match (goal.target, met) {
                    (None, _) => "—",
                    (Some(_), true) => "yes",
                    (Some(_), false) => "no",
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} `{}` | {against} | {asked} | {met} |",
                    r.group,
                    r.shape,
                    r.threads,
                    shown(r.ours),
                    shown(r.peer),
                    r.peer_name,
                );
            }
        }
        out
    }

    /// Our `bandwidth_nd` times beside statsmodels' recorded time of the same search on the
    /// same data (file, rows and inputs all match), a line per thread count. Empty when no
    /// row has a recorded counterpart.
    fn statsmodels_markdown(&self) -> String {
        let mut out = String::new();
        for r in self.rows.iter().filter(|r| r.group == BANDWIDTH_ND.name) {
            let Some(fit) = DATA_FITS.iter().find(|f| f.dims == r.dims) else {
                continue;
            };
            let Some(theirs) = self
                .recorded
                .iter()
                .find(|t| t.file == fit.file && t.rows == fit.dims[0] && t.inputs == fit.inputs)
            else {
                continue;
            };
            if out.is_empty() {
                out.push_str(
                    "| bench | data | shape | threads | ours | statsmodels (recorded) | ratio (statsmodels/ours) |\n\
                     |---|---|---|---:|---:|---:|---:|\n",
                );
            }
            // ours is runs per ns.
            let ours_s = 1.0 / r.ours / 1e9;
            let _ = writeln!(
                out,
                "| {} | `{}`: {} -> {} | {} | {} | {} | {} ({} CV evaluations) | {:.0} |",
                r.group,
                fit.file,
                fit.inputs.join(", "),
                fit.target,
                r.shape,
                r.threads,
                duration(1.0 / r.ours),
                duration(theirs.seconds * 1e9),
                theirs.evaluations,
                theirs.seconds / ours_s
            );
        }
        out
    }

    /// Our reading rates in bytes and in rows (a read case's first dimension is its rows), one
    /// line per case and thread count. Empty when the run read no file.
    fn reading_markdown(&self) -> String {
        let mut out = String::new();
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for r in self.rows.iter().filter(|r| r.unit == Unit::TextByte) {
            if seen.contains(&(r.shape.as_str(), r.threads)) {
                continue;
            }
            seen.push((r.shape.as_str(), r.threads));
            if out.is_empty() {
                out.push_str(
                    "| bench | shape | threads | file | ours | rows/s |\n\
                     |---|---|---:|---:|---:|---:|\n",
                );
            }
            let rows = r.dims.first().copied().unwrap_or(0) as f64;
            // ours is bytes per ns; a row is work / rows bytes.
            let rows_per_s = r.ours * 1e9 * rows / r.work as f64;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} MB | {} MB/s | {} M rows/s |",
                r.group,
                r.shape,
                r.threads,
                r.work as f64 / 1e6,
                rate(r.ours * Unit::TextByte.scale()),
                rate(rows_per_s / 1e6)
            );
        }
        out
    }

    /// Each command's steps with their times and shares of the sum, a line per thread count.
    /// Empty when the run timed no command.
    fn split_markdown(&self) -> String {
        let mut out = String::new();
        let mut current: Option<&Split> = None;
        for row in &self.splits {
            if current != Some(row.split) {
                current = Some(row.split);
                let names: Vec<String> = row
                    .split
                    .steps
                    .iter()
                    .map(|s| format!("`{}`", s.name))
                    .collect();
                let _ = writeln!(
                    out,
                    "{}`{}` on {} ({}):\n\n| threads | {} | sum |\n|---:|{}---:|",
                    if out.is_empty() { "" } else { "\n" },
                    row.split.command,
                    row.split.shape(),
                    row.split.group.dims,
                    names.join(" | "),
                    "---:|".repeat(names.len())
                );
            }
            let sum: f64 = row.ns.iter().sum();
            let cells: Vec<String> = row
                .ns
                .iter()
                .map(|&ns| format!("{} ({:.0}%)", duration(ns), 100.0 * ns / sum))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                row.threads,
                cells.join(" | "),
                duration(sum)
            );
        }
        out
    }

    /// The whole `docs/performance.md`: the machine, the table, skipped pairs and the method.
    fn document(&self, machine: &Machine, command: &str, quick: bool) -> String {
        let mut doc = String::new();
        let _ = writeln!(doc, "# Performance\n");
        let _ = writeln!(
            doc,
            "Generated by `cargo xtask bench`; do not edit by hand, run it again.\n"
        );
        let _ = writeln!(doc, "- Date: {}", machine.date);
        let _ = writeln!(
            doc,
            "- CPU: {} ({} logical CPUs)",
            machine.cpu, machine.cpus
        );
        let _ = writeln!(doc, "- Load average at the start: {}", machine.load);
        let _ = writeln!(doc, "- Compiler: `{}`", machine.rustc);
        let _ = writeln!(doc, "- Build: the `bench` profile, {}", machine.flags);
        let _ = writeln!(doc, "- Our kernels' instruction set: {}", machine.simd);
        let _ = writeln!(doc, "- Command: `{command}`");
        if quick {
            let _ = writeln!(
                doc,
                "- **Quick smoke run** (`--quick`: `{}`): the figures are rough.",
                QUICK_ARGS
                    .iter()
                    .map(|(f, v)| format!("{f} {v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        let _ = writeln!(doc, "\n## Results\n");
        doc.push_str(&self.markdown());
        // The groups that count whole runs, as measured in this run.
        let runs: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.unit == Unit::Run)
            .map(|g| format!("`{}`", g.name))
            .collect();
        let runs = if runs.is_empty() {
            String::new()
        } else {
            format!(", whole runs ({}) their time", runs.join(", "))
        };
        let _ = writeln!(
            doc,
            "\nRates are work per second (G = 10^9, M = 10^6){runs}; a ratio above 1 means \
             ours is faster."
        );
        let reading = self.reading_markdown();
        if !reading.is_empty() {
            let _ = writeln!(doc, "\n## Reading files\n");
            let _ = writeln!(
                doc,
                "Our reader's rates from the table, in bytes and in rows (one thread; MB = \
                 10^6 bytes, M = 10^6 rows).\n"
            );
            doc.push_str(&reading);
        }
        let split = self.split_markdown();
        if !split.is_empty() {
            let _ = writeln!(doc, "\n## Where `nw predict`'s time goes\n");
            let _ = writeln!(
                doc,
                "Its two steps timed on their own in this run (`cargo bench -p nw-bench --bench \
                 read -- predict` runs them alone), each with its share of their sum. Reading \
                 is sequential, so it has one time on every line; the binary pools on every \
                 core. What the binary does besides (starting, checking, writing its output) \
                 is not in the sum.\n"
            );
            doc.push_str(&split);
            for s in SPLITS {
                let _ = writeln!(
                    doc,
                    "\nThe bench leaves its files in cargo's target folder, so the binary can be \
                     timed on the same ones: `cargo build --release -p nw-cli && cd target/tmp/{} \
                     && /usr/bin/time -v ../../release/{}`.",
                    s.folder, s.command
                );
            }
        }
        let bound = self.bound_markdown();
        if !bound.is_empty() {
            let _ = writeln!(doc, "\n## Against the bounds\n");
            let _ = writeln!(
                doc,
                "Each pooled pair costs one exponential, so our vector exponential's rate on \
                 a buffer (the `exp` rows) bounds the one-dimensional fused kernels; a pair in \
                 d dimensions costs d multiply-adds more, so a loop of exactly that (the \
                 `pool_nd_bound` rows, keys in L2) bounds `pool_nd` at the same d. This is how \
                 close the kernels come, thread count for thread count.\n"
            );
            doc.push_str(&bound);
        }
        let goals = self.goal_markdown(GOALS);
        if !goals.is_empty() {
            let _ = writeln!(doc, "\n## Local fits and bands (issue 12)\n");
            let _ = writeln!(
                doc,
                "Each local fit against Nadaraya-Watson on the same queries, keys, kernel and \
                 bandwidth (its share of that pair rate), and each band against the plain \
                 prediction of the same model (how many times its time), from the table \
                 above. The bands are timed on a warmed model: the one-time pass of a model's \
                 first band (the training fit and residuals at every key, cached after it) is \
                 its own row, `bands_residuals`. `cargo bench -p nw-bench --bench local` and \
                 `--bench bands` run these alone.\n"
            );
            doc.push_str(&goals);
        }
        let statsmodels = self.statsmodels_markdown();
        if !statsmodels.is_empty() {
            let _ = writeln!(doc, "\n## Choosing bandwidths, beside statsmodels\n");
            let first = &self.recorded[0];
            let _ = writeln!(
                doc,
                "statsmodels was not run by this bench: its times are the ones \
                 `{}` recorded in `{STATSMODELS_PATH}` (statsmodels {}, {}; {}), on another \
                 day and under another load, so read the ratio as rough. Its search: {}. \
                 Ours: the `bandwidth_nd` rows above, on the same file, rows and inputs.\n",
                first.script, first.version, first.date, first.definition, first.estimator
            );
            doc.push_str(&statsmodels);
        }
        if !self.notes.is_empty() {
            let _ = writeln!(doc, "\nLeft out of this run:\n");
            for note in &self.notes {
                let _ = writeln!(doc, "- {note}");
            }
        }
        let _ = writeln!(doc, "\n## Method\n");
        doc.push_str(
            "- Each rate is the work of one iteration divided by the median of criterion's \
             samples of the time per iteration (`median.point_estimate` in `estimates.json`).\n\
             - Ours and its peers run in the same process, one after the other, on the same \
             inputs (deterministic pseudo-random values from `nw_bench`'s splitmix64 \
             generator), and each bench first checks that all sides agree. Ratios are taken within one run: \
             the machine is shared and noisy (2-thread figures can wander by up to 2x between \
             runs, and other builds may have been running), so compare rows of one run, not \
             runs.\n\
             - `simd` is the instruction set our kernels ran on: the CPU's best \
             (`nw_tensor::kernels::isa::Level::detected`) capped by `NW_SIMD` (`--simd`). \
             Peers do not go through that choice: those on `wide` (`wide-exp`) and plain \
             loops run on what the build targets (SSE2 without `--native`), and \
             `matrixmultiply` picks its own kernel at run time.\n\
             - Threads: each side runs inside `ThreadPool::install` of a rayon pool of exactly \
             that many threads; ours gets `Par::Seq` on 1 thread and `Par::Rayon` on more.\n",
        );
        for g in &self.groups {
            let _ = writeln!(doc, "- `{}` ({}): {}.", g.name, g.dims, g.about);
        }
        for (p, groups) in &self.peers {
            // Two groups may name different peers alike (`materialized` in 1 and d dimensions).
            let groups: Vec<String> = groups.iter().map(|g| format!("`{g}`")).collect();
            let _ = writeln!(
                doc,
                "- Peer `{}` (in {}): {}.",
                p.name,
                groups.join(", "),
                p.about
            );
        }
        let mut splits: Vec<&Split> = self.splits.iter().map(|r| r.split).collect();
        splits.dedup();
        for split in splits {
            let g = split.group;
            let _ = writeln!(doc, "- `{}` ({}): {}.", g.name, g.dims, g.about);
            for step in split.steps {
                let _ = writeln!(doc, "- Step `{}`: {}.", step.name, step.about);
            }
        }
        doc
    }
}

/// One of statsmodels' bandwidth searches, as `benches/peers/statsmodels_kernelreg.py`
/// recorded it.
#[derive(Clone, Debug, PartialEq)]
struct Recorded {
    /// The data file, relative to the workspace root, its rows and the inputs used.
    file: String,
    rows: usize,
    inputs: Vec<String>,
    /// Wall time of the search, in seconds, and the CV evaluations it made.
    seconds: f64,
    evaluations: u64,
    /// Where the number comes from: the script, statsmodels' version, the date, what the
    /// seconds are and what the search is.
    script: String,
    version: String,
    date: String,
    definition: String,
    estimator: String,
}

/// Reads statsmodels' recorded searches from the peer script's JSON file.
fn read_statsmodels(path: &Path) -> Result<Vec<Recorded>> {
    let text = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let json: Value = serde_json::from_slice(&text)
        .with_context(|| format!("cannot parse {}", path.display()))?;
    parse_statsmodels(&json).with_context(|| format!("in {}", path.display()))
}

/// The searches of a parsed [`STATSMODELS_PATH`] file: one per entry of `cases`.
fn parse_statsmodels(json: &Value) -> Result<Vec<Recorded>> {
    let text = |v: &Value, what: &str| -> Result<String> {
        match v.as_str() {
            Some(s) => Ok(s.to_owned()),
            None => bail!("no text at {what}"),
        }
    };
    let file = text(&json["data"]["file"], "data.file")?;
    let Some(rows) = json["data"]["n"].as_u64() else {
        bail!("no row count at data.n");
    };
    let Some(cases) = json["cases"].as_array() else {
        bail!("no list at cases");
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let Some(inputs) = case["inputs"].as_array() else {
                bail!("no list at cases[{i}].inputs");
            };
            let inputs = inputs
                .iter()
                .map(|c| text(c, "cases[].inputs"))
                .collect::<Result<Vec<String>>>()?;
            let (Some(seconds), Some(evaluations)) =
                (case["seconds"].as_f64(), case["evaluations"].as_u64())
            else {
                bail!("no seconds or evaluations at cases[{i}]");
            };
            Ok(Recorded {
                file: file.clone(),
                rows: usize::try_from(rows)?,
                inputs,
                seconds,
                evaluations,
                script: text(&json["source"]["script"], "source.script")?,
                version: text(&json["source"]["statsmodels"], "source.statsmodels")?,
                date: text(&json["source"]["date"], "source.date")?,
                definition: text(&json["definitions"]["seconds"], "definitions.seconds")?,
                estimator: text(&json["estimator"], "estimator")?,
            })
        })
        .collect()
}

/// A time given in ns, in the unit that reads best.
fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// A rate with three significant figures or so.
fn rate(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// What the report says about the machine and toolchain.
struct Machine {
    /// When the run started.
    date: String,
    cpu: String,
    cpus: usize,
    /// 1, 5 and 15 minute load averages when the run started: other work on the machine.
    load: String,
    rustc: String,
    flags: String,
    /// The instruction set of our kernels, and why (see [`simd_of_run`]).
    simd: String,
}

impl Machine {
    /// Reads the clock, `/proc/cpuinfo`, `/proc/loadavg`, `rustc --version` and the flags in
    /// the environment.
    fn probe(root: &Path) -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let processors = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let cpus = if processors > 0 {
            processors
        } else {
            std::thread::available_parallelism().map_or(0, |n| n.get())
        };
        let load = fs::read_to_string("/proc/loadavg").map_or_else(
            |_| "unknown".to_owned(),
            |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        );
        let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
            .current_dir(root)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or_else(
                || "unknown".to_owned(),
                |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            );
        // An environment RUSTFLAGS replaces the config's flags (none) for the whole build.
        let flags = match std::env::var("RUSTFLAGS") {
            Ok(f) if !f.trim().is_empty() => {
                format!("`RUSTFLAGS={}` from the environment", f.trim())
            }
            _ => DEFAULT_BUILD.to_owned(),
        };
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            date: utc_date(secs),
            cpu,
            cpus,
            load,
            rustc,
            flags,
            simd: String::new(),
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (proleptic Gregorian calendar).
fn utc_date(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days to a civil date, after Howard Hinnant's `civil_from_days`: count from 0000-03-01
    // so that leap days fall at the end of each 400-year era's years.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_machine() -> Machine {
        Machine {
            date: utc_date(0),
            cpu: "test cpu".into(),
            cpus: 2,
            load: "0.00 0.00 0.00".into(),
            rustc: "rustc 0".into(),
            flags: "none".into(),
            simd: "avx512, this CPU's best".into(),
        }
    }

    fn fresh(ns: f64, work: u64) -> Measured {
        Measured {
            median_ns: ns,
            work: Some(work),
            fresh: true,
        }
    }

    #[test]
    fn pairs_ours_with_the_peer_and_skips_what_is_missing() {
        let bmm = &CASES[0];
        let mut results = Results::new();
        results.insert(bmm.full_id(OURS, 1), fresh(1e6, bmm.work));
        results.insert(bmm.full_id(bmm.peers[0].name, 1), fresh(2e6, bmm.work));
        results.insert(bmm.full_id(OURS, 2), fresh(1e6, bmm.work));
        let mut stale = fresh(1e6, bmm.work);
        stale.fresh = false;
        results.insert(bmm.full_id(bmm.peers[0].name, 2), stale);

        let report = Report::build(CASES, SPLITS, &results, Level::Avx512);
        assert_eq!(report.rows.len(), 1);
        let row = &report.rows[0];
        assert_eq!(
            (row.group, row.threads, row.peer_name),
            ("bmm", 1, "matrixmultiply")
        );
        assert!((row.ours / row.peer - 2.0).abs() < 1e-12);
        assert!((row.ours - bmm.work as f64 / 1e6).abs() < 1e-9);
        // Every other case and thread count is noted once, the stale one as such, and so is
        // every command's line.
        let pairs: usize = CASES.iter().map(|c| c.threads.len()).sum();
        let splits: usize = SPLITS.iter().map(|s| s.threads.len()).sum();
        assert_eq!(
            report.notes.len(),
            pairs - 1 + splits,
            "{:#?}",
            report.notes
        );
        assert!(report.notes.iter().any(|n| n.contains("earlier run")));

        let table = report.markdown();
        assert!(
            table.contains("| bmm | 256x64x64x64 | 1 | avx512 |"),
            "{table}"
        );
        assert!(table.contains("GFLOP/s"));
        assert!(table.contains("| 2.00 |"));
    }

    #[test]
    fn a_different_work_count_is_not_paired() {
        let case = &CASES[0];
        let mut results = Results::new();
        results.insert(case.full_id(OURS, 1), fresh(1e6, case.work + 1));
        results.insert(case.full_id(case.peers[0].name, 1), fresh(1e6, case.work));
        let report = Report::build(&CASES[..1], &[], &results, Level::Avx512);
        assert!(report.rows.is_empty());
        assert!(
            report.notes[0].contains("units of work"),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_case_gets_a_row_per_peer_and_rows_per_second() {
        let case = CASES
            .iter()
            .find(|c| c.group.name == "read" && c.peers.len() == 2)
            .expect("a read case with two peers");
        let mut results = Results::new();
        // 1 byte per ns is 1000 MB/s; the peers at half and a quarter of that.
        results.insert(case.full_id(OURS, 1), fresh(case.work as f64, case.work));
        results.insert(
            case.full_id(case.peers[0].name, 1),
            fresh(2.0 * case.work as f64, case.work),
        );
        results.insert(
            case.full_id(case.peers[1].name, 1),
            fresh(4.0 * case.work as f64, case.work),
        );
        let report = Report::build(std::slice::from_ref(case), &[], &results, Level::Avx512);
        assert_eq!(report.rows.len(), 2, "{:?}", report.notes);
        let table = report.markdown();
        let shape = case.shape();
        assert!(
            table.contains(&format!(
                "| read | {shape} | 1 | avx512 | 1000 MB/s | 500 MB/s | {} | 2.00 |",
                case.peers[0].name
            )),
            "{table}"
        );
        assert!(
            table.contains(&format!("| 250 MB/s | {} | 4.00 |", case.peers[1].name)),
            "{table}"
        );
        // The whole file in 1 ms per MB: its rows in (work / 1e6) ms.
        let rows = case.dims[0] as f64;
        let reading = report.reading_markdown();
        assert_eq!(reading.lines().count(), 3, "one line per case: {reading}");
        let want = rate(rows / (case.work as f64 / 1e9) / 1e6);
        assert!(
            reading.contains(&format!("| 1000 MB/s | {want} M rows/s |")),
            "{reading}"
        );
    }

    #[test]
    fn a_split_gives_each_step_its_share() {
        let split = &SPLITS[0];
        let mut results = Results::new();
        let (read, pool) = (split.steps[0], split.steps[1]);
        assert!(!read.parallel && pool.parallel);
        results.insert(split.full_id(read, 1), fresh(10e6, 1));
        results.insert(split.full_id(pool, 1), fresh(30e6, 1));
        let report = Report::build(&[], std::slice::from_ref(split), &results, Level::Avx512);
        // 2 threads: the pooling is missing, so that line is left out with a note.
        assert_eq!(report.splits.len(), 1);
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
        assert!(report.notes[0].contains("pool/2t"), "{:?}", report.notes);
        let md = report.split_markdown();
        assert!(md.contains(split.command), "{md}");
        assert!(
            md.contains("| 1 | 10.0 ms (25%) | 30.0 ms (75%) | 40.0 ms |"),
            "{md}"
        );
    }

    #[test]
    fn empty_results_make_a_document_not_a_crash() {
        let report = Report::build(CASES, SPLITS, &Results::new(), Level::Avx512);
        let doc = report.document(&test_machine(), "cargo xtask bench", true);
        assert!(doc.contains("no paired results"));
        assert!(doc.contains("Quick smoke run"));
        assert!(doc.contains("1970-01-01 00:00 UTC"));
    }

    #[test]
    fn each_case_is_set_against_its_own_bound() {
        let nd = CASES
            .iter()
            .find(|c| c.group.name == "pool_nd" && c.dims[0] == 4)
            .expect("a pool_nd case in 4 dimensions");
        let nd_bound = nd.bound.expect("pool_nd has a bound");
        let pool = CASES
            .iter()
            .find(|c| c.group.name == "pool")
            .expect("a pool case");
        let exp = pool.bound.expect("pool has a bound");
        let mut results = Results::new();
        // pool_nd at 1 pair per ns, its bound at 4; pool at 2, exp at 8 exp per ns.
        results.insert(nd.full_id(OURS, 1), fresh(nd.work as f64, nd.work));
        let peer = nd.peers[0].name;
        results.insert(nd.full_id(peer, 1), fresh(10.0 * nd.work as f64, nd.work));
        let w = nd_bound.work;
        results.insert(nd_bound.full_id(OURS, 1), fresh(w as f64 / 4.0, w));
        results.insert(
            pool.full_id(OURS, 1),
            fresh(pool.work as f64 / 2.0, pool.work),
        );
        let peer = pool.peers[0].name;
        results.insert(pool.full_id(peer, 1), fresh(pool.work as f64, pool.work));
        results.insert(exp.full_id(OURS, 1), fresh(exp.work as f64 / 8.0, exp.work));
        results.insert(exp.full_id(exp.peers[0].name, 1), fresh(1.0, exp.work));
        let report = Report::build(CASES, &[], &results, Level::Avx512);
        let md = report.bound_markdown();
        assert_eq!(md.lines().count(), 4, "two cases with bounds: {md}");
        assert!(
            md.contains(&format!(
                "| pool_nd | {} | 1 | 1.00 G pairs/s | `pool_nd_bound` {} | 4.00 G pairs/s | 25% |",
                nd.shape(),
                nd_bound.shape()
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "| pool | {} | 1 | 2.00 G pairs/s | `exp` {} | 8.00 G exp/s | 25% |",
                pool.shape(),
                exp.shape()
            )),
            "{md}"
        );
        // The bound itself is a row of the table (ours alone), not set against anything.
        assert!(report.rows.iter().any(|r| r.group == "pool_nd_bound"));
        assert!(!md.contains("| pool_nd_bound |"), "{md}");
        // Two peers called `materialized`, each named with its group in the method notes.
        let doc = report.document(&test_machine(), "cargo xtask bench", false);
        assert!(doc.contains("- Peer `materialized` (in `pool`):"), "{doc}");
        assert!(
            doc.contains("- Peer `materialized` (in `pool_nd`):"),
            "{doc}"
        );
    }

    #[test]
    fn the_recorded_statsmodels_file_matches_a_bandwidth_case() {
        let path = workspace_root().join(STATSMODELS_PATH);
        let recorded = read_statsmodels(&path).expect("the committed reference");
        assert!(recorded.iter().all(|r| r.seconds > 0.0));
        let boston = DATA_FITS
            .iter()
            .find(|f| f.file == "data/boston.csv")
            .expect("a Boston fit");
        assert!(
            recorded.iter().any(|r| r.file == boston.file
                && r.rows == boston.dims[0]
                && r.inputs == boston.inputs),
            "{recorded:?}"
        );
    }

    #[test]
    fn statsmodels_times_stand_beside_ours_on_the_same_data() {
        let json = serde_json::json!({
            "source": {"script": "peer.py", "statsmodels": "0.1", "date": "2000-01-01"},
            "data": {"file": "data/boston.csv", "n": 506},
            "estimator": "KernelReg(cv_ls)",
            "definitions": {"seconds": "best of 3"},
            "cases": [
                {"inputs": ["lstat"], "seconds": 1.0, "evaluations": 30},
                {"inputs": ["lstat", "rm"], "seconds": 2.5, "evaluations": 71},
            ],
        });
        let recorded = parse_statsmodels(&json).expect("a valid reference");
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[1].inputs, ["lstat", "rm"]);
        assert!(parse_statsmodels(&serde_json::json!({"cases": []})).is_err());

        let boston = CASES
            .iter()
            .find(|c| c.group.name == "bandwidth_nd" && c.dims == [506, 2])
            .expect("the Boston case");
        let other = CASES
            .iter()
            .find(|c| c.group.name == "bandwidth_nd" && c.dims != [506, 2])
            .expect("a case on other data");
        let mut results = Results::new();
        results.insert(boston.full_id(OURS, 1), fresh(25e6, 1));
        results.insert(other.full_id(OURS, 1), fresh(1e9, 1));
        let mut report = Report::build(CASES, &[], &results, Level::Avx512);
        report.recorded = recorded;
        let md = report.statsmodels_markdown();
        assert_eq!(
            md.lines().count(),
            3,
            "only the Boston row has a reference: {md}"
        );
        assert!(
            md.contains(
                "| bandwidth_nd | `data/boston.csv`: lstat, rm -> medv | 506x2 | 1 | 25.0 ms | \
                 2.50 s (71 CV evaluations) | 100 |"
            ),
            "{md}"
        );
        let doc = report.document(&test_machine(), "cargo xtask bench", false);
        assert!(
            doc.contains("statsmodels was not run by this bench"),
            "{doc}"
        );
        assert!(doc.contains("`peer.py` recorded"), "{doc}");
    }

    #[test]
    fn goals_set_rates_as_shares_and_runs_as_multiples() {
        let ll = CASES
            .iter()
            .find(|c| c.group.name == "local_linear" && c.dims == [2000, 200_000])
            .expect("a local linear case");
        let boot = CASES
            .iter()
            .find(|c| c.group.name == "bands_bootstrap")
            .expect("a bootstrap band case");
        let mut results = Results::new();
        // Local linear at 1 pair per ns, Nadaraya-Watson at 4: a share of 0.25, short of 1/3.
        results.insert(ll.full_id(OURS, 1), fresh(ll.work as f64, ll.work));
        results.insert(ll.full_id("nw", 1), fresh(ll.work as f64 / 4.0, ll.work));
        // The band in 2 s, the prediction in 50 ms: 40 times.
        results.insert(boot.full_id(OURS, 2), fresh(2e9, 1));
        results.insert(boot.full_id("predict", 2), fresh(50e6, 1));
        let report = Report::build(CASES, &[], &results, Level::Avx512);
        let md = report.goal_markdown(GOALS);
        assert_eq!(md.lines().count(), 4, "{md}");
        assert!(
            md.contains(
                "| local_linear | 2000x200000 | 1 | 1.00 G pairs/s | 4.00 G pairs/s `nw` | \
                 0.25 of the rate | at least 0.33 | no |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| bands_bootstrap | 2000x200000 | 2 | 2.00 s | 50.0 ms `predict` | \
                 40.0x the time | at most 5x | no |"
            ),
            "{md}"
        );
        let doc = report.document(&test_machine(), "cargo xtask bench", false);
        assert!(doc.contains("## Local fits and bands (issue 12)"), "{doc}");
        // Only the band is a whole run among the groups of this report.
        assert!(
            doc.contains("M = 10^6), whole runs (`bands_bootstrap`) their time;"),
            "{doc}"
        );
    }

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn native_quick_and_simd_are_ours_the_rest_is_criterions() {
        let args = Args::parse(&strings(&["--native", "pool", "--sample-size", "20"])).unwrap();
        assert!(args.native && !args.quick && args.simd.is_none());
        assert_eq!(args.criterion, ["pool", "--sample-size", "20"]);
        // --quick adds its flags, except one the caller gave.
        let args = Args::parse(&strings(&[
            "--quick",
            "--sample-size=20",
            "--simd",
            "avx2",
            "exp",
        ]))
        .unwrap();
        assert!(args.quick && !args.native);
        assert_eq!(args.simd, Some(Level::Avx2));
        assert_eq!(
            args.criterion,
            [
                "--warm-up-time",
                "0.2",
                "--measurement-time",
                "0.5",
                "--sample-size=20",
                "exp"
            ]
        );
        let args = Args::parse(&strings(&["--simd=baseline"])).unwrap();
        assert_eq!(args.simd, Some(Level::Baseline));
        assert!(args.criterion.is_empty());
        for bad in [
            &["--simd"][..],
            &["--simd", "sse2"],
            &["--simd="],
            &["--simd=AVX2"],
        ] {
            let err = Args::parse(&strings(bad)).unwrap_err().to_string();
            assert!(err.contains("baseline, avx2, avx512"), "{bad:?}: {err}");
        }
        // The old flag is no longer ours: it goes on to criterion, which refuses it.
        assert_eq!(
            Args::parse(&strings(&["--portable"])).unwrap().criterion,
            ["--portable"]
        );
    }

    #[test]
    fn a_cap_lowers_the_level_and_says_so() {
        // No CPU runs below the baseline, so a baseline cap is the level on every machine.
        let (level, note) = simd_of_run(Some(Level::Baseline)).unwrap();
        assert_eq!(level, Level::Baseline);
        assert!(note.starts_with("baseline: this CPU's best is "), "{note}");
        assert!(note.ends_with("capped at baseline by `--simd`"), "{note}");
        // A cap above the CPU's best changes nothing.
        let (level, _) = simd_of_run(Some(Level::Avx512)).unwrap();
        assert_eq!(level, Level::detected());

        let mut results = Results::new();
        let bmm = &CASES[0];
        results.insert(bmm.full_id(OURS, 1), fresh(1e6, bmm.work));
        results.insert(bmm.full_id(bmm.peers[0].name, 1), fresh(2e6, bmm.work));
        let report = Report::build(&CASES[..1], &[], &results, Level::Avx2);
        assert!(
            report
                .markdown()
                .contains("| bmm | 256x64x64x64 | 1 | avx2 |"),
            "{}",
            report.markdown()
        );
        let mut machine = test_machine();
        machine.simd = note;
        let doc = report.document(&machine, "cargo xtask bench", false);
        assert!(
            doc.contains("- Our kernels' instruction set: baseline: this CPU's best is"),
            "{doc}"
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29 23:59 UTC");
        assert_eq!(utc_date(4_107_542_400), "2100-03-01 00:00 UTC");
    }

    #[test]
    fn rates_keep_three_figures() {
        assert_eq!(rate(123.456), "123");
        assert_eq!(rate(12.345), "12.3");
        assert_eq!(rate(1.2345), "1.23");
    }
}
