//! `nw`: Nadaraya-Watson kernel regression as attention pooling, from the command line.
//!
//! The layers, as in hyperfine: [`cli`] is what clap parses, each module of [`commands`]
//! validates its arguments and does the work through the library crates, and `main` is the
//! only place that prints an error or chooses the exit code.

// This crate is the one place that talks to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// A binary has no public API: `pub` here only marks what the modules share.
#![allow(unreachable_pub)]

/// `eprintln!` for errors and warnings that never fails: a closed or full stderr
/// (`2>/dev/full`) must not turn a finished command into a panic, and there is nowhere left
/// to report it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// [`say!`] for a note of what was done (`wrote ...`), which `--quiet` silences.
macro_rules! note {
    ($($arg:tt)*) => {{
        if !crate::progress::quiet() {
            say!($($arg)*);
        }
    }};
}

mod cli;
mod commands;
mod limits;
mod progress;

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

fn main() -> ExitCode {
    // A bug must still end in a message, not a backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        say!("error: internal error (a bug in nw, please report it): {info}");
    }));
    watch_for_stop_signals();
    let cli = cli::Cli::parse();
    // The kernels read the cap themselves and ignore a value that names no level; here it is
    // refused before any work, like any other bad argument.
    if let Err(value) = nw_tensor::kernels::isa::Level::requested() {
        say!(
            "error: {}={value:?} names no instruction set (avx512, avx2 or baseline)",
            nw_tensor::kernels::isa::ENV
        );
        return ExitCode::FAILURE;
    }
    progress::set_quiet(cli.quiet);
    limits::set_limit(cli.max_memory);
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
            say!("error: {message}");
            // Our library errors name their cause in their own message already; a cause is
            // shown only when it adds something.
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    say!("  caused by: {cause}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP, removes the temporary files of outputs being written and
/// puts back any file a commit in progress has replaced ([`nw_data::abandon`]), then dies of
/// the signal as if there were no handler, so the shell sees "killed by SIGINT" (status 130).
///
/// A thread waits for the signal, so the cleanup runs as ordinary code, not in a signal
/// handler. If the handler cannot be installed, the signals keep their default action.
fn watch_for_stop_signals() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                nw_data::abandon();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Only if the default action could not be restored.
                std::process::exit(128 + signal);
            }
        });
    drop(spawned);
}
