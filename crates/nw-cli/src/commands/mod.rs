//! One module per subcommand, and the few helpers they share.

mod band;
mod bandwidth;
mod demo;
mod generate;
mod info;
mod plot;
mod predict;
mod sweep;
mod train;

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use nw_data::{ColumnRef, Origin, Select};

use crate::cli::{Command, ReadArgs};

/// Runs one subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Train(args) => train::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Bandwidth(args) => bandwidth::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Info(args) => info::run(args),
    }
}

/// Refuses, before any work, outputs that are one file and outputs that would replace an
/// input (by what the paths name, not how they are spelled). Each entry is the argument as
/// typed and its path, if given.
fn check_paths(outputs: &[(&str, Option<&Path>)], inputs: &[(&str, Option<&Path>)]) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|&(name, path)| Some((name, path?)))
        .collect();
    let inputs: Vec<(&str, &Path)> = inputs
        .iter()
        .filter_map(|&(name, path)| Some((name, path?)))
        .collect();
    nw_data::check_targets(&outputs, &inputs)?;
    Ok(())
}

/// `value` as pretty JSON text, one line at the end.
fn json_text(value: &serde_json::Value) -> Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(value)?))
}

/// An f32 as the JSON number with its shortest decimal (`0.1`, not `0.10000000149011612`),
/// which reads back as the same f32.
fn f32_json(x: f32) -> serde_json::Value {
    // `{}` prints the shortest text that round-trips the f32; as f64 it prints the same digits.
    let shortest: f64 = x.to_string().parse().unwrap_or(f64::NAN);
    serde_json::Number::from_f64(shortest).map_or(serde_json::Value::Null, Into::into)
}

/// A coordinate the kernels computed, in the file's units, as text: the f32's shortest text
/// where nothing was shifted (the chapter's numbers), else the f64 with the origin added.
fn coordinate_text(origin: Origin, v: f32) -> String {
    if origin.is_zero() {
        v.to_string()
    } else {
        origin.back(v).to_string()
    }
}

/// [`coordinate_text`] as a JSON number.
fn coordinate_json(origin: Origin, v: f32) -> serde_json::Value {
    if origin.is_zero() {
        f32_json(v)
    } else {
        serde_json::json!(origin.back(v))
    }
}

/// An f32 as the shortest text that gives it back, in scientific notation where plain digits
/// would spell out dozens of zeros (`2.6756574e-37`, not `0.000...00026756574`).
fn number_text(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// [`f32_json`] for each value.
fn f32s_json(xs: &[f32]) -> serde_json::Value {
    xs.iter().copied().map(f32_json).collect()
}

/// Refuses a result with a NaN or infinity in it: such a number is never printed as if it
/// were an answer.
fn check_finite(what: &str, values: &[f32]) -> Result<()> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!(
            "{what} {} is {}, not a number that can be reported",
            i + 1,
            values[i]
        );
    }
    Ok(())
}

/// A training set as read: the file's f64 coordinates measured from an origin, as the f32
/// the kernels take (see [`nw_data::origin`]).
struct Training {
    /// The inputs, measured from `origin_x`.
    x: Vec<f32>,
    /// The targets, measured from `origin_y`.
    y: Vec<f32>,
    /// What the inputs are measured from.
    origin_x: Origin,
    /// What the targets are measured from; predictions get it added back.
    origin_y: Origin,
    /// The chosen columns' names, input then target.
    names: [String; 2],
    /// Rows left out for a missing value.
    dropped: usize,
    /// How far the f32 inputs are from the file's, at most.
    rounding: f64,
}

impl Training {
    fn x(&self) -> &[f32] {
        &self.x
    }

    fn y(&self) -> &[f32] {
        &self.y
    }

    fn len(&self) -> usize {
        self.x.len()
    }

    /// The JSON fields that say what was read.
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "x": self.names[0],
            "y": self.names[1],
            "x_origin": self.origin_x.value(),
            "y_origin": self.origin_y.value(),
            "dropped_rows": self.dropped,
        })
    }
}

/// The one input column `--x` names, or `None` for the default, for the commands that take
/// one; a list of several is refused, naming the commands that take several.
fn input_column(read: &ReadArgs) -> Result<Option<ColumnRef>> {
    match &read.x[..] {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        several => {
            let list: Vec<String> = several.iter().map(ToString::to_string).collect();
            bail!(
                "--x names {} input columns ({}), and this takes one; several are fitted by \
                 nonparametric pooling (`nw predict`, `nw bandwidth`, `nw train --model \
                 log-bandwidth`) and drawn by `nw plot surface` and `nw plot partial`",
                several.len(),
                list.join(", ")
            )
        }
    }
}

