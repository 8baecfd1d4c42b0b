//! `nw bandwidth`: choose bandwidths by leave-one-out cross-validation or a rule of thumb,
//! for one input column or several.

use anyhow::{Result, bail};
use nw_data::Outputs;
use nw_model::bandwidth::{CvPoint, Search};
use nw_model::{Bandwidth, NadarayaWatson};
use nw_viz::{Figure as _, Series, SeriesPlot};
use serde_json::json;

use super::{
    bandwidths_json, check_figure_path, check_paths, f32_json, fit_model, json_text,
    model_resolution_warnings, number_text, report_fit_warnings,
};
use crate::cli::{BandwidthArgs, MethodArg};

/// Chooses, then draws the CV curve if asked and reports (text or JSON, with any warnings):
/// both or neither.
pub fn run(args: BandwidthArgs) -> Result<()> {
    check_paths(
        &[("--plot", args.plot.as_deref())],
        &[("--train", Some(&args.train))],
    )?;
    let choice = match args.method {
        MethodArg::Cv => Bandwidth::Cv,
        MethodArg::Silverman => Bandwidth::Silverman,
        MethodArg::Scott => Bandwidth::Scott,
        MethodArg::Aic => Bandwidth::Aic,
    };
    let method = choice.clone();
    let searched = matches!(method, Bandwidth::Cv | Bandwidth::Aic);
    if let Some(path) = &args.plot {
        if !searched {
            bail!("--plot draws the criterion's curve: it needs --method cv or aic");
        }
        if args.read.x.len() > 1 {
            bail!(
                "--plot draws the CV curve of one input; for several, draw the fit with `nw \
                 plot surface` or `nw plot partial`"
            );
        }
        check_figure_path(path)?;
    }
    if args.cv && method == Bandwidth::Cv {
        bail!("--cv adds CV to a rule of thumb; --method cv reports it always");
    }
    let kind = args.kernel.kind();
    let table = super::read_table(&args.train, &args.read)?;
    let settings = NadarayaWatson::params()
        .kernel(kind)
        .degree(usize::from(args.degree))
        .bandwidth(choice)
        .algorithm(args.algorithm.kind())
        .search(Search {
            max_isolated: args.max_isolated,
            ..Default::default()
        });
    let model = fit_model(&table, &settings)?;
    let names = table.name_refs();
    let h = model.bandwidths().to_vec();
    let chosen = model.chosen();
    // A rule of thumb is O(n): its CV (a pass over every pair within reach) only on request.
    let cv = match (&method, args.cv) {
        (Bandwidth::Cv, _) => Some((chosen.cv.unwrap_or(f64::NAN), chosen.isolated)),
        (_, true) => {
            let progress = crate::progress::Progress::new("cross-validation", None);
            let loo = model.cross_validate(&h)?;
            progress.finish();
            Some((loo.cv, loo.isolated))
        }
        (_, false) => None,
    };
    let mut warnings = report_fit_warnings(&model, &names);
    warnings.extend(model_resolution_warnings(&model, &h, &names, &[]));
    let curve: &[CvPoint] = &chosen.curve;

    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        // Only the defined part of the curve can be drawn on a log axis.
        let (hs, cvs): (Vec<f32>, Vec<f32>) = curve
            .iter()
            .filter(|p| p.cv.is_finite() && (p.cv > 0.0 || method == Bandwidth::Aic))
            .map(|p| (p.h, p.cv as f32))
            .unzip();
        let label = format!("chosen h = {:.4}", h[0] as f32);
        let aic = method == Bandwidth::Aic;
        let title = format!(
            "{}, {} kernel{}",
            if aic {
                "Corrected AIC"
            } else {
                "Leave-one-out CV"
            },
            kind.name(),
            degree_text(model.degree()),
        );
        let plot = SeriesPlot::new("bandwidth h", if aic { "AIC(h)" } else { "CV(h)" })
            .series(Series::new(if aic { "AIC" } else { "CV" }, &hs, &cvs))
            .mark_x(h[0] as f32, &label)
            .log_x(true)
            .log_y(!aic)
            .title(&title);
        outputs.stage(path, &plot.render_for(path)?)?;
    }
    // CV is +inf where every example is isolated: JSON says null there.
    let cv_json = |c: f64| if c.is_finite() { json!(c) } else { json!(null) };
    let one = model.dim() == 1;
    if args.json {
        let curve: Vec<_> = curve
            .iter()
            .map(|p| json!([f32_json(p.h), cv_json(p.cv), p.isolated]))
            .collect();
        let mut report = json!({
            "method": method.name(),
            "kernel": kind.name(),
            "degree": model.degree(),
            "algorithm": model.algorithm().name(),
            "n_train": table.len(),
            "columns": table.json(&model),
        });
        let fields = report.as_object_mut().expect("a JSON object");
        if one {
            fields.insert("bandwidth".into(), f32_json(h[0] as f32));
        }
        fields.insert("bandwidths".into(), bandwidths_json(&model));
        fields.insert("cv".into(), cv.map_or(json!(null), |c| cv_json(c.0)));
        fields.insert("isolated".into(), cv.map_or(json!(null), |c| json!(c.1)));
        fields.insert("aic".into(), chosen.aic.map_or(json!(null), cv_json));
        // R^2, AIC and tr(H): one pass at the training rows, the size of one CV evaluation.
        let stats = model.fit_stats()?;
        fields.insert("fit".into(), super::fit_stats_json(&stats));
        fields.insert("evaluations".into(), json!(chosen.evaluations));
        // The same fields for every method: a rule of thumb searched nothing.
        let range = |&(lo, hi): &(f64, f64)| {
            if one {
                json!([f32_json(lo as f32), f32_json(hi as f32)])
            } else {
                json!([lo, hi])
            }
        };
        fields.insert(
            "searched".into(),
            match (&chosen.searched[..], searched) {
                ([only], true) if one => range(only),
                (all, true) => all.iter().map(range).collect(),
                _ => json!(null),
            },
        );
        fields.insert("max_isolated".into(), json!(args.max_isolated));
        fields.insert("curve".into(), json!(curve));
        fields.insert("warnings".into(), json!(warnings));
        outputs.stage_stdout(json_text(&report)?.as_bytes());
    } else {
        let values = if one {
            number_text(h[0] as f32)
        } else {
            names
                .iter()
                .zip(&h)
                .map(|(n, h)| format!("{n} {}", number_text(*h as f32)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let criterion = if method == Bandwidth::Aic {
            "AIC"
        } else {
            "CV"
        };
        let how = if !searched {
            String::new()
        } else if one {
            format!(
                ", {} bandwidths evaluated from {} to {}",
                chosen.evaluations,
                number_text(chosen.searched[0].0 as f32),
                number_text(chosen.searched[0].1 as f32)
            )
        } else {
            format!(
                ", {} {criterion} evaluations from {} starts",
                chosen.evaluations,
                nw_model::estimator::STARTS.len()
            )
        };
        let mut text = format!(
            "bandwidth{} {values} ({} kernel{}, {}{how})\n",
            if one { "" } else { "s" },
            kind.name(),
            degree_text(model.degree()),
            method.name(),
        );
        if let Some(a) = chosen.aic {
            text += &format!("corrected AIC {a:.6}\n");
        }
        match cv {
            Some((c, isolated)) => {
                let c = if c.is_finite() {
                    // Six decimals, as before, unless that spells out dozens of digits.
                    if (1e-3..1e12).contains(&c.abs()) || c == 0.0 {
                        format!("{c:.6}")
                    } else {
                        format!("{c:.6e}")
                    }
                } else {
                    "undefined (no example has another within the kernel's reach)".to_string()
                };
                text += &format!("leave-one-out CV {c}");
                if isolated > 0 {
                    text += &format!(
                        " ({isolated} of {} examples with no other within reach left out)",
                        table.len()
                    );
                }
                text.push('\n');
            }
            None => text += "leave-one-out CV not computed (add --cv)\n",
        }
        outputs.stage_stdout(text.as_bytes());
    }
    outputs.commit()?;
    if let Some(path) = &args.plot {
        note!("wrote the CV curve to {}", path.display());
    }
    Ok(())
}

/// `, local linear` after a kernel's name, or nothing for Nadaraya-Watson.
pub(super) fn degree_text(degree: usize) -> &'static str {
    match degree {
        1 => ", local linear",
        2 => ", local quadratic",
        _ => "",
    }
}
