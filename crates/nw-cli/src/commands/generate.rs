//! `nw generate`: the chapter's synthetic data as CSV.

use anyhow::Result;
use nw_data::{Outputs, Synthetic, test_set};

use super::check_paths;
use crate::cli::GenerateArgs;

/// Writes the seeded training set and, if asked, the test grid with its truth: both or
/// neither.
pub fn run(args: GenerateArgs) -> Result<()> {
    check_paths(
        &[
            ("--train-out", Some(&args.train_out)),
            ("--test-out", args.test_out.as_deref()),
        ],
        &[],
    )?;
    // Inputs, targets and the sort's keys while they are drawn.
    crate::limits::check(
        &format!("generating {} examples", args.n_train),
        24 * u128::from(args.n_train),
        "generate fewer (--n-train)",
    )?;
    let progress = crate::progress::Progress::new("generating", None);
    let train = Synthetic::new(args.n_train as usize, args.seed).train()?;
    progress.finish();
    let test = test_set();
    let mut out = Outputs::new();
    out.stage_columns(&args.train_out, &["x", "y"], &[train.x(), train.y()])?;
    if let Some(path) = &args.test_out {
        out.stage_columns(path, &["x", "y"], &[test.x(), test.y()])?;
    }
    out.commit()?;
    note!(
        "wrote {} training examples (seed {}) to {}",
        train.len(),
        args.seed,
        args.train_out.display()
    );
    if let Some(path) = &args.test_out {
        note!(
            "wrote {} test points with their noise-free truth to {}",
            test.len(),
            path.display()
        );
    }
    Ok(())
}