/// Reads `path`'s chosen columns, saying on stderr what a user should know about how: columns
/// taken by position, rows dropped. A missing value without `--missing drop` gets the hint.
fn read_frame(path: &Path, select: &Select, read: &ReadArgs) -> Result<nw_data::Frame> {
    let frame = nw_data::read_frame(path, select, &read.options()).map_err(|e| match &e {
        nw_data::DataError::Missing { .. } => {
            anyhow!("{e}; --missing drop leaves such rows out (and says how many)")
        }
        nw_data::DataError::NoColumn { .. } => anyhow!("{e} (choose columns with --x and --y)"),
        // `3,9` in a `;` file: a European spreadsheet's number.
        nw_data::DataError::NotANumber { text, .. }
            if !read.decimal_comma && looks_like_decimal_comma(text) =>
        {
            anyhow!("{e}; numbers with a decimal comma read with --decimal-comma")
        }
        _ => e.into(),
    })?;
    let name = nw_data::input_name(path);
    if frame.by_position {
        let names: Vec<String> = frame.names.iter().map(|n| format!("{n:?}")).collect();
        let wanted: Vec<String> = select.refs().iter().map(ToString::to_string).collect();
        say!(
            "note: {name} has no column {}: reading {} as {} (choose with --x and --y)",
            wanted.join(" or "),
            names.join(" and "),
            wanted.join(" and ")
        );
    }
    if frame.dropped > 0 {
        say!(
            "note: left out {} of {} rows of {name} for a missing value (the first on line {})",
            frame.dropped,
            frame.dropped + frame.rows(),
            frame.first_dropped_line.unwrap_or(0)
        );
    }
    Ok(frame)
}

/// Whether `text` reads as a number once its one comma is a decimal point (`-0,6`, `3,9`).
fn looks_like_decimal_comma(text: &str) -> bool {
    text.matches(',').count() == 1 && text.replace(',', ".").parse::<f64>().is_ok()
}

/// The input and target columns `--x` and `--y` choose, in f64 as in the file, with their
/// names and the number of rows dropped.
fn read_xy(path: &Path, read: &ReadArgs) -> Result<([Vec<f64>; 2], [String; 2], usize)> {
    let x = input_column(read)?;
    let select = match (x, &read.y) {
        (None, None) => Select::defaults(&["x", "y"]),
        (x, y) => Select::columns(vec![
            x.unwrap_or_else(|| ColumnRef::name("x")),
            y.clone().unwrap_or_else(|| ColumnRef::name("y")),
        ]),
    };
    let frame = read_frame(path, &select, read)?;
    let mut columns = frame.columns.into_iter();
    let mut names = frame.names.into_iter();
    Ok((
        [
            columns.next().unwrap_or_default(),
            columns.next().unwrap_or_default(),
        ],
        [
            names.next().unwrap_or_default(),
            names.next().unwrap_or_default(),
        ],
        frame.dropped,
    ))
}

/// Reads a training set with a status line (a file of millions of rows takes seconds).
fn read_training(path: &Path, read: &ReadArgs) -> Result<Training> {
    let progress = crate::progress::Progress::new("reading the training set", None);
    let ([x, y], names, dropped) = read_xy(path, read)?;
    progress.finish();
    let (origin_x, origin_y) = (Origin::of(&x), Origin::of(&y));
    let shifted = origin_x.to_f32(&x);
    Ok(Training {
        rounding: origin_x.rounding(&x, &shifted),
        x: shifted,
        y: origin_y.to_f32(&y),
        origin_x,
        origin_y,
        names,
        dropped,
    })
}

/// Query points as read: the file's f64 values (echoed in the output exactly) and the same
/// measured from the training set's origin, as f32.
struct Queries {
    /// As in the file.
    x: Vec<f64>,
    /// Measured from the training inputs' origin.
    shifted: Vec<f32>,
    /// Rows left out for a missing value.
    dropped: usize,
    /// How far `shifted` is from `x`, at most.
    rounding: f64,
}

