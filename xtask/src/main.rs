//! `cargo xtask`: the project's own tasks, run with `cargo xtask <task>` from anywhere in the
//! workspace (the alias lives in `.cargo/config.toml`).
//!
//! - `bench`: run the criterion benches of `nw-bench`, print ours beside each peer as one
//!   markdown table and write it, with the machine it ran on, to `docs/performance.md`.
//! - `dependent`: build a crate outside the workspace that depends on `nw-model`, plainly
//!   and with `-C target-cpu=native`, and check that the plain build is as fast (issue 14).
//! - `plots`: regenerate the figures under `docs/img/` by running the release `nw` binary.

// A command-line tool talks to its user on stdout and stderr; the ban is for libraries.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod dependent;
mod plots;

use std::process::ExitCode;

use anyhow::anyhow;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  bench [--quick] [--native] [--simd LEVEL] [CRITERION_ARGS...]
      run the nw-bench criterion benches (release build, no RUSTFLAGS: the kernels are
      chosen at run time), print ours beside each peer as a markdown table and write it to
      docs/performance.md. --quick shortens warm-up and measurement for a smoke run;
      --native builds for this CPU (RUSTFLAGS=\"-C target-cpu=native\", in target/native),
      the old way, and writes docs/performance-native.md; --simd caps the kernels'
      instruction set (NW_SIMD=avx512|avx2|baseline; the tables' simd column names the one
      each row ran on); other arguments go to the bench binaries (e.g. a filter such as
      `pool`, or `--sample-size 20`).
  dependent [--rounds N] [--max-ratio X]
      build a crate outside the workspace that depends on nw-model by path, with plain
      `cargo build --release` and with RUSTFLAGS=\"-C target-cpu=native\" (target dirs under
      target/dependent/), run the 2000 x 200,000 prediction N times each alternately (default
      5), and fail if plain/native exceeds X (default 1.10) or the predictions' bits differ.
  plots
      regenerate every figure under docs/img/ from the chapter's seeded data, by running the
      release nw binary (nw demo, nw sweep, nw predict and nw plot).
";

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(bad) => return fail(anyhow!("argument {bad:?} is not valid UTF-8")),
    };
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("dependent") => dependent::run(&args[1..]),
        Some("plots") => plots::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("error: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

/// Prints the whole error chain and returns a failing exit code.
fn fail(err: anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    ExitCode::FAILURE
}
