//! `nw generate`: the chapter's synthetic data as CSV.

use anyhow::Result;
use nw_data::{Synthetic, test_set, write_dataset};

use crate::cli::GenerateArgs;

/// Writes the seeded training set and, if asked, the test grid with its truth.
pub fn run(args: GenerateArgs) -> Result<()> {
    let train = Synthetic::new(args.n_train as usize, args.seed).train();
    write_dataset(&args.train_out, &train)?;
    eprintln!(
        "wrote {} training examples (seed {}) to {}",
        train.len(),
        args.seed,
        args.train_out.display()
    );
    if let Some(path) = &args.test_out {
        let test = test_set();
        write_dataset(path, &test)?;
        eprintln!(
            "wrote {} test points with their noise-free truth to {}",
            test.len(),
            path.display()
        );
    }
    Ok(())
}