/// Reads the input column of a query file (the column `--x` names, as in the training file).
fn read_queries(path: &Path, read: &ReadArgs, origin: Origin) -> Result<Queries> {
    let select = match input_column(read)? {
        None => Select::defaults(&["x"]),
        Some(x) => Select::columns(vec![x]),
    };
    let frame = read_frame(path, &select, read)?;
    let x = frame.columns.into_iter().next().unwrap_or_default();
    let shifted = origin.to_f32(&x);
    Ok(Queries {
        rounding: origin.rounding(&x, &shifted),
        shifted,
        x,
        dropped: frame.dropped,
    })
}

/// A warning when the f32 inputs the kernels see (measured from their origin) are further
/// from the file's than a thousandth of `bandwidth`: then distances, and the weights made of
/// them, are off by as much. `rounding` is the largest such miss among all inputs.
fn resolution_warning(rounding: f64, bandwidth: f32) -> Option<serde_json::Value> {
    (rounding > f64::from(bandwidth) / 1000.0).then(|| {
        warn(
            "resolution",
            &format!(
                "the inputs span too wide a range for the bandwidth {bandwidth}: in the f32 \
                 numbers the kernels compute in (measured from the middle of their range) they \
                 are rounded by up to {rounding}, more than a thousandth of it, so distances \
                 and weights are off by as much (a narrower range of inputs per run, or a \
                 wider bandwidth, resolves them)"
            ),
        )
    })
}

/// A warning on stderr (an answer that is weaker than it looks; never silenced), and the
/// same warning as an entry of a JSON report's `warnings`.
fn warn(code: &str, message: &str) -> serde_json::Value {
    say!("warning: {message}");
    serde_json::json!({ "code": code, "message": message })
}

/// Prints each warning of a bandwidth search, and returns them for a JSON report.
fn report_warnings(warnings: &[nw_model::bandwidth::Warning]) -> serde_json::Value {
    warnings
        .iter()
        .map(|w| warn(w.code(), &w.to_string()))
        .collect()
}

/// A training set with any number of input columns, as the estimator takes it: the file's
/// f64 values.
struct Table {
    /// The inputs, row-major: `dim` values per row.
    x: Vec<f64>,
    /// Inputs per row.
    dim: usize,
    /// The targets.
    y: Vec<f64>,
    /// The input columns' names.
    names: Vec<String>,
    /// The target column's name.
    y_name: String,
    /// Rows left out for a missing value.
    dropped: usize,
    /// The file's name, for messages.
    file: String,
}

impl Table {
    /// The inputs as the estimator takes them.
    fn inputs(&self) -> Result<nw_model::Inputs<'_>> {
        Ok(nw_model::Inputs::new(&self.x, self.dim)?)
    }

    fn len(&self) -> usize {
        self.y.len()
    }

    /// A model error as the user should read it: a constant input named by its column and
    /// file.
    fn name_error(&self, e: nw_model::ModelError) -> anyhow::Error {
        match e {
            nw_model::ModelError::ConstantInput { input, value } => anyhow!(
                "column {:?} of {} is {value} in every row: there is no spread to choose its \
                 bandwidth from (leave it out of --x, or give --bandwidth)",
                self.names[input],
                self.file
            ),
            other => other.into(),
        }
    }

    /// The input names, for messages.
    fn name_refs(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// The JSON fields that say what was read and what each column is measured from: for
    /// one input the same fields as before several were possible, for several a list each.
    fn json(&self, model: &nw_model::NadarayaWatson) -> serde_json::Value {
        let origins: Vec<f64> = model.origins().iter().map(|o| o.value()).collect();
        if self.dim == 1 {
            serde_json::json!({
                "x": self.names[0],
                "y": self.y_name,
                "x_origin": origins[0],
                "y_origin": model.target_origin().value(),
                "dropped_rows": self.dropped,
            })
        } else {
            serde_json::json!({
                "x": self.names,
                "y": self.y_name,
                "x_origin": origins,
                "y_origin": model.target_origin().value(),
                "dropped_rows": self.dropped,
            })
        }
    }
}

