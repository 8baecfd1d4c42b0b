//! One module per subcommand, and the few helpers they share.

mod demo;
mod generate;
mod plot;
mod predict;
mod sweep;
mod train;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::Command;

/// Runs one subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Train(args) => train::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Plot(args) => plot::run(args),
    }
}

/// Writes `text` to standard output (results go to stdout, messages to stderr).
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Prints `value` as pretty JSON on standard output.
fn emit_json(value: &serde_json::Value) -> Result<()> {
    emit(&format!("{}\n", serde_json::to_string_pretty(value)?))
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

/// The figure format a path asks for, checked before any work starts.
fn check_figure_path(path: &Path) -> Result<()> {
    nw_viz::Format::from_path(path)?;
    Ok(())
}
