//! `cargo xtask plots`: regenerate every figure under `docs/img/` from the chapter's seeded
//! data, by running the release `nw` binary exactly as a user would.
//!
//! Going through the binary (not the libraries) keeps xtask free of the library crates and
//! makes the documentation's figures the ones users get from the same commands.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{target_dir, workspace_root};

/// Where the figures go, relative to the workspace root.
const IMG_DIR: &str = "docs/img";
/// The data's seed: the demo's default, so `nw demo` reproduces the figures.
const SEED: &str = "0";
/// MASS `mcycle`, the real data set of exercise 4, kept with the model crate's tests.
const MCYCLE: &str = "crates/nw-model/tests/data/mcycle.csv";
/// Bandwidths drawn for exercise 3: narrower and wider than the chapter's h = 1.
const BANDWIDTHS: [&str; 2] = ["0.1", "3"];
/// A year of hourly weather at Newark airport, indexed by Unix seconds (README's tour).
const WEATHER: &str = "data/weather_ewr.csv";
/// Its first two weeks (the header and 336 hours): a year's points would hide the curve.
const WEATHER_LINES: usize = 337;
/// Boston housing (MASS), the real two- and three-input data set of the multivariate docs.
const BOSTON: &str = "data/boston.csv";
/// What `mcycle`'s columns `x` and `y` measure (MASS's `times` and `accel`).
const MCYCLE_LABELS: [&str; 2] = ["time after impact (ms)", "head acceleration (g)"];

