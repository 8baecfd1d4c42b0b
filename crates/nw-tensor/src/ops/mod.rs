//! Operations on row-major f32 slices; [`crate::Tensor`] checks shapes and calls these.

pub(crate) mod fgt;
pub mod local_linear;
pub mod local_linear_nd;
pub mod local_quadratic;
pub mod matmul;
pub mod multiplier;
pub mod pool;
pub mod pool_nd;
pub mod softmax;
pub mod sweep;
pub(crate) mod wls;
