//! How often the confidence bands cover the true function (issue 12): the chapter's data
//! (`y = 2 sin(x) + x^0.8 + eps`, `eps ~ N(0, 0.5^2)`, `x` uniform on [0, 5)) with 200
//! training points, one data set per seed, each fitted with its own CV bandwidth at degree 0
//! and 1; 95% bands at 50 interior queries for every band configuration; a Markdown table of
//! pointwise and all-queries coverage and mean width. See `docs/coverage.md`.
//!
//! `cargo run --release -p nw-model --example coverage [datasets]` (2000 by default).
//!
//! Stdout is the same bits on every run and thread count: each data set is simulated, fitted
//! and banded on its own (the library's `Par::Rayon` gives the same bits on any thread
//! count), the data sets run in parallel but their results are combined in seed order. The
//! timing goes to stderr so that stdout can be diffed between runs.

// An example's whole job is to report.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::time::{Duration, Instant};

use nw_data::Synthetic;
use nw_data::synthetic::NOISE_STD;
use nw_model::estimator::normal_quantile;
use nw_model::{BandKind, BandOptions, Bias, Inputs, Multipliers, NadarayaWatson, Variance};
use rayon::prelude::*;

/// Training points per data set.
const N_TRAIN: usize = 200;
/// Data sets (seeds `0..DATASETS`) unless the first argument says otherwise.
const DATASETS: u64 = 2000;
/// Queries, equally spaced in `[Q_LO, Q_HI]`.
const QUERIES: usize = 50;
/// The queries stay a couple of bandwidths inside the data's [0, 5), away from the boundary
/// bias and from `x^0.8`'s unbounded derivatives at 0 (see `docs/coverage.md`).
const Q_LO: f64 = 0.5;
/// The last query.
const Q_HI: f64 = 4.5;
/// Nominal coverage.
const LEVEL: f64 = 0.95;
/// Bootstrap replicates.
const REPLICATES: usize = 999;
/// The model degrees compared.
const DEGREES: [usize; 2] = [0, 1];

/// How a configuration's band is found (the bootstrap's seed is the data set's).
#[derive(Clone, Copy)]
enum Kind {
    Asymptotic,
    Bootstrap(Multipliers),
}

/// One row of the table: a band configuration at one model degree.
#[derive(Clone, Copy)]
struct Config {
    degree: usize,
    kind: Kind,
    bias: Bias,
    variance: Variance,
    simultaneous: bool,
}

impl Config {
    /// The band options for the data set drawn from `seed`.
    fn options(&self, seed: u64) -> BandOptions {
        BandOptions {
            kind: match self.kind {
                Kind::Asymptotic => BandKind::Asymptotic,
                Kind::Bootstrap(multipliers) => BandKind::Bootstrap {
                    replicates: REPLICATES,
                    seed,
                    multipliers,
                },
            },
            level: LEVEL,
            simultaneous: self.simultaneous,
            variance: self.variance,
            bias: self.bias,
        }
    }

    /// The asymptotic pointwise bias-corrected band with variance `variance`.
    fn is_asymptotic_corrected(&self, variance: Variance) -> bool {
        matches!(self.kind, Kind::Asymptotic)
            && !self.simultaneous
            && self.variance == variance
            && self.bias == Bias::Correct
    }

    /// The CLI default: asymptotic, pointwise, heteroscedastic, bias-corrected.
    fn is_default(&self) -> bool {
        self.is_asymptotic_corrected(Variance::Heteroscedastic)
    }

    /// The table's cells naming the configuration.
    fn cells(&self) -> [String; 6] {
        let (band, multipliers, variance) = match self.kind {
            Kind::Asymptotic => (
                if self.simultaneous {
                    "asymptotic, Bonferroni"
                } else {
                    "asymptotic"
                },
                "-",
                variance_name(self.variance),
            ),
            Kind::Bootstrap(m) => (
                if self.simultaneous {
                    "bootstrap, sup-t"
                } else {
                    "bootstrap"
                },
                match m {
                    Multipliers::Rademacher => "Rademacher",
                    Multipliers::Mammen => "Mammen",
                },
                variance_name(self.variance),
            ),
        };
        [
            self.degree.to_string(),
            band.to_string(),
            if self.simultaneous {
                "simultaneous"
            } else {
                "pointwise"
            }
            .to_string(),
            match self.bias {
                Bias::Correct => "correct",
                Bias::Ignore => "ignore",
            }
            .to_string(),
            variance.to_string(),
            multipliers.to_string(),
        ]
    }
}

