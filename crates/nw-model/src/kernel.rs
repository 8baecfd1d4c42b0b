//! The chapter's attention score, a Gaussian kernel on the scaled distance, and the check
//! every bandwidth passes. The kernels themselves live in `nw_tensor::kernels`, beside the
//! fused loop that runs them ([`KernelKind`](crate::KernelKind) lists them).

/// `-((q - k) w)^2 / 2`: the log of the Gaussian kernel's weight for key `k` seen from query
/// `q`, with `w = 1 / h` for bandwidth `h`.
///
/// The operations run in the order PyTorch runs `-((queries - keys) * w)**2 / 2`, so for the
/// same f32 inputs the scores are the same bits as the chapter's.
#[inline(always)]
pub fn gaussian_score(q: f32, k: f32, w: f32) -> f32 {
    let t = (q - k) * w;
    -(t * t) / 2.0
}

/// Checks that `h` can serve as a bandwidth: finite and at least `f32::MIN_POSITIVE`
/// (below it, `1 / h` is not a finite f32).
pub fn check_bandwidth(h: f32) -> crate::Result<f32> {
    if h >= f32::MIN_POSITIVE && h.is_finite() {
        Ok(h)
    } else {
        Err(crate::ModelError::Bandwidth(h))
    }
}