/// Reads the input columns `--x` names (any number; `x` by default) and the target, in f64
/// as in the file.
fn read_table(path: &Path, read: &ReadArgs) -> Result<Table> {
    let progress = crate::progress::Progress::new("reading the training set", None);
    let select = if read.x.is_empty() && read.y.is_none() {
        Select::defaults(&["x", "y"])
    } else {
        let mut refs = if read.x.is_empty() {
            vec![ColumnRef::name("x")]
        } else {
            read.x.clone()
        };
        refs.push(read.y.clone().unwrap_or_else(|| ColumnRef::name("y")));
        Select::columns(refs)
    };
    let frame = read_frame(path, &select, read)?;
    progress.finish();
    let dim = frame.columns.len() - 1;
    let mut names = frame.names;
    let y_name = names.pop().unwrap_or_default();
    let mut columns = frame.columns;
    let y = columns.pop().unwrap_or_default();
    Ok(Table {
        x: interleave(&columns),
        dim,
        y,
        names,
        y_name,
        dropped: frame.dropped,
        file: nw_data::input_name(path),
    })
}

/// Columns as rows, row-major.
fn interleave(columns: &[Vec<f64>]) -> Vec<f64> {
    let n = columns.first().map_or(0, Vec::len);
    (0..n)
        .flat_map(|i| columns.iter().map(move |c| c[i]))
        .collect()
}

/// The query rows of a file: the `--x` columns (the training file's inputs), row-major, and
/// the number of rows dropped.
fn read_query_rows(path: &Path, read: &ReadArgs) -> Result<(Vec<f64>, usize)> {
    let select = if read.x.is_empty() {
        Select::defaults(&["x"])
    } else {
        Select::columns(read.x.clone())
    };
    let frame = read_frame(path, &select, read)?;
    Ok((interleave(&frame.columns), frame.dropped))
}

/// The estimator's bandwidth choice from `--bandwidth` (`default` when not given), for
/// `dim` inputs.
fn bandwidth_choice(
    arg: Option<&crate::cli::BandwidthArg>,
    default: nw_model::Bandwidth,
    dim: usize,
) -> Result<nw_model::Bandwidth> {
    use crate::cli::BandwidthArg;
    Ok(match arg {
        None => default,
        Some(BandwidthArg::Auto) => nw_model::Bandwidth::Cv,
        Some(BandwidthArg::Values(v)) if v.len() == 1 => {
            nw_model::Bandwidth::Fixed(f64::from(v[0]))
        }
        Some(BandwidthArg::Values(v)) if v.len() == dim => {
            nw_model::Bandwidth::PerInput(v.iter().map(|&h| f64::from(h)).collect())
        }
        Some(BandwidthArg::Values(v)) => bail!(
            "--bandwidth gives {} bandwidths for {dim} input columns: give one for all, or one \
             per --x column",
            v.len()
        ),
    })
}

/// Fits the estimator to `table`, with a progress line while cross-validation searches.
fn fit_model(table: &Table, params: &nw_model::Params) -> Result<nw_model::NadarayaWatson> {
    let progress = crate::progress::Progress::new(
        match params.bandwidth {
            nw_model::Bandwidth::Cv => "cross-validation: bandwidths evaluated",
            nw_model::Bandwidth::Aic => "corrected AIC: bandwidths evaluated",
            _ => "fitting",
        },
        None,
    );
    let criterion = if params.bandwidth == nw_model::Bandwidth::Aic {
        "AIC"
    } else {
        "CV"
    };
    let mut count = 0;
    let fitted = params.fit_observed(table.inputs()?, &table.y, &mut |e| {
        count += 1;
        let h = match e.bandwidths {
            [h] => (*h as f32).to_string(),
            many => {
                let list: Vec<String> = many.iter().map(|&h| number_text(h as f32)).collect();
                list.join(", ")
            }
        };
        progress.set_with(count, format!("last h = {h} ({criterion} {:.6})", e.cv));
    });
    progress.finish();
    fitted.map_err(|e| table.name_error(e))
}

/// A model's fit to its own training rows as JSON (NaN, as for constant targets, as null).
fn fit_stats_json(stats: &nw_model::FitStats) -> serde_json::Value {
    let number = |v: f64| {
        if v.is_finite() {
            serde_json::json!(v)
        } else {
            serde_json::Value::Null
        }
    };
    serde_json::json!({
        "r_squared": number(stats.r_squared),
        "aic": number(stats.aic),
        "trace": number(stats.trace),
        "rss": number(stats.rss),
        "no_fit": stats.no_fit,
    })
}

/// The bandwidths of a model as JSON, each at the shortest digits of the f32 the kernels
/// use (a chosen bandwidth is one exactly, times a power of two).
fn bandwidths_json(model: &nw_model::NadarayaWatson) -> serde_json::Value {
    model
        .bandwidths()
        .iter()
        .map(|&h| f32_json(h as f32))
        .collect()
}