/// A variance model's short name in the table.
fn variance_name(v: Variance) -> &'static str {
    match v {
        Variance::Heteroscedastic => "hetero",
        Variance::Homoscedastic => "homo",
        Variance::Residuals => "residuals",
    }
}

/// Every configuration of the issue, by degree: the asymptotic grid of bias x variance
/// (pointwise) and the default's Bonferroni band, then the bootstrap grid of multipliers x
/// bias x pointwise/sup-t.
fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    for degree in DEGREES {
        for bias in [Bias::Correct, Bias::Ignore] {
            for variance in [Variance::Heteroscedastic, Variance::Homoscedastic] {
                out.push(Config {
                    degree,
                    kind: Kind::Asymptotic,
                    bias,
                    variance,
                    simultaneous: false,
                });
            }
        }
        out.push(Config {
            degree,
            kind: Kind::Asymptotic,
            bias: Bias::Correct,
            variance: Variance::Heteroscedastic,
            simultaneous: true,
        });
        for multipliers in [Multipliers::Rademacher, Multipliers::Mammen] {
            for bias in [Bias::Correct, Bias::Ignore] {
                for simultaneous in [false, true] {
                    out.push(Config {
                        degree,
                        kind: Kind::Bootstrap(multipliers),
                        bias,
                        variance: Variance::Heteroscedastic,
                        simultaneous,
                    });
                }
            }
            // The classical wild bootstrap of the residuals themselves, bias-corrected.
            for simultaneous in [false, true] {
                out.push(Config {
                    degree,
                    kind: Kind::Bootstrap(multipliers),
                    bias: Bias::Correct,
                    variance: Variance::Residuals,
                    simultaneous,
                });
            }
        }
    }
    out
}

/// One configuration's band on one data set.
#[derive(Clone, Copy, Default)]
struct Hit {
    /// Queries whose band holds the truth.
    covered: usize,
    /// Sum of `hi - lo` over the queries with a band.
    width: f64,
    /// Queries without a band (counted as not covered).
    missing: usize,
}

/// Why the default band misses, per degree and data set.
#[derive(Clone, Copy, Default)]
struct Oracle {
    /// Queries covered by the bias-corrected band with the true noise sd: `centre -/+ z
    /// sigma sqrt(sum_i l_i^2)`, the exact sd of the centre given the design and the
    /// bandwidth, found from the homoscedastic band's `se` by its `residual_variance`.
    covered: usize,
    /// Sum over queries of the default's `se` over that exact sd.
    se_ratio: f64,
    /// Queries covered by the default band with its `se` times `sqrt(n / (n - tr H))`, the
    /// degrees-of-freedom correction the homoscedastic variance makes (`n - tr H` is found as
    /// `RSS / residual_variance`, `RSS` from the model's predictions at its training inputs).
    dof_covered: usize,
    /// Whether the band with the true noise sd and Bonferroni's `z` holds the truth at every
    /// query.
    all_bonferroni: bool,
}

/// A data set's failure, from nw-data or nw-model.
type RunError = Box<dyn Error + Send + Sync>;

/// What one data set gives.
struct Run {
    /// The CV bandwidth per degree in [`DEGREES`].
    bandwidths: Vec<f64>,
    /// Per configuration, in [`configs`]' order.
    hits: Vec<Hit>,
    /// Per degree in [`DEGREES`].
    oracle: Vec<Oracle>,
    /// Time fitting, and in asymptotic and bootstrap bands (this data set's thread).
    fit: Duration,
    asymptotic: Duration,
    bootstrap: Duration,
}