/// Runs `cargo xtask plots`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask plots` takes no arguments, got {arg:?}");
    }
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--release", "--package", "nw-cli"])
        .status()
        .context("cannot run `cargo build`")?;
    if !status.success() {
        bail!("`cargo build --release --package nw-cli` failed ({status})");
    }
    let nw = Nw(target_dir(&root)?.join("release").join("nw"));
    let img = root.join(IMG_DIR);
    fs::create_dir_all(&img).with_context(|| format!("cannot create {}", img.display()))?;
    let scratch = target_dir(&root)?.join("xtask-plots");
    fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;

    // The chapter's six figures.
    nw.run(["demo", "--seed", SEED, "--out"], [&img])?;

    // Exercise 1: test error against training-set size, for three bandwidths.
    nw.run(
        [
            "sweep",
            "--seed",
            SEED,
            "--n-train",
            "50,500,5000,50000",
            "--bandwidth",
            "1,0.3,0.1",
            "--plot",
        ],
        [&img.join("sweep.png")],
    )?;

    // Exercise 3: the bandwidth as a hyperparameter, on the demo's data.
    let (train, test) = (scratch.join("train.csv"), scratch.join("test.csv"));
    nw.run_os(&[
        "generate".as_ref(),
        "--n-train".as_ref(),
        "50".as_ref(),
        "--seed".as_ref(),
        SEED.as_ref(),
        "--train-out".as_ref(),
        train.as_os_str(),
        "--test-out".as_ref(),
        test.as_os_str(),
    ])?;
    for h in BANDWIDTHS {
        let pred = scratch.join(format!("pred_h{h}.csv"));
        nw.run_os(&[
            "predict".as_ref(),
            "--pooling".as_ref(),
            "nonparametric".as_ref(),
            "--bandwidth".as_ref(),
            h.as_ref(),
            "--train".as_ref(),
            train.as_os_str(),
            "--query".as_ref(),
            test.as_os_str(),
            "--out".as_ref(),
            pred.as_os_str(),
        ])?;
        let title = format!("Nonparametric attention pooling (h = {h})");
        let out = img.join(format!("bandwidth_{h}.png"));
        nw.run_os(&[
            "plot".as_ref(),
            "regression".as_ref(),
            "--train".as_ref(),
            train.as_os_str(),
            "--pred".as_ref(),
            pred.as_os_str(),
            "--truth".as_ref(),
            test.as_os_str(),
            "--title".as_ref(),
            title.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ])?;
    }
    // Real data: MASS mcycle, the CV curve and the two fits it compares (exercise 4).
    let mcycle = root.join(MCYCLE);
    nw.run_os(&[
        "bandwidth".as_ref(),
        "--train".as_ref(),
        mcycle.as_os_str(),
        "--plot".as_ref(),
        img.join("mcycle_cv.png").as_os_str(),
    ])?;
    let grid = scratch.join("mcycle_grid.csv");
    // 2.4 to 57.6 ms, every 0.1 ms.
    let text: String = (0..=552)
        .map(|i| format!("{}\n", 2.4 + 0.1 * f64::from(i)))
        .collect();
    fs::write(&grid, format!("x\n{text}"))
        .with_context(|| format!("cannot write {}", grid.display()))?;
    let fit = scratch.join("mcycle_nonparametric.csv");
    nw.run_os(&[
        "predict".as_ref(),
        "--bandwidth".as_ref(),
        "auto".as_ref(),
        "--train".as_ref(),
        mcycle.as_os_str(),
        "--query".as_ref(),
        grid.as_os_str(),
        "--out".as_ref(),
        fit.as_os_str(),
    ])?;
    nw.plot_mcycle_fit(
        &mcycle,
        &fit,
        "mcycle: nonparametric, CV bandwidth",
        &img.join("mcycle_nonparametric.png"),
    )?;
    let trained = nw.json(&[
        "train".as_ref(),
        "--model".as_ref(),
        "adaptive".as_ref(),
        "--json".as_ref(),
        "--train".as_ref(),
        mcycle.as_os_str(),
    ])?;
    let param = |name: &str| -> Result<String> {
        trained[name]
            .as_f64()
            .map(|v| v.to_string())
            .with_context(|| format!("`nw train --json` gave no {name}"))
    };
    let fit = scratch.join("mcycle_adaptive.csv");
    nw.run_os(&[
        "predict".as_ref(),
        "--pooling".as_ref(),
        "adaptive".as_ref(),
        "--a".as_ref(),
        param("a")?.as_ref(),
        "--b".as_ref(),
        param("b")?.as_ref(),
        "--center".as_ref(),
        param("center")?.as_ref(),
        "--train".as_ref(),
        mcycle.as_os_str(),
        "--query".as_ref(),
        grid.as_os_str(),
        "--out".as_ref(),
        fit.as_os_str(),
    ])?;
    nw.plot_mcycle_fit(
        &mcycle,
        &fit,
        "mcycle: adaptive pooling",
        &img.join("mcycle_adaptive.png"),
    )?;
    // Local linear against Nadaraya-Watson on mcycle, each at its own CV bandwidth with its
    // 95% asymptotic band: they part at the edges, where Nadaraya-Watson's bias is.
    nw.run_os(&[
        "plot".as_ref(),
        "regression".as_ref(),
        "--train".as_ref(),
        mcycle.as_os_str(),
        "--degree".as_ref(),
        "1".as_ref(),
        "--compare-degree".as_ref(),
        "0".as_ref(),
        "--bands".as_ref(),
        "asymptotic".as_ref(),
        "--xlabel".as_ref(),
        MCYCLE_LABELS[0].as_ref(),
        "--ylabel".as_ref(),
        MCYCLE_LABELS[1].as_ref(),
        "--title".as_ref(),
        "mcycle: local linear and Nadaraya-Watson, 95% bands".as_ref(),
        "--out".as_ref(),
        img.join("mcycle_local_linear.png").as_os_str(),
    ])?;
    // The chapter's data: local linear with its 95% wild bootstrap band and the truth.
    nw.run_os(&[
        "plot".as_ref(),
        "regression".as_ref(),
        "--train".as_ref(),
        train.as_os_str(),
        "--truth".as_ref(),
        test.as_os_str(),
        "--degree".as_ref(),
        "1".as_ref(),
        "--bands".as_ref(),
        "bootstrap".as_ref(),
        "--replicates".as_ref(),
        "999".as_ref(),
        "--seed".as_ref(),
        SEED.as_ref(),
        "--title".as_ref(),
        "Local linear, CV bandwidth, 95% wild bootstrap band".as_ref(),
        "--out".as_ref(),
        img.join("chapter_bootstrap_band.png").as_os_str(),
    ])?;
    // Your own data: a time series in Unix seconds, columns chosen by name (README).
    let text =
        fs::read_to_string(root.join(WEATHER)).with_context(|| format!("cannot read {WEATHER}"))?;
    let two_weeks = scratch.join("weather_two_weeks.csv");
    let head: Vec<&str> = text.lines().take(WEATHER_LINES).collect();
    fs::write(&two_weeks, head.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", two_weeks.display()))?;
    let fit = scratch.join("weather_fit.csv");
    nw.run_os(&[
        "predict".as_ref(),
        "--x".as_ref(),
        "time_unix".as_ref(),
        "--y".as_ref(),
        "temp".as_ref(),
        "--bandwidth".as_ref(),
        "10800".as_ref(),
        "--train".as_ref(),
        two_weeks.as_os_str(),
        "--query".as_ref(),
        two_weeks.as_os_str(),
        "--out".as_ref(),
        fit.as_os_str(),
    ])?;
    nw.run_os(&[
        "plot".as_ref(),
        "regression".as_ref(),
        "--x".as_ref(),
        "time_unix".as_ref(),
        "--y".as_ref(),
        "temp".as_ref(),
        "--train".as_ref(),
        two_weeks.as_os_str(),
        "--pred".as_ref(),
        fit.as_os_str(),
        "--ylabel".as_ref(),
        "temperature (°F)".as_ref(),
        "--title".as_ref(),
        "Newark airport, January 2013: h = 3 hours".as_ref(),
        "--out".as_ref(),
        img.join("weather_ewr.png").as_os_str(),
    ])?;
    // Several inputs: median home value over lower status share and rooms, bandwidths by CV.
    let boston = root.join(BOSTON);
    nw.run_os(&[
        "plot".as_ref(),
        "surface".as_ref(),
        "--train".as_ref(),
        boston.as_os_str(),
        "--x".as_ref(),
        "lstat,rm".as_ref(),
        "--y".as_ref(),
        "medv".as_ref(),
        "--title".as_ref(),
        "Boston housing: medv over lstat and rm, bandwidths by CV".as_ref(),
        "--out".as_ref(),
        img.join("boston_surface.png").as_os_str(),
    ])?;
    nw.run_os(&[
        "plot".as_ref(),
        "partial".as_ref(),
        "--train".as_ref(),
        boston.as_os_str(),
        "--x".as_ref(),
        "lstat,rm,ptratio".as_ref(),
        "--y".as_ref(),
        "medv".as_ref(),
        "--along".as_ref(),
        "rm".as_ref(),
        "--out".as_ref(),
        img.join("boston_partial_rm.png").as_os_str(),
    ])?;
    println!("figures written to {}", img.display());
    Ok(())
}

