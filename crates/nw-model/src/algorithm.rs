//! Which exact method pools one input: the direct pass over every query-key pair within
//! reach ([`nw_tensor::ops::pool`]), or sorted sweeps over prefix sums
//! ([`nw_tensor::ops::sweep`]), and where the sweep applies.
//!
//! The sweep covers one input at degree 0 (Nadaraya-Watson) with one finite bandwidth for
//! every query: predictions, leave-one-out CV, and the leave-one-out loss with its gradient
//! in `ln h` (the CV search, [`NadarayaWatson::cross_validate`](crate::NadarayaWatson),
//! training the scale `w`). Everything else has the direct path only: several inputs, local
//! linear and quadratic fits, the corrected AIC, the attention weight matrix, diagnostics
//! (the sweep has no effective key counts), adaptive and learned per-query bandwidths, the
//! chapter's tensors, average pooling, an infinite bandwidth.
//!
//! [`Algorithm::Auto`] (the default everywhere) asks the cost model of
//! [`nw_tensor::ops::sweep::sweep_pays`] where the sweep applies and takes the direct path
//! quietly where it does not. [`Algorithm::Sweep`] where it does not apply is an error
//! ([`ModelError::Algorithm`], naming what it does not cover), not a silent substitution: a
//! caller who asked for it explicitly learns that it did not run. [`Algorithm::Direct`] is the
//! path as it was before the sweep, bit for bit.
//!
//! Two computations are not poolings and ignore the choice: a model's fit statistics and
//! confidence bands (each training row's own weight, the smoother's rows in f64).

use nw_tensor::kernels::radial::KernelKind;
use nw_tensor::ops::pool::SortedKeys;
pub use nw_tensor::ops::sweep::Algorithm;

use crate::{ModelError, Result};

/// Whether to pool `kind` at bandwidth `h` over `keys` for `queries` queries by the sweep:
/// `unserved` names what in the request the sweep does not cover (`None`: nothing), and then
/// `Sweep` is an error and `Auto` the direct path.
pub(crate) fn sweeps(
    algorithm: Algorithm,
    kind: KernelKind,
    h: f32,
    keys: &SortedKeys,
    queries: usize,
    unserved: Option<&'static str>,
) -> Result<bool> {
    // Segments one bandwidth wide cannot be cut from an infinite one.
    let unserved =
        unserved.or_else(|| (!h.is_finite()).then_some("an infinite bandwidth (every key alike)"));
    match unserved {
        Some(what) => direct_only(algorithm, what).map(|()| false),
        None => Ok(algorithm.sweeps(kind, h, keys, queries)),
    }
}

/// Refuses [`Algorithm::Sweep`] for `what`, a request that has the direct path only; `Auto`
/// and `Direct` pass.
pub fn direct_only(algorithm: Algorithm, what: &'static str) -> Result<()> {
    if algorithm == Algorithm::Sweep {
        return Err(ModelError::Algorithm { what });
    }
    Ok(())
}