/// Simulates data set `seed`, fits it at each degree and bands it in every configuration.
fn run(seed: u64, configs: &[Config], queries: &[f64], truth: &[f64]) -> Result<Run, RunError> {
    let data = Synthetic::new(N_TRAIN, seed).train()?;
    let x: Vec<f64> = data.x().iter().map(|&v| f64::from(v)).collect();
    let y: Vec<f64> = data.y().iter().map(|&v| f64::from(v)).collect();
    let mut out = Run {
        bandwidths: Vec::new(),
        hits: Vec::with_capacity(configs.len()),
        oracle: Vec::new(),
        fit: Duration::ZERO,
        asymptotic: Duration::ZERO,
        bootstrap: Duration::ZERO,
    };
    for degree in DEGREES {
        let t = Instant::now();
        let model = NadarayaWatson::params()
            .degree(degree)
            .fit(Inputs::column(&x), &y)?;
        out.fit += t.elapsed();
        out.bandwidths.push(model.bandwidths()[0]);
        let fit = model.predict(Inputs::column(&x))?.y;
        let rss: f64 = y.iter().zip(&fit).map(|(y, f)| (y - f).powi(2)).sum();
        let mut default_band = (Vec::new(), Vec::new());
        let mut oracle = Oracle::default();
        for config in configs.iter().filter(|c| c.degree == degree) {
            let t = Instant::now();
            let bands = model.bands(Inputs::column(queries), &config.options(seed))?;
            match config.kind {
                Kind::Asymptotic => out.asymptotic += t.elapsed(),
                Kind::Bootstrap(_) => out.bootstrap += t.elapsed(),
            }
            let mut hit = Hit::default();
            for ((&lo, &hi), &m) in bands.lo.iter().zip(&bands.hi).zip(truth) {
                if lo.is_finite() && hi.is_finite() {
                    hit.width += hi - lo;
                    hit.covered += usize::from(lo <= m && m <= hi);
                } else {
                    hit.missing += 1;
                }
            }
            out.hits.push(hit);
            if config.is_default() {
                default_band = (bands.center.clone(), bands.se.clone());
            }
            if config.is_asymptotic_corrected(Variance::Homoscedastic) {
                let scale = f64::from(NOISE_STD) / bands.residual_variance.sqrt();
                let dof = (N_TRAIN as f64 / (rss / bands.residual_variance)).sqrt();
                let z = bands.critical;
                let z_all = -normal_quantile((1.0 - LEVEL) / (2.0 * QUERIES as f64));
                let mut all = true;
                for (i, (&c, &se)) in bands.center.iter().zip(&bands.se).enumerate() {
                    let exact = se * scale;
                    oracle.covered += usize::from((c - truth[i]).abs() <= z * exact);
                    all &= (c - truth[i]).abs() <= z_all * exact;
                    let (c, se) = (default_band.0[i], default_band.1[i]);
                    oracle.se_ratio += se / exact;
                    oracle.dof_covered += usize::from((c - truth[i]).abs() <= z * se * dof);
                }
                oracle.all_bonferroni = all;
            }
        }
        out.oracle.push(oracle);
    }
    Ok(out)
}

