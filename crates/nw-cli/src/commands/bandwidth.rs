//! `nw bandwidth`: choose a bandwidth by leave-one-out cross-validation or a rule of thumb.

use anyhow::{Result, bail};
use nw_data::{Outputs, read_dataset};
use nw_model::bandwidth::{self, Method, Search};
use nw_tensor::Par;
use nw_viz::{Figure as _, Series, SeriesPlot};
use serde_json::json;

use super::{check_figure_path, check_paths, f32_json, json_text};
use crate::cli::{BandwidthArgs, MethodArg};

/// Chooses, then draws the CV curve if asked and reports (text or JSON): both or neither.
pub fn run(args: BandwidthArgs) -> Result<()> {
    check_paths(
        &[("--plot", args.plot.as_deref())],
        &[("--train", Some(&args.train))],
    )?;
    let method = match args.method {
        MethodArg::Cv => Method::Cv,
        MethodArg::Silverman => Method::Silverman,
        MethodArg::Scott => Method::Scott,
    };
    if let Some(path) = &args.plot {
        if method != Method::Cv {
            bail!("--plot draws the cross-validation curve: it needs --method cv");
        }
        check_figure_path(path)?;
    }
    let kind = args.kernel.kind();
    let data = read_dataset(&args.train)?;
    let (h, cv, curve) = match method {
        Method::Cv => {
            let found =
                bandwidth::select(kind, data.x(), data.y(), &Search::default(), Par::Rayon)?;
            (found.h, found.cv, found.curve)
        }
        Method::Silverman | Method::Scott => {
            let h = if method == Method::Silverman {
                bandwidth::silverman(data.x(), kind)?
            } else {
                bandwidth::scott(data.x(), kind)?
            };
            let prepared = nw_model::loo::prepare(data.x(), data.y())?;
            (
                h,
                bandwidth::cv(kind, &prepared, h, Par::Rayon)?,
                Vec::new(),
            )
        }
    };

    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        // Only the defined part of the curve can be drawn on a log axis.
        let (hs, cvs): (Vec<f32>, Vec<f32>) = curve
            .iter()
            .filter(|(_, c)| c.is_finite() && *c > 0.0)
            .map(|&(h, c)| (h, c as f32))
            .unzip();
        let label = format!("chosen h = {h:.4}");
        let title = format!("Leave-one-out CV, {} kernel", kind.name());
        let plot = SeriesPlot::new("bandwidth h", "CV(h)")
            .series(Series::new("CV", &hs, &cvs))
            .mark_x(h, &label)
            .log_x(true)
            .log_y(true)
            .title(&title);
        outputs.stage(path, &plot.render_for(path)?)?;
    }
    // CV is +inf where a compact kernel leaves some example alone: JSON says null there.
    let cv_json = |c: f64| if c.is_finite() { json!(c) } else { json!(null) };
    if args.json {
        let curve: Vec<_> = curve
            .iter()
            .map(|&(h, c)| json!([f32_json(h), cv_json(c)]))
            .collect();
        let report = json!({
            "method": method.name(),
            "kernel": kind.name(),
            "n_train": data.len(),
            "bandwidth": f32_json(h),
            "cv": cv_json(cv),
            "curve": curve,
        });
        outputs.stage_stdout(json_text(&report)?.as_bytes());
    } else {
        let cv_text = if cv.is_finite() {
            format!("{cv:.6}")
        } else {
            "undefined (some example has no other within the kernel's reach)".to_string()
        };
        let text = format!(
            "bandwidth {h} ({} kernel, {}{})\nleave-one-out CV {cv_text}\n",
            kind.name(),
            method.name(),
            if method == Method::Cv {
                format!(", {} bandwidths evaluated", curve.len())
            } else {
                String::new()
            }
        );
        outputs.stage_stdout(text.as_bytes());
    }
    outputs.commit()?;
    if let Some(path) = &args.plot {
        note!("wrote the CV curve to {}", path.display());
    }
    Ok(())
}
