//! The chapter's synthetic data: `y = 2 sin(x) + x^0.8 + eps`, `eps ~ N(0, 0.5^2)`, with
//! inputs drawn uniformly from [0, 5), and its noise-free test grid 0, 0.1, ..., 4.9.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::grid::torch_arange_f32;

/// Training points in the chapter (`n_train = 50`).
pub const CHAPTER_N_TRAIN: usize = 50;

/// The seed [`Synthetic::default`] uses.
pub const DEFAULT_SEED: u64 = 0;

/// Inputs are drawn from `[0, X_MAX)`.
pub const X_MAX: f32 = 5.0;

/// Standard deviation of the noise added to the training targets (the chapter's
/// `torch.normal(0.0, 0.5, ...)`).
pub const NOISE_STD: f32 = 0.5;

/// Spacing of the test grid (`torch.arange(0, 5, 0.1)`).
pub const TEST_STEP: f64 = 0.1;

/// The noise-free function the chapter fits: `2 sin(x) + x^0.8`.
///
/// Computed in f64 from the f32 input and rounded once to f32, so the result is the f32
/// nearest the true value (up to f64 `sin`/`powf` error, ~1e-16 relative, which matters only
/// at a near-tie). PyTorch's f32 operations round after each step; against its values in the
/// reference file this agrees within one f32 ulp (relative error under 1e-7). Defined for
/// `x >= 0`; for `x < 0`, `x^0.8` is not real and the result is NaN, as in PyTorch.
pub fn truth(x: f32) -> f32 {
    let x = f64::from(x);
    (2.0 * x.sin() + x.powf(0.8)) as f32
}

/// The chapter's test inputs 0, 0.1, ..., 4.9 (50 points), bit-equal to PyTorch's f32
/// `torch.arange(0, 5, 0.1)` (see [`arange`](crate::arange) for how PyTorch rounds them).
pub fn test_inputs() -> Vec<f32> {
    // ceil((5 - 0) / 0.1) = 50 in f64, as PyTorch computes the length.
    torch_arange_f32(0.0, TEST_STEP, 50).collect()
}

/// The chapter's test set: [`test_inputs`] with their noise-free [`truth`] as targets.
pub fn test_set() -> Dataset {
    let x = test_inputs();
    let y = x.iter().map(|&v| truth(v)).collect();
    Dataset::from_checked(x, y)
}

/// Settings of the chapter's seeded training-data generator.
///
/// The same `(n_train, seed)` gives the same bits on every machine, operating system and
/// thread count: the generator is ChaCha12 ([`rand_chacha::ChaCha12Rng`], its output fixed by
/// the ChaCha specification) seeded with `SeedableRng::seed_from_u64`, it runs on the calling
/// thread, and the draws are taken in a fixed order (all `n_train` inputs, then all `n_train`
/// noises). The stream is fixed for the locked versions of `rand`, `rand_chacha` and
/// `rand_distr`; a value-breaking release of one of them would change it, and the golden test
/// in `tests/synthetic.rs` is there to notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synthetic {
    /// How many training points to draw.
    pub n_train: usize,
    /// The generator's seed.
    pub seed: u64,
}

impl Default for Synthetic {
    /// The chapter's 50 training points, with [`DEFAULT_SEED`].
    fn default() -> Self {
        Synthetic::new(CHAPTER_N_TRAIN, DEFAULT_SEED)
    }
}

impl Synthetic {
    /// A generator for `n_train` points from `seed`.
    pub fn new(n_train: usize, seed: u64) -> Self {
        Synthetic { n_train, seed }
    }

    /// The training set: inputs sorted ascending in `[0, 5)`, targets `truth(x) + eps`.
    ///
    /// As in the chapter, `x = 5 u` with `u` uniform on `[0, 1)` in f32 (24 random bits), then
    /// sorted; then `eps = 0.5 z` with `z` standard normal (ziggurat, computed in f64 and
    /// rounded to f32); `y = truth(x) + eps` in f32. `n_train = 0` gives an empty set.
    ///
    /// Errors with [`DataError::TooLarge`] if `n_train` pairs do not fit in memory.
    pub fn train(&self) -> Result<Dataset> {
        let n = self.n_train;
        let too_large = |_| DataError::TooLarge {
            what: "synthetic training set",
            len: n,
        };
        let (mut x, mut y) = (Vec::new(), Vec::new());
        x.try_reserve_exact(n).map_err(too_large)?;
        y.try_reserve_exact(n).map_err(too_large)?;
        let mut rng = ChaCha12Rng::seed_from_u64(self.seed);
        // u <= 1 - 2^-24, and 5 (1 - 2^-24) rounds down to 5 - 2^-21 in f32, so every x < 5
        // (a test checks that extreme).
        x.extend((0..n).map(|_| rng.random::<f32>() * X_MAX));
        x.sort_unstable_by(f32::total_cmp);
        y.extend(x.iter().map(|&xi| {
            let z: f32 = StandardNormal.sample(&mut rng);
            truth(xi) + NOISE_STD * z
        }));
        Ok(Dataset::from_checked(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_uniform_scaled_by_five_stays_below_five() {
        // rand's f32 uniform is (bits >> 8) * 2^-24; its largest value is 1 - 2^-24.
        let u_max = ((1u32 << 24) - 1) as f32 * (1.0 / (1u32 << 24) as f32);
        assert!(u_max < 1.0);
        assert!(u_max * X_MAX < X_MAX);
        assert_eq!(u_max * X_MAX, 5.0 - 2f32.powi(-21));
    }

    #[test]
    fn truth_at_known_points() {
        assert_eq!(truth(0.0), 0.0);
        let want = 2.0 * 1f64.sin() + 1.0;
        assert_eq!(truth(1.0), want as f32);
        assert!(truth(-1.0).is_nan());
    }

    #[test]
    fn default_is_the_chapter() {
        let s = Synthetic::default();
        assert_eq!((s.n_train, s.seed), (50, DEFAULT_SEED));
        assert_eq!(s.train().unwrap().len(), 50);
        assert!(Synthetic::new(0, 7).train().unwrap().is_empty());
    }
}
