//! `nw`: Nadaraya-Watson kernel regression as attention pooling, from the command line.

use clap::Parser;

/// Nadaraya-Watson kernel regression as attention pooling.
#[derive(Parser)]
#[command(name = "nw", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
