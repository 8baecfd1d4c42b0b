//! One module per subcommand, and the few helpers they share.

mod bandwidth;
mod demo;
mod generate;
mod plot;
mod predict;
mod sweep;
mod train;

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::Command;

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

/// Reads a training set with a status line (a file of millions of rows takes seconds).
fn read_training(path: &Path) -> Result<nw_data::Dataset> {
    let progress = crate::progress::Progress::new("reading the training set", None);
    let data = nw_data::read_dataset(path)?;
    progress.finish();
    Ok(data)
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

/// The leave-one-out CV search for `kind` on `(x, y)`, with a progress line.
fn select_bandwidth(
    kind: nw_model::KernelKind,
    x: &[f32],
    y: &[f32],
    max_isolated: f64,
) -> Result<nw_model::bandwidth::Selection> {
    let search = nw_model::bandwidth::Search {
        max_isolated,
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
