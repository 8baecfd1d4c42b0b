//! `nw bandwidth`: choose a bandwidth by leave-one-out cross-validation or a rule of thumb.

use anyhow::{Result, bail};
use nw_data::Outputs;
use nw_model::bandwidth::{self, CvPoint, Method};
use nw_tensor::Par;
use nw_viz::{Figure as _, Series, SeriesPlot};
use serde_json::json;

use super::{
    check_figure_path, check_paths, f32_json, json_text, number_text, report_warnings,
    select_bandwidth,
};
use crate::cli::{BandwidthArgs, MethodArg};

/// Chooses, then draws the CV curve if asked and reports (text or JSON, with any warnings):
/// both or neither.
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
    if args.cv && method == Method::Cv {
        bail!("--cv adds CV to a rule of thumb; --method cv reports it always");
    }
    let kind = args.kernel.kind();
    let data = super::read_training(&args.train, &args.read)?;
    // A rule of thumb is O(n): its CV (a pass over every pair within reach) only on request.
    let (h, cv, found) = match method {
        Method::Cv => {
            let found = select_bandwidth(kind, data.x(), data.y(), args.max_isolated)?;
            (found.h, Some((found.cv, found.isolated)), Some(found))
        }
        Method::Silverman | Method::Scott => {
            let h = if method == Method::Silverman {
                bandwidth::silverman(data.x(), kind)?
            } else {
                bandwidth::scott(data.x(), kind)?
            };
            let cv = if args.cv {
                let prepared = nw_model::loo::prepare(data.x(), data.y())?;
                let progress = crate::progress::Progress::new("cross-validation", None);
                let p = bandwidth::cv(kind, &prepared, h, Par::Rayon)?;
                progress.finish();
                Some((p.cv, p.isolated))
            } else {
                None
            };
            (h, cv, None)
        }
    };
    let mut warnings = found
        .as_ref()
        .map_or(json!([]), |f| report_warnings(&f.warnings));
    if let (Some(w), Some(list)) = (
        super::resolution_warning(data.rounding, h),
        warnings.as_array_mut(),
    ) {
        list.push(w);
    }
    let curve: &[CvPoint] = found.as_ref().map_or(&[], |f| &f.curve);

    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        // Only the defined part of the curve can be drawn on a log axis.
        let (hs, cvs): (Vec<f32>, Vec<f32>) = curve
            .iter()
            .filter(|p| p.cv.is_finite() && p.cv > 0.0)
            .map(|p| (p.h, p.cv as f32))
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
    // CV is +inf where every example is isolated: JSON says null there.
    let cv_json = |c: f64| if c.is_finite() { json!(c) } else { json!(null) };
    if args.json {
        let curve: Vec<_> = curve
            .iter()
            .map(|p| json!([f32_json(p.h), cv_json(p.cv), p.isolated]))
            .collect();
        let mut report = json!({
            "method": method.name(),
            "kernel": kind.name(),
            "n_train": data.len(),
            "columns": data.json(),
            "bandwidth": f32_json(h),
            "cv": cv.map_or(json!(null), |c| cv_json(c.0)),
            "isolated": cv.map_or(json!(null), |c| json!(c.1)),
        });
        let fields = report.as_object_mut().expect("a JSON object");
        // The same fields for every method: a rule of thumb searched nothing.
        fields.insert(
            "searched".into(),
            found.as_ref().map_or(json!(null), |f| {
                json!([f32_json(f.searched.0), f32_json(f.searched.1)])
            }),
        );
        fields.insert("max_isolated".into(), json!(args.max_isolated));
        fields.insert("curve".into(), json!(curve));
        fields.insert("warnings".into(), warnings);
        outputs.stage_stdout(json_text(&report)?.as_bytes());
    } else {
        let mut text = format!(
            "bandwidth {} ({} kernel, {}{})\n",
            number_text(h),
            kind.name(),
            method.name(),
            match &found {
                Some(f) => format!(
                    ", {} bandwidths evaluated from {} to {}",
                    f.curve.len(),
                    number_text(f.searched.0),
                    number_text(f.searched.1)
                ),
                None => String::new(),
            }
        );
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
                        data.len()
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
