//! `nw info`: the version and the instruction set the kernels run on.

use anyhow::Result;
use nw_tensor::kernels::isa::{ENV, Level};
use serde_json::json;

use std::io::Write as _;

use crate::cli::InfoArgs;

/// Prints the version, the level in use, the CPU's highest level and the cap, if any.
pub fn run(args: InfoArgs) -> Result<()> {
    let (active, detected) = (Level::active(), Level::detected());
    // `main` has refused a value that names no level.
    let cap = Level::requested().ok().flatten();
    let threads = nw_tensor::Par::Rayon.threads();
    if args.json {
        let report = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "simd": active.name(),
            "simd_detected": detected.name(),
            "simd_cap": cap.map(Level::name),
            "fused_multiply_add": active.fused(),
            "threads": threads,
        });
        let text = serde_json::to_string_pretty(&report)? + "\n";
        std::io::stdout().write_all(text.as_bytes())?;
        return Ok(());
    }
    let why = match cap {
        Some(c) if c < detected => format!("capped by {ENV}={c}; this CPU runs {detected}"),
        Some(c) if c > detected => format!("{ENV}={c} asks for more than this CPU runs"),
        _ => "the highest this CPU runs".to_owned(),
    };
    let text = format!(
        "nw {}\nsimd: {active} ({why})\nthreads: {threads}\n",
        env!("CARGO_PKG_VERSION")
    );
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
