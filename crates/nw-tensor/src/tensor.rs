//! [`Tensor`]: a shape and contiguous row-major f32 storage, with the operations the chapter
//! writes in PyTorch (`repeat`, `repeat_interleave`, `unsqueeze`, broadcasting arithmetic,
//! boolean-mask selection, `softmax`, `bmm`).

use crate::error::{Result, TensorError};
use crate::ops::{matmul, softmax};
use crate::par::Par;

/// A dense f32 tensor in row-major (C) order.
///
/// Shape-changing methods that only reinterpret the storage (`reshape`, `unsqueeze`) take
/// `self` and never copy; methods that compute build a new tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// Elements in a tensor of `shape`, or an error if the count overflows.
fn numel(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| TensorError::TooLarge {
            shape: shape.to_vec(),
        })
}

/// Empty storage with room for a tensor of `shape`, and its element count.
///
/// Reserved with `try_reserve_exact`: a byte count beyond `isize::MAX`, or one the allocator
/// cannot give, is [`TensorError::TooLarge`] instead of a capacity-overflow panic or an abort.
fn storage(shape: &[usize]) -> Result<(Vec<f32>, usize)> {
    let n = numel(shape)?;
    let mut data = Vec::new();
    data.try_reserve_exact(n)
        .map_err(|_| TensorError::TooLarge {
            shape: shape.to_vec(),
        })?;
    Ok((data, n))
}

