//! The chapter's own training set, as PyTorch drew it, shipped inside the crate.
//!
//! No seed of ours reproduces `torch.rand` and `torch.normal`, so the one draw that PyTorch's
//! published results were computed on (`data/d2l_train.csv`, 50 rows, shortest round-trip f32
//! text) is embedded here. With it, `nw demo --reference` prints the chapter's own numbers
//! (`epoch 1, loss 42.11386...` from `w = 0.5`), and tests can hold us to PyTorch's.

use std::io::Cursor;

use crate::dataset::Dataset;
use crate::read::parse_dataset;

/// The file's text, compiled in.
const CHAPTER_TRAIN_CSV: &str = include_str!("../data/d2l_train.csv");

/// The initial `w` of the reference run (the chapter draws it with `torch.rand`).
pub const CHAPTER_W0: f32 = 0.5;

/// The chapter's 50 training examples, bit for bit as PyTorch drew them (sorted inputs).
///
/// # Panics
/// Only if the build embedded a broken file, which this crate's tests rule out.
pub fn chapter_train() -> Dataset {
    // The embedded file is checked by this crate's tests; a failure here is a build defect.
    parse_dataset(Cursor::new(CHAPTER_TRAIN_CSV), "data/d2l_train.csv")
        .expect("the embedded reference data set parses")
}