/// The release `nw` binary.
struct Nw(PathBuf);

impl Nw {
    /// `nw plot regression` of the fit in `pred` over the points of `train` (`mcycle`, whose
    /// axes are named after what its columns measure).
    fn plot_mcycle_fit(&self, train: &Path, pred: &Path, title: &str, out: &Path) -> Result<()> {
        self.run_os(&[
            "plot".as_ref(),
            "regression".as_ref(),
            "--train".as_ref(),
            train.as_os_str(),
            "--pred".as_ref(),
            pred.as_os_str(),
            "--xlabel".as_ref(),
            MCYCLE_LABELS[0].as_ref(),
            "--ylabel".as_ref(),
            MCYCLE_LABELS[1].as_ref(),
            "--title".as_ref(),
            title.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    }

    /// Runs `nw ARGS...` and parses its standard output as JSON.
    fn json(&self, args: &[&OsStr]) -> Result<serde_json::Value> {
        let shown: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
        println!("$ nw {}", shown.join(" "));
        let out = Command::new(&self.0)
            .args(args)
            .output()
            .with_context(|| format!("cannot run {}", self.0.display()))?;
        if !out.status.success() {
            bail!(
                "`nw {}` failed ({}): {}",
                shown.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        serde_json::from_slice(&out.stdout).context("cannot parse nw's JSON")
    }

    /// Runs `nw ARGS... PATHS...`, failing on a non-zero exit.
    fn run<const A: usize, const P: usize>(
        &self,
        args: [&str; A],
        paths: [&Path; P],
    ) -> Result<()> {
        let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        all.extend(paths.iter().map(|p| p.as_os_str()));
        self.run_os(&all)
    }

    /// Runs `nw ARGS...`, failing on a non-zero exit.
    fn run_os(&self, args: &[&OsStr]) -> Result<()> {
        let shown: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
        println!("$ nw {}", shown.join(" "));
        let status = Command::new(&self.0)
            .args(args)
            .status()
            .with_context(|| format!("cannot run {}", self.0.display()))?;
        if !status.success() {
            bail!("`nw {}` failed ({status})", shown.join(" "));
        }
        Ok(())
    }
}
