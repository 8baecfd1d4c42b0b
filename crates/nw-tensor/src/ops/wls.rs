//! The small weighted least squares solve shared by the local polynomial fits
//! ([`super::local_linear`]'s leave-one-out extras, [`super::local_linear_nd`],
//! [`super::local_quadratic`]): a `p x p` system of moments `M beta = T`, in f64.
//!
//! # The rule for "no estimate"
//! `M` is first scaled by its diagonal into correlation form `C = S M S`, `S = diag(M_jj^-1/2)`
//! (so `C_jj = 1`), then factored `C = L L^T` (Cholesky). The `j`-th pivot `L_jj^2` is
//! `1 - R_j^2`, the share of column `j`'s weighted second moment that the earlier columns do
//! not explain; a system gets an estimate only if every pivot is above
//! [`EPS`](super::local_linear::EPS) (written so that NaN fails). For one input (`p = 2`,
//! columns `1, t`) the pivots are `1` and `1 - S1^2 / (S0 S2) = D / (S0 S2)`: exactly the 1-D
//! rule `D > EPS S0 S2`, which this generalizes to any number of columns. The scaling makes
//! the rule blind to the units of `t` and to the common factor of the relative weights.

use super::local_linear::EPS;

/// The number of entries of a packed upper triangle of a `p x p` matrix.
pub(crate) const fn packed_len(p: usize) -> usize {
    p * (p + 1) / 2
}

/// A factored system: `M = S^-1 L L^T S^-1`, `S = diag(scale)`.
pub(crate) struct Factor {
    p: usize,
    /// `M_jj^-1/2`.
    scale: Vec<f64>,
    /// `L`, row-major `p x p` (the upper part unused).
    l: Vec<f64>,
}

impl Factor {
    /// Factors `M`, given as its packed upper triangle (row by row: `M_00, M_01, .., M_0p-1,
    /// M_11, ..`); `None` when a diagonal entry is not positive and finite or a pivot of the
    /// correlation form is at most `EPS` (see the module docs).
    pub(crate) fn new(packed: &[f64], p: usize) -> Option<Factor> {
        debug_assert_eq!(packed.len(), packed_len(p));
        let at = |a: usize, b: usize| {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            packed[a * p - a * (a + 1) / 2 + b]
        };
        let mut scale = Vec::with_capacity(p);
        for j in 0..p {
            let m = at(j, j);
            if !(m > 0.0 && m.is_finite()) {
                return None;
            }
            scale.push(1.0 / m.sqrt());
        }
        let mut l = vec![0.0; p * p];
        for j in 0..p {
            let pivot = 1.0 - (0..j).map(|k| l[j * p + k] * l[j * p + k]).sum::<f64>();
            // NaN fails too.
            if pivot <= EPS || pivot.is_nan() {
                return None;
            }
            let ljj = pivot.sqrt();
            l[j * p + j] = ljj;
            for i in j + 1..p {
                let c = at(i, j) * scale[i] * scale[j];
                let dot: f64 = (0..j).map(|k| l[i * p + k] * l[j * p + k]).sum();
                l[i * p + j] = (c - dot) / ljj;
            }
        }
        Some(Factor { p, scale, l })
    }

    /// `y = L^-1 (S b)`, in place.
    fn forward(&self, b: &mut [f64]) {
        let p = self.p;
        for i in 0..p {
            let dot: f64 = (0..i).map(|k| self.l[i * p + k] * b[k]).sum();
            b[i] = (b[i] * self.scale[i] - dot) / self.l[i * p + i];
        }
    }

    /// `beta = M^-1 t`, in place.
    pub(crate) fn solve(&self, t: &mut [f64]) {
        let p = self.p;
        self.forward(t);
        for i in (0..p).rev() {
            let dot: f64 = (i + 1..p).map(|k| self.l[k * p + i] * t[k]).sum();
            t[i] = (t[i] - dot) / self.l[i * p + i];
        }
        for (x, s) in t.iter_mut().zip(&self.scale) {
            *x *= s;
        }
    }

    /// `r^T M^-1 r` (`r` is overwritten).
    pub(crate) fn quad(&self, r: &mut [f64]) -> f64 {
        self.forward(r);
        r.iter().map(|x| x * x).sum()
    }
}

/// An example's full fit and leverage from its leave-one-out moments (`packed` and `t`,
/// `p x p` and `p`, about the same origin), its own regressors `r` (`1, t, ..` of its input
/// about that origin), relative weight `w_self` and value `y` (as the moments sum it):
/// `M = M_loo + w r r^T`, `T = T_loo + w y r`, `fit = r^T M^-1 T`, `leverage = w r^T M^-1 r`
/// (the example's own weight in its fit, the diagonal of the smoother matrix). `None` without
/// an estimate (the rule of [`Factor::new`] on the full `M`). A self weight too large for f64
/// (the example far from every other key) is the limit: the example alone, fit `y`, leverage
/// 1, when the other rows alone still make a regular system.
pub(crate) fn full_fit(
    packed: &[f64],
    t: &[f64],
    r: &[f64],
    w_self: f64,
    y: f64,
) -> Option<(f64, f64)> {
    let p = r.len();
    if !w_self.is_finite() {
        return Factor::new(packed, p).map(|_| (y, 1.0));
    }
    let mut m = packed.to_vec();
    let mut idx = 0;
    for a in 0..p {
        for b in a..p {
            m[idx] += w_self * r[a] * r[b];
            idx += 1;
        }
    }
    let f = Factor::new(&m, p)?;
    let mut beta: Vec<f64> = t.iter().zip(r).map(|(t, r)| t + w_self * y * r).collect();
    f.solve(&mut beta);
    let fit = beta.iter().zip(r).map(|(b, r)| b * r).sum();
    let mut rr = r.to_vec();
    let leverage = w_self * f.quad(&mut rr);
    Some((fit, leverage))
}
