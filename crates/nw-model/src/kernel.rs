//! The check every bandwidth passes. The kernels themselves live in `nw_tensor::kernels`, beside the
//! fused loop that runs them ([`KernelKind`](crate::KernelKind) lists them).

/// Checks that `h` can serve as a bandwidth: finite and at least `f32::MIN_POSITIVE`
/// (below it, `1 / h` is not a finite f32).
pub fn check_bandwidth(h: f32) -> crate::Result<f32> {
    if h >= f32::MIN_POSITIVE && h.is_finite() {
        Ok(h)
    } else {
        Err(crate::ModelError::Bandwidth(h))
    }
}
