//! A confidence band from `--bands` and its options, shared by `nw predict` (columns and
//! JSON) and `nw plot regression` (a shaded area), so the two build the same band.

use anyhow::Result;
use nw_model::{BandKind, BandOptions, Bias, Multipliers, NadarayaWatson, Variance};
use serde_json::{Value, json};

use crate::cli::{BandArgs, BandsArg, BiasArg, MultipliersArg, VarianceArg};

/// The band's legend text: `95% band`, `90% bootstrap band`, `95% simultaneous band`.
pub(super) fn label(args: &BandArgs) -> String {
    // Rounded so 0.95 reads 95, not 95.00000000000001.
    let percent = (args.level * 1e8).round() / 1e6;
    let kind = match (args.bands, args.simultaneous) {
        (Some(BandsArg::Bootstrap), true) => "simultaneous bootstrap ",
        (_, true) => "simultaneous (Bonferroni) ",
        (Some(BandsArg::Bootstrap), false) => "bootstrap ",
        _ => "",
    };
    format!("{percent}% {kind}band")
}

/// The band `--bands` asks for: the band, its JSON report, and its warnings.
pub(super) fn compute(
    args: &BandArgs,
    model: &NadarayaWatson,
    queries: nw_model::Inputs<'_>,
    kind: BandsArg,
) -> Result<(nw_model::Bands, Value, Vec<Value>)> {
    let bias = match args.bias {
        Some(BiasArg::Correct) => Bias::Correct,
        Some(BiasArg::Ignore) => Bias::Ignore,
        None if model.dim() == 1 => Bias::Correct,
        None => Bias::Ignore,
    };
    let options = BandOptions {
        kind: match kind {
            BandsArg::Asymptotic => BandKind::Asymptotic,
            BandsArg::Bootstrap => BandKind::Bootstrap {
                replicates: args.replicates as usize,
                seed: args.seed,
                multipliers: match args.multipliers {
                    MultipliersArg::Rademacher => Multipliers::Rademacher,
                    MultipliersArg::Mammen => Multipliers::Mammen,
                },
            },
        },
        level: args.level,
        simultaneous: args.simultaneous,
        variance: match args.variance {
            VarianceArg::Homoscedastic => Variance::Homoscedastic,
            VarianceArg::Heteroscedastic => Variance::Heteroscedastic,
            VarianceArg::Residuals => Variance::Residuals,
        },
        bias,
    };
    let band = model.bands(queries, &options)?;
    let mut warnings = Vec::new();
    for w in &band.warnings {
        match w {
            nw_model::BandWarning::BiasNotCorrected { dim } => warnings.push(super::warn(
                "bias_not_corrected",
                &format!(
                    "--bias correct centers the band on a local quadratic fit, which exists for \
                     one input only; with {dim} the band uses the model's own fit and covers \
                     its expectation, not the regression function"
                ),
            )),
        }
    }
    if !band.no_estimate.is_empty() || !band.no_variance.is_empty() {
        let fit = if band.degree == 2 && model.degree() < 2 {
            "the band's local quadratic fit (the bias correction; it needs three distinct \
             training inputs within reach: try --bias ignore or a wider --bandwidth)"
        } else {
            "the band's fit (too few distinct training inputs within the kernel's reach, or all \
             on one side)"
        };
        warnings.push(super::warn(
            "no_band",
            &format!(
                "{} of {} queries have no band; their center, se, lo and hi are NaN: {} without \
                 {fit}, {} without a residual within reach to estimate the noise from (every \
                 training row there is interpolated: try --variance homoscedastic or a wider \
                 --bandwidth)",
                band.no_estimate.len() + band.no_variance.len(),
                band.se.len(),
                band.no_estimate.len(),
                band.no_variance.len(),
            ),
        ));
    }
    if band.residual_dof < 2.0 {
        warnings.push(super::warn(
            "no_residual_freedom",
            &format!(
                "the fit leaves {:.2} degrees of freedom for the noise (n - tr H): it nearly \
                 interpolates the training rows, so no band width means much; widen --bandwidth",
                band.residual_dof
            ),
        ));
    }
    if bias == Bias::Ignore && band.warnings.is_empty() {
        warnings.push(super::warn(
            "band_covers_expectation",
            "the band ignores the smoothing bias: it covers the expectation of the fit, not \
             the regression function (with one input, --bias correct centers it on a local \
             quadratic fit)",
        ));
    }
    let report = json!({
        "kind": match kind { BandsArg::Asymptotic => "asymptotic", BandsArg::Bootstrap => "bootstrap" },
        "level": args.level,
        "simultaneous": args.simultaneous,
        "variance": match args.variance {
            VarianceArg::Homoscedastic => "homoscedastic",
            VarianceArg::Heteroscedastic => "heteroscedastic",
            VarianceArg::Residuals => "residuals",
        },
        "bias": if bias == Bias::Correct { "correct" } else { "ignore" },
        "degree": band.degree,
        "replicates": (kind == BandsArg::Bootstrap).then_some(args.replicates),
        "seed": (kind == BandsArg::Bootstrap).then_some(args.seed),
        "critical": if band.critical.is_finite() { json!(band.critical) } else { Value::Null },
        "residual_variance": band.residual_variance,
        "center": band.center,
        "se": band.se,
        "lo": band.lo,
        "hi": band.hi,
    });
    Ok((band, report, warnings))
}
