//! `nw`: Nadaraya-Watson kernel regression as attention pooling, from the command line.
//!
//! The layers, as in hyperfine: [`cli`] is what clap parses, each module of [`commands`]
//! validates its arguments and does the work through the library crates, and `main` is the
//! only place that prints an error or chooses the exit code.

// This crate is the one place that talks to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// A binary has no public API: `pub` here only marks what the modules share.
#![allow(unreachable_pub)]

mod cli;
mod commands;
mod progress;

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must still end in a message, not a backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error (a bug in nw, please report it): {info}");
    }));
    let cli = cli::Cli::parse();
    progress::set_quiet(cli.quiet);
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `nw ... | head` closes the pipe early; that is the reader's choice, not a failure.
            let broken_pipe = err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            let message = err.to_string();
            eprintln!("error: {message}");
            // Our library errors name their cause in their own message already; a cause is
            // shown only when it adds something.
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::FAILURE
        }
    }
}