impl Tensor {
    /// A tensor of `shape` holding `data` in row-major order.
    pub fn new(shape: &[usize], data: Vec<f32>) -> Result<Self> {
        let expected = numel(shape)?;
        if data.len() != expected {
            return Err(TensorError::DataLength {
                shape: shape.to_vec(),
                expected,
                got: data.len(),
            });
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// A 1-d tensor holding a copy of `values`.
    pub fn from_slice(values: &[f32]) -> Self {
        Tensor {
            shape: vec![values.len()],
            data: values.to_vec(),
        }
    }

    /// A tensor of `shape` with every element `value`.
    ///
    /// Errors with [`TensorError::TooLarge`] if the storage does not fit in memory.
    pub fn full(shape: &[usize], value: f32) -> Result<Self> {
        let (mut data, n) = storage(shape)?;
        data.resize(n, value);
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// A tensor of `shape` filled with zeros.
    pub fn zeros(shape: &[usize]) -> Result<Self> {
        Self::full(shape, 0.0)
    }

    /// A tensor of `shape` filled with ones.
    pub fn ones(shape: &[usize]) -> Result<Self> {
        Self::full(shape, 1.0)
    }

    /// `[0, 1, ..., n - 1]` as a 1-d tensor, like `torch.arange(n)`.
    ///
    /// Errors with [`TensorError::TooLarge`] if `n` values do not fit in memory.
    pub fn arange(n: usize) -> Result<Self> {
        let (mut data, _) = storage(&[n])?;
        data.extend((0..n).map(|i| i as f32));
        Ok(Tensor {
            shape: vec![n],
            data,
        })
    }

    /// The size of each axis.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The storage, giving up the shape.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// The element at a full multi-index, or `None` if it is out of range.
    pub fn get(&self, index: &[usize]) -> Option<f32> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut flat = 0;
        for (&i, &d) in index.iter().zip(&self.shape) {
            if i >= d {
                return None;
            }
            flat = flat * d + i;
        }
        self.data.get(flat).copied()
    }

    /// The same elements seen with another shape of the same size (no copy).
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        if numel(shape)? != self.data.len() {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: self.shape,
                rhs: shape.to_vec(),
            });
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data: self.data,
        })
    }

    /// A new axis of size 1 at position `axis` (0 ..= ndim), like `torch.unsqueeze`.
    pub fn unsqueeze(mut self, axis: usize) -> Result<Self> {
        if axis > self.shape.len() {
            return Err(TensorError::Axis {
                op: "unsqueeze",
                axis,
                shape: self.shape,
            });
        }
        self.shape.insert(axis, 1);
        Ok(self)
    }

    /// The tensor tiled `reps[d]` times along each axis, like `torch.Tensor.repeat`.
    ///
    /// When `reps` is longer than the shape, the shape gains leading axes of size 1 first
    /// (so a vector of `m` repeated `(n, 1)` becomes an `n x m` matrix of copies).
    ///
    /// Errors with [`TensorError::RepeatTooLarge`] if an axis or the element count of the
    /// result overflows, and [`TensorError::TooLarge`] if its storage does not fit in memory.
    pub fn repeat(&self, reps: &[usize]) -> Result<Self> {
        if reps.len() < self.shape.len() {
            return Err(TensorError::ShapeMismatch {
                op: "repeat",
                lhs: self.shape.clone(),
                rhs: reps.to_vec(),
            });
        }
        let mut shape = vec![1; reps.len() - self.shape.len()];
        shape.extend_from_slice(&self.shape);
        let too_large = || TensorError::RepeatTooLarge {
            shape: self.shape.clone(),
            reps: reps.to_vec(),
        };
        let out_shape = shape
            .iter()
            .zip(reps)
            .map(|(d, r)| d.checked_mul(*r))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(too_large)?;
        numel(&out_shape).map_err(|_| too_large())?;
        let (mut data, total) = storage(&out_shape)?;
        if total > 0 {
            // Each output row of the last axis is the source row repeated; the other axes
            // pick the source row by wrapping their index.
            let last = *shape.last().unwrap_or(&1);
            let rows = total / (last * reps.last().unwrap_or(&1));
            let mut index = vec![0; shape.len().saturating_sub(1)];
            for _ in 0..rows {
                let mut src = 0;
                for (d, &i) in index.iter().enumerate() {
                    src = src * shape[d] + i % shape[d];
                }
                let row = &self.data[src * last..(src + 1) * last];
                for _ in 0..*reps.last().unwrap_or(&1) {
                    data.extend_from_slice(row);
                }
                for d in (0..index.len()).rev() {
                    index[d] += 1;
                    if index[d] < out_shape[d] {
                        break;
                    }
                    index[d] = 0;
                }
            }
        }
        Tensor::new(&out_shape, data)
    }

    /// Each element repeated `repeats` times in a 1-d tensor, like `torch.repeat_interleave`
    /// without `dim`.
    ///
    /// Errors with [`TensorError::TooLarge`] (shape `[len, repeats]`) if the result does not
    /// fit in memory.
    pub fn repeat_interleave(&self, repeats: usize) -> Result<Self> {
        let (mut data, total) = storage(&[self.data.len(), repeats])?;
        for &v in &self.data {
            data.extend(std::iter::repeat_n(v, repeats));
        }
        Tensor::new(&[total], data)
    }

    /// The elements where `mask` is true, in order, as a 1-d tensor (PyTorch's `x[mask]`).
    pub fn masked_select(&self, mask: &[bool]) -> Result<Self> {
        if mask.len() != self.data.len() {
            return Err(TensorError::ShapeMismatch {
                op: "masked_select",
                lhs: self.shape.clone(),
                rhs: vec![mask.len()],
            });
        }
        let data: Vec<f32> = self
            .data
            .iter()
            .zip(mask)
            .filter_map(|(&v, &keep)| keep.then_some(v))
            .collect();
        Ok(Tensor::from_slice(&data))
    }

    /// `f` applied to every element.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Self {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }

    /// Every element times `s`.
    pub fn scale(&self, s: f32) -> Self {
        self.map(|v| v * s)
    }

    /// Every element squared.
    pub fn square(&self) -> Self {
        self.map(|v| v * v)
    }

    /// `self + rhs` with NumPy broadcasting.
    pub fn add(&self, rhs: &Tensor) -> Result<Self> {
        self.zip_broadcast(rhs, "add", |a, b| a + b)
    }

    /// `self - rhs` with NumPy broadcasting.
    pub fn sub(&self, rhs: &Tensor) -> Result<Self> {
        self.zip_broadcast(rhs, "sub", |a, b| a - b)
    }

    /// `self * rhs` elementwise with NumPy broadcasting.
    pub fn mul(&self, rhs: &Tensor) -> Result<Self> {
        self.zip_broadcast(rhs, "mul", |a, b| a * b)
    }

    /// `self / rhs` elementwise with NumPy broadcasting.
    pub fn div(&self, rhs: &Tensor) -> Result<Self> {
        self.zip_broadcast(rhs, "div", |a, b| a / b)
    }

    /// Sum of all elements, accumulated in f64.
    pub fn sum(&self) -> f32 {
        self.data.iter().map(|&v| f64::from(v)).sum::<f64>() as f32
    }

    /// Mean of all elements (NaN for an empty tensor), accumulated in f64.
    pub fn mean(&self) -> f32 {
        (self.data.iter().map(|&v| f64::from(v)).sum::<f64>() / self.data.len() as f64) as f32
    }

    /// Softmax along the last axis (see [`crate::ops::softmax`] for special values).
    pub fn softmax(&self, par: Par) -> Result<Self> {
        let Some(&cols) = self.shape.last() else {
            return Err(TensorError::Rank {
                op: "softmax",
                expected: "at least 1 axis",
                shape: self.shape.clone(),
            });
        };
        let mut out = self.clone();
        softmax::softmax_rows(&mut out.data, cols, par);
        Ok(out)
    }

    /// Batched matrix product `(n, a, b) x (n, b, c) -> (n, a, c)`, like `torch.bmm`.
    pub fn bmm(&self, rhs: &Tensor, par: Par) -> Result<Self> {
        for t in [self, rhs] {
            if t.ndim() != 3 {
                return Err(TensorError::Rank {
                    op: "bmm",
                    expected: "3-d tensors",
                    shape: t.shape.clone(),
                });
            }
        }
        let (&[n, a, b], &[n2, b2, c]) = (&self.shape[..], &rhs.shape[..]) else {
            unreachable!("both ranks were checked to be 3")
        };
        if n != n2 || b != b2 {
            return Err(TensorError::ShapeMismatch {
                op: "bmm",
                lhs: self.shape.clone(),
                rhs: rhs.shape.clone(),
            });
        }
        let mut out = Tensor::zeros(&[n, a, c])?;
        matmul::batched_gemm(n, a, b, c, &self.data, &rhs.data, &mut out.data, par);
        Ok(out)
    }

    /// Matrix product of a matrix with a matrix `(m, k) x (k, n) -> (m, n)` or with a vector
    /// `(m, k) x (k,) -> (m,)`, like `torch.matmul` on those shapes.
    pub fn matmul(&self, rhs: &Tensor, par: Par) -> Result<Self> {
        let mismatch = || TensorError::ShapeMismatch {
            op: "matmul",
            lhs: self.shape.clone(),
            rhs: rhs.shape.clone(),
        };
        let &[m, k] = &self.shape[..] else {
            return Err(TensorError::Rank {
                op: "matmul",
                expected: "a 2-d left operand",
                shape: self.shape.clone(),
            });
        };
        let (k2, n, out_shape) = match rhs.shape[..] {
            [k2, n] => (k2, n, vec![m, n]),
            [k2] => (k2, 1, vec![m]),
            _ => return Err(mismatch()),
        };
        if k != k2 {
            return Err(mismatch());
        }
        let mut out = Tensor::zeros(&out_shape)?;
        matmul::gemm(m, k, n, &self.data, &rhs.data, &mut out.data, par);
        Ok(out)
    }

    fn zip_broadcast(
        &self,
        rhs: &Tensor,
        op: &'static str,
        f: impl Fn(f32, f32) -> f32,
    ) -> Result<Self> {
        let mismatch = || TensorError::ShapeMismatch {
            op,
            lhs: self.shape.clone(),
            rhs: rhs.shape.clone(),
        };
        let nd = self.ndim().max(rhs.ndim());
        let padded = |s: &[usize]| {
            let mut p = vec![1; nd - s.len()];
            p.extend_from_slice(s);
            p
        };
        let (sa, sb) = (padded(&self.shape), padded(&rhs.shape));
        let mut shape = Vec::with_capacity(nd);
        for (&x, &y) in sa.iter().zip(&sb) {
            shape.push(match (x, y) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return Err(mismatch()),
            });
        }
        // Row-major strides, 0 along broadcast axes so the same element is read again.
        let strides = |s: &[usize]| {
            let mut st = vec![0; nd];
            let mut acc = 1;
            for d in (0..nd).rev() {
                st[d] = if s[d] == 1 { 0 } else { acc };
                acc *= s[d];
            }
            st
        };
        let (ta, tb) = (strides(&sa), strides(&sb));
        let (mut data, total) = storage(&shape)?;
        let mut index = vec![0; nd];
        let (mut ia, mut ib) = (0, 0);
        for _ in 0..total {
            data.push(f(self.data[ia], rhs.data[ib]));
            for d in (0..nd).rev() {
                index[d] += 1;
                ia += ta[d];
                ib += tb[d];
                if index[d] < shape[d] {
                    break;
                }
                ia -= ta[d] * shape[d];
                ib -= tb[d] * shape[d];
                index[d] = 0;
            }
        }
        Tensor::new(&shape, data)
    }
}