/// Mean and standard error of the mean.
fn mean_se(values: impl ExactSizeIterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

fn main() -> Result<(), RunError> {
    let start = Instant::now();
    let datasets: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => DATASETS,
    };
    let command = if datasets == DATASETS {
        "cargo run --release -p nw-model --example coverage".to_string()
    } else {
        format!("cargo run --release -p nw-model --example coverage {datasets}")
    };
    // The queries and the truth in f32, as the kernels and `nw_data::truth` take them, so that
    // the truth is exactly the function at the point the model answers for.
    let queries: Vec<f64> = (0..QUERIES)
        .map(|i| {
            let q = Q_LO + (Q_HI - Q_LO) * i as f64 / (QUERIES - 1) as f64;
            f64::from(q as f32)
        })
        .collect();
    let truth: Vec<f64> = queries
        .iter()
        .map(|&q| f64::from(nw_data::truth(q as f32)))
        .collect();
    let configs = configs();
    let runs: Vec<Run> = (0..datasets)
        .into_par_iter()
        .map(|seed| run(seed, &configs, &queries, &truth))
        .collect::<Result<_, RunError>>()?;

    println!("## Coverage of the 95% confidence bands\n");
    println!(
        "{datasets} data sets (seeds 0..{}) of the chapter's `y = 2 sin(x) + x^0.8 + eps`, \
         eps ~ N(0, {}^2), x ~ U[0, 5), n = {N_TRAIN}; Gaussian kernel, CV bandwidth per data \
         set; {QUERIES} queries equally spaced in [{Q_LO}, {Q_HI}]; bootstrap B = {REPLICATES}, \
         seed = the data set's.\n",
        datasets - 1,
        NOISE_STD,
    );
    for (k, degree) in DEGREES.iter().enumerate() {
        let mut h: Vec<f64> = runs.iter().map(|r| r.bandwidths[k]).collect();
        h.sort_by(f64::total_cmp);
        let (mean, _) = mean_se(h.iter().copied());
        println!(
            "CV bandwidth, degree {degree}: mean {mean:.3}, median {:.3}, 5%-95% {:.3}-{:.3}, \
             range {:.3}-{:.3}",
            h[h.len() / 2],
            h[h.len() * 5 / 100],
            h[(h.len() * 95 / 100).min(h.len() - 1)],
            h[0],
            h[h.len() - 1],
        );
    }
    println!(
        "\nPointwise: the share of (data set, query) pairs whose band holds the truth. All \
         {QUERIES}: the share of data sets whose band holds it at every query (the target of a \
         simultaneous band). `± ` is the Monte Carlo standard error (pointwise: from the per \
         data set shares, which are correlated within a data set). Width: the mean of hi - lo. \
         * marks the CLI default.\n"
    );
    println!(
        "| degree | band | for | bias | variance | multipliers | pointwise coverage | \
         all {QUERIES} covered | mean width | no band |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let d = runs.len() as f64;
    for (c, config) in configs.iter().enumerate() {
        let (point, point_se) = mean_se(
            runs.iter()
                .map(|r| r.hits[c].covered as f64 / QUERIES as f64),
        );
        let all = runs.iter().filter(|r| r.hits[c].covered == QUERIES).count() as f64 / d;
        let all_se = (all * (1.0 - all) / d).sqrt();
        let banded: usize = runs.iter().map(|r| QUERIES - r.hits[c].missing).sum();
        let width = runs.iter().map(|r| r.hits[c].width).sum::<f64>() / banded.max(1) as f64;
        let missing: usize = runs.iter().map(|r| r.hits[c].missing).sum();
        let mut cells = config.cells();
        if config.is_default() {
            cells[1].push_str(" *");
        }
        println!(
            "| {} | {point:.3} ± {point_se:.3} | {all:.3} ± {all_se:.3} | {width:.3} | {missing} |",
            cells.join(" | "),
        );
    }
    println!(
        "\nWhy the default misses, per degree: its pointwise coverage; the coverage of the same \
         bias-corrected band with the true sigma = {NOISE_STD} (`se` = sigma sqrt(sum l_i^2), \
         exact given the design and the bandwidth: what is left is bias and the bandwidth's \
         own variability); the mean of the default's `se` over that exact sd; the default with \
         its `se` times sqrt(n / (n - tr H)), the correction the homoscedastic variance makes; \
         the share of data sets where the true-sigma band with Bonferroni's z holds the truth \
         at all {QUERIES} queries; the default's coverage on the data sets whose CV bandwidth is below and above the \
         median.\n"
    );
    println!(
        "| degree | default | true sigma | se / exact sd | se x sqrt(n / (n - tr H)) | true \
         sigma, Bonferroni, all {QUERIES} | h below median | h above median |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (k, degree) in DEGREES.iter().enumerate() {
        let c = configs
            .iter()
            .position(|c| c.degree == *degree && c.is_default())
            .ok_or("no default configuration")?;
        let share = |runs: &[&Run], f: &dyn Fn(&Run) -> f64| {
            runs.iter().map(|r| f(r)).sum::<f64>() / (runs.len() * QUERIES).max(1) as f64
        };
        let all: Vec<&Run> = runs.iter().collect();
        let mut h: Vec<f64> = runs.iter().map(|r| r.bandwidths[k]).collect();
        h.sort_by(f64::total_cmp);
        let median = h[h.len() / 2];
        let (below, above): (Vec<&Run>, Vec<&Run>) =
            runs.iter().partition(|r| r.bandwidths[k] < median);
        let covered = |r: &Run| r.hits[c].covered as f64;
        println!(
            "| {degree} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            share(&all, &covered),
            share(&all, &|r| r.oracle[k].covered as f64),
            share(&all, &|r| r.oracle[k].se_ratio),
            share(&all, &|r| r.oracle[k].dof_covered as f64),
            runs.iter().filter(|r| r.oracle[k].all_bonferroni).count() as f64 / d,
            share(&below, &covered),
            share(&above, &covered),
        );
    }
    println!("\nMade by `{command}`.");

    let sum = |f: fn(&Run) -> Duration| runs.iter().map(f).sum::<Duration>().as_secs_f64();
    eprintln!(
        "wall time {:.1} s on {} threads; summed over data sets: fits {:.1} s, asymptotic \
         bands {:.1} s, bootstrap bands {:.1} s",
        start.elapsed().as_secs_f64(),
        rayon::current_num_threads(),
        sum(|r| r.fit),
        sum(|r| r.asymptotic),
        sum(|r| r.bootstrap),
    );
    Ok(())
}