/// Prints each warning of a fitted model's bandwidth choice, naming inputs by `names`, and
/// returns them for a JSON report (each with the input it concerns, when one).
fn report_fit_warnings(model: &nw_model::NadarayaWatson, names: &[&str]) -> Vec<serde_json::Value> {
    model
        .chosen()
        .warnings
        .iter()
        .map(|w| {
            let mut entry = warn(w.code(), &w.message(names));
            if let (Some(j), Some(fields)) = (w.input(), entry.as_object_mut()) {
                fields.insert("input".into(), serde_json::json!(names.get(j)));
            }
            entry
        })
        .collect()
}

/// [`resolution_warning`] for each input of a model whose f32 inputs (or the queries',
/// `query_rounding`) miss the file's by more than a thousandth of its bandwidth (of
/// `bandwidths`, one per input).
fn model_resolution_warnings(
    model: &nw_model::NadarayaWatson,
    bandwidths: &[f64],
    names: &[&str],
    query_rounding: &[f64],
) -> Vec<serde_json::Value> {
    let mut warnings = Vec::new();
    for (j, (&r, &h)) in model.rounding().iter().zip(bandwidths).enumerate() {
        let r = r.max(query_rounding.get(j).copied().unwrap_or(0.0));
        if model.dim() == 1 {
            warnings.extend(resolution_warning(r, h as f32));
        } else if r > h / 1000.0 {
            warnings.push(warn(
                "resolution",
                &format!(
                    "the values of {} (training rows and queries) lie too far apart for its \
                     bandwidth {}: in the f32 numbers the kernels compute in they are rounded \
                     by up to {}, more than a thousandth of it, so distances and weights are \
                     off by as much (a narrower range per run, or a wider bandwidth, resolves \
                     them)",
                    names.get(j).copied().unwrap_or("?"),
                    number_text(h as f32),
                    number_text(r as f32)
                ),
            ));
        }
    }
    warnings
}

/// The leave-one-out CV search for `kind` on `(x, y)` by `algorithm`, with a progress line.
fn select_bandwidth(
    kind: nw_model::KernelKind,
    x: &[f32],
    y: &[f32],
    max_isolated: f64,
    algorithm: nw_model::Algorithm,
) -> Result<nw_model::bandwidth::Selection> {
    let search = nw_model::bandwidth::Search {
        max_isolated,
        algorithm,
        ..Default::default()
    };
    let progress = crate::progress::Progress::new("cross-validation: bandwidths evaluated", None);
    let mut count = 0;
    let found = nw_model::bandwidth::select_observed(
        kind,
        x,
        y,
        &search,
        nw_tensor::Par::Rayon,
        &mut |p| {
            count += 1;
            progress.set_with(count, format!("last h = {} (CV {:.6})", p.h, p.cv));
        },
    )?;
    progress.finish();
    Ok(found)
}

/// Refuses `-` (standard input) for more than one of a command's inputs, before anything is
/// read: standard input can be read once, and the second reader would find it empty.
fn check_stdin_inputs(inputs: &[(&str, Option<&Path>)]) -> Result<()> {
    let flags: Vec<&str> = inputs
        .iter()
        .filter(|(_, path)| path.is_some_and(nw_data::is_stdin))
        .map(|&(flag, _)| flag)
        .collect();
    if let [first @ .., last] = &flags[..]
        && !first.is_empty()
    {
        let all = if first.len() == 1 { "both" } else { "all" };
        bail!(
            "{} and {last} {all} read standard input (`-`), which can be read only once: give \
             a file for all but one of them",
            first.join(", ")
        );
    }
    Ok(())
}

/// The figure format a path asks for, checked before any work starts.
fn check_figure_path(path: &Path) -> Result<()> {
    nw_viz::Format::from_path(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_are_the_shortest_text_that_gives_back_the_f32() {
        for x in [
            0.1f32,
            3.100_000_1,
            1.0 / 3.0,
            -2.5e-7,
            3.402_823_5e38,
            1e-45,
            0.0,
        ] {
            let text = f32_json(x).to_string();
            assert_eq!(
                text.parse::<f32>().unwrap().to_bits(),
                x.to_bits(),
                "{text}"
            );
            assert!(text.len() <= x.to_string().len() + 4, "{text} for {x}");
        }
        assert_eq!(f32_json(0.1).to_string(), "0.1");
        assert_eq!(f32s_json(&[0.5, 2.0]).to_string(), "[0.5,2.0]");
    }
}
