//! Every kernel as a short sum of products, `K(b - a) = sum_f alpha_f(a) beta_f(b)`: the form
//! the sorted sweeps ([`crate::ops::sweep`]) need.
//!
//! A key sits `b` bandwidths from the centre of its segment of the sorted keys, a query `a`
//! bandwidths above that centre, so `u = b - a`. When the weight separates into features of
//! `b` alone times coefficients of `a` alone, the sum over any run of keys is
//! `sum_f alpha_f(a) (sum_k beta_f(b_k))`, and the inner sums are prefix sums, computed once
//! for every query. Keys are measured from a nearby centre (`|b| <= 1/2` or `1/4`), never from
//! the origin, so powers of `b` stay small and nothing large cancels.
//!
//! - **Polynomial kernels** (uniform, triangular, Epanechnikov, biweight, triweight, tricube):
//!   `P(u)` is a polynomial on each side of the query; expanding `(b - a)^r` gives features
//!   `b^p`. Exact.
//! - **Cosine**: `cos(pi (b - a) / 2) = cos(pi b / 2) cos(pi a / 2) + sin(pi b / 2) sin(pi a / 2)`.
//!   Exact.
//! - **Laplace**: `e^{-|u|}` is `e^{-a} e^{b}` below the query and `e^{a} e^{-b}` above it (the
//!   recursion of Hofmeyr's FKSUM). Exact.
//!
//! The Gaussian does not separate into finitely many terms; the sweeps give it a fast Gauss
//! transform instead ([`crate::ops::sweep`]).
//!
//! Each family also separates `u^m K(u)` (for local linear moments) and `K(u) g(u)` (the
//! slope of the weight in `ln h`, for gradients): the same features times powers of `b`.

use super::radial::KernelKind;

/// Which keys a piece of a window holds, relative to its query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Keys below the query (`u < 0`).
    Below,
    /// Keys at or above the query (`u >= 0`).
    Above,
    /// Either: the kernel is even, so one formula serves both sides.
    Both,
}

/// What a sum weighs each key by, besides its value or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Functional {
    /// `u^m K(u)`, with signed `u = (k - q) / h`.
    Moment(u32),
    /// `K(u) g(u)`, `g = d ln K(u / h) / d ln h`: the kernel's slope in the log-bandwidth.
    Slope,
}

/// A kernel in the separated form.
#[derive(Clone, Debug, PartialEq)]
pub struct Separable {
    family: Family,
    /// Moments up to `u^max_m` are available.
    max_m: u32,
}

#[derive(Clone, Debug, PartialEq)]
enum Family {
    /// `P(u) = sum_r right[r] u^r` for `u >= 0`, `sum_r left[r] u^r` for `u < 0`, on `|u| <= 1`.
    Polynomial {
        left: Vec<f64>,
        right: Vec<f64>,
        /// For the weight and the slope, below and above the query: `W[j][r] = c_r C(r, j)`
        /// (row-major, `features` square), so that the coefficient of `b^j` is
        /// `sum_{r >= j} W[j][r] (-a)^(r - j)`, one Horner sum per feature and no copies.
        tables: [[Vec<f64>; 2]; 2],
    },
    Cosine,
    Laplace,
}

impl Separable {
    /// `kind` in separated form, with moments up to `u^max_m` (0 for Nadaraya-Watson, 2 for
    /// local linear sums) and slopes; `None` for the Gaussian, which has none.
    pub fn new(kind: KernelKind, max_m: u32) -> Option<Separable> {
        let poly = |right: &[f64], odd_sign: bool| {
            // The left side is P(|u|) = P(-u): odd powers change sign when P is in |u|.
            let left = right
                .iter()
                .enumerate()
                .map(|(r, &c)| if odd_sign && r % 2 == 1 { -c } else { c })
                .collect();
            let f = right.len() + max_m as usize;
            let table = |c: &[f64]| {
                let mut w = vec![0.0; f * f];
                for (r, &cr) in c.iter().enumerate() {
                    let mut binomial = 1.0;
                    for j in 0..=r {
                        w[j * f + r] = cr * binomial;
                        binomial = binomial * (r - j) as f64 / (j + 1) as f64;
                    }
                }
                w
            };
            // -u d/du (c u^r) = -r c u^r, on either side (see the module docs).
            let slope = |c: &[f64]| -> Vec<f64> {
                c.iter()
                    .enumerate()
                    .map(|(r, &c)| -(r as f64) * c)
                    .collect()
            };
            let left: Vec<f64> = left;
            Family::Polynomial {
                tables: [
                    [table(&left), table(right)],
                    [table(&slope(&left)), table(&slope(right))],
                ],
                left,
                right: right.to_vec(),
            }
        };
        let family = match kind {
            KernelKind::Uniform => poly(&[1.0], false),
            KernelKind::Triangular => poly(&[1.0, -1.0], true),
            KernelKind::Epanechnikov => poly(&[1.0, 0.0, -1.0], false),
            KernelKind::Biweight => poly(&[1.0, 0.0, -2.0, 0.0, 1.0], false),
            KernelKind::Triweight => poly(&[1.0, 0.0, -3.0, 0.0, 3.0, 0.0, -1.0], false),
            KernelKind::Tricube => {
                poly(&[1.0, 0.0, 0.0, -3.0, 0.0, 0.0, 3.0, 0.0, 0.0, -1.0], true)
            }
            KernelKind::Cosine => Family::Cosine,
            KernelKind::Laplace => Family::Laplace,
            KernelKind::Gaussian => return None,
        };
        Some(Separable { family, max_m })
    }

    /// Whether a window must be split at the query: the weight is not one formula in `u` on
    /// both sides.
    #[inline(always)]
    pub fn splits(&self) -> bool {
        match &self.family {
            Family::Polynomial { left, right, .. } => left != right,
            Family::Laplace => true,
            Family::Cosine => false,
        }
    }

    /// The width of a segment of keys, in bandwidths: keys are at most half of it from their
    /// segment's centre.
    #[inline(always)]
    pub fn width(&self) -> f64 {
        match self.family {
            // Laplace's reach is 44 bandwidths: wide segments keep its pieces few, and its
            // features e^{+-b} stay within e^{+-4}.
            Family::Laplace => 8.0,
            _ => 1.0,
        }
    }

    /// The number of features.
    #[inline(always)]
    pub fn features(&self) -> usize {
        let m = self.max_m as usize;
        match &self.family {
            // Degree of P, plus m for u^m P, plus one more for the slope's -u P'(u) (same
            // degree as P): the highest power of b is deg + m.
            Family::Polynomial { right, .. } => right.len() + m,
            // cos, sin times b^i, i <= max(m, 1) (the slope has u sin).
            Family::Cosine => 2 * (m.max(1) + 1),
            // e^b, e^-b times b^i, i <= max(m, 1).
            Family::Laplace => 2 * (m.max(1) + 1),
        }
    }

    /// `beta_f(b)` for every feature, into `out` (length [`features`](Self::features)).
    #[inline(always)]
    pub fn feature_values(&self, b: f64, out: &mut [f64]) {
        match &self.family {
            Family::Polynomial { .. } => powers(b, 1.0, out),
            Family::Cosine | Family::Laplace => {
                let (first, second) = match self.family {
                    Family::Cosine => {
                        let (s, c) = (std::f64::consts::FRAC_PI_2 * b).sin_cos();
                        (c, s)
                    }
                    _ => (b.exp(), (-b).exp()),
                };
                let mut p = 1.0;
                for pair in out.chunks_exact_mut(2) {
                    pair[0] = first * p;
                    pair[1] = second * p;
                    p *= b;
                }
            }
        }
    }

    /// Bounds of `|beta_f(b)|` over the keys of a segment (`|b| <= width / 2`).
    #[inline(always)]
    pub fn feature_bounds(&self, out: &mut [f64]) {
        let half = self.width() / 2.0;
        match &self.family {
            Family::Polynomial { .. } => powers(half, 1.0, out),
            Family::Cosine | Family::Laplace => {
                let scale = if self.family == Family::Laplace {
                    half.exp()
                } else {
                    1.0
                };
                let mut p = scale;
                for pair in out.chunks_exact_mut(2) {
                    pair[0] = p;
                    pair[1] = p;
                    p *= half;
                }
            }
        }
    }

    /// `alpha_f(a)` for a piece of keys on `side` of a query `a` bandwidths above their
    /// segment's centre, weighing each key by `what`, into `out` (length
    /// [`features`](Self::features)); the piece's sum is `sum_f out[f] * (sum of beta_f)`.
    ///
    /// # Panics
    /// If a moment above the `max_m` this was made with is asked for.
    #[inline(always)]
    pub fn coefficients(&self, a: f64, side: Side, what: Functional, out: &mut [f64]) {
        // The tables' path writes every coefficient; the others add into zeros.
        if !matches!(self.family, Family::Polynomial { .. })
            || !matches!(what, Functional::Moment(0) | Functional::Slope)
        {
            out.fill(0.0);
        }
        if let Functional::Moment(m) = what {
            assert!(m <= self.max_m, "moment {m} above {}", self.max_m);
        }
        match &self.family {
            Family::Polynomial { tables, .. }
                if matches!(what, Functional::Moment(0) | Functional::Slope) =>
            {
                let w = &tables[usize::from(what == Functional::Slope)]
                    [usize::from(side != Side::Below)];
                let (f, na) = (out.len(), -a);
                for (j, o) in out.iter_mut().enumerate() {
                    let row = &w[j * f..(j + 1) * f];
                    *o = row[j..].iter().rev().fold(0.0, |acc, &c| acc * na + c);
                }
            }
            Family::Polynomial { left, right, .. } => {
                let p = if side == Side::Below { left } else { right };
                // The weight as a polynomial in u: u^m P(u), or the slope -u P'(u).
                // At most 10 coefficients (the tricube) plus the moment's power.
                let mut in_u = [0.0; 16];
                let in_u = &mut in_u[..out.len()];
                match what {
                    Functional::Moment(m) => {
                        in_u[m as usize..m as usize + p.len()].copy_from_slice(p);
                    }
                    Functional::Slope => {
                        for (r, &c) in p.iter().enumerate() {
                            // -u d/du (c u^r) = -r c u^r, on either side (see the module docs).
                            in_u[r] = -(r as f64) * c;
                        }
                    }
                }
                taylor_shift(in_u, a, out);
            }
            Family::Cosine => {
                use std::f64::consts::FRAC_PI_2;
                let (s, c) = (FRAC_PI_2 * a).sin_cos();
                // cos(pi u / 2) = cos_b c + sin_b s;  sin(pi u / 2) = sin_b c - cos_b s.
                match what {
                    Functional::Moment(m) => times_u_power(m, a, |i, w| {
                        out[2 * i] += w * c;
                        out[2 * i + 1] += w * s;
                    }),
                    // (pi / 2) u sin(pi u / 2).
                    Functional::Slope => times_u_power(1, a, |i, w| {
                        out[2 * i + 1] += FRAC_PI_2 * w * c;
                        out[2 * i] -= FRAC_PI_2 * w * s;
                    }),
                }
            }
            Family::Laplace => {
                // Below: e^{u} = e^{-a} e^{b} (features at even places); above: e^{-u} =
                // e^{a} e^{-b} (odd places). The slope is |u| K: -u K below, u K above.
                let (scale, place, sign) = match side {
                    Side::Below => ((-a).exp(), 0, -1.0),
                    _ => (a.exp(), 1, 1.0),
                };
                let (m, factor) = match what {
                    Functional::Moment(m) => (m, 1.0),
                    Functional::Slope => (1, sign),
                };
                times_u_power(m, a, |i, w| out[2 * i + place] += factor * scale * w);
            }
        }
    }
}

/// `out[p] = scale * b^p`.
#[inline(always)]
fn powers(b: f64, scale: f64, out: &mut [f64]) {
    let mut p = scale;
    for o in out {
        *o = p;
        p *= b;
    }
}

/// Calls `add(i, C(m, i) (-a)^(m - i))` for `i = 0..=m`: the expansion of `u^m = (b - a)^m` in
/// powers `b^i`.
#[inline(always)]
fn times_u_power(m: u32, a: f64, mut add: impl FnMut(usize, f64)) {
    let m = m as usize;
    let mut binomial = 1.0;
    for i in 0..=m {
        add(i, binomial * (-a).powi((m - i) as i32));
        binomial = binomial * (m - i) as f64 / (i + 1) as f64;
    }
}

/// The coefficients in `b` of the polynomial `sum_r in_u[r] u^r` at `u = b - a`: a Taylor
/// shift by repeated synthetic division, O(degree^2).
#[inline(always)]
fn taylor_shift(in_u: &[f64], a: f64, out: &mut [f64]) {
    out[..in_u.len()].copy_from_slice(in_u);
    let n = in_u.len();
    // p(b - a): shift by -a.
    for i in 0..n {
        for j in (i..n - 1).rev() {
            out[j] -= a * out[j + 1];
        }
    }
}

/// `K(u) / K(0)` in f64, from the kernel's one definition ([`KernelKind::ln_k`]): the
/// sweeps' direct fallback.
#[inline(always)]
pub fn profile(kind: KernelKind, u: f64) -> f64 {
    (kind.ln_k(u) - kind.ln_k(0.0)).exp()
}

/// `K(u) g(u) / K(0)` in f64, `g = d ln K(u / h) / d ln h = -u K'(u) / K(u)`: the slope the
/// sweeps' direct fallback sums for gradients.
#[inline(always)]
pub fn slope_profile(kind: KernelKind, u: f64) -> f64 {
    let a = u.abs();
    if kind.support().is_some_and(|s| a > s) {
        return 0.0;
    }
    let s = 1.0 - u * u;
    match kind {
        KernelKind::Gaussian => u * u * (-0.5 * u * u).exp(),
        KernelKind::Laplace => a * (-a).exp(),
        KernelKind::Uniform => 0.0,
        KernelKind::Triangular => a,
        KernelKind::Epanechnikov => 2.0 * u * u,
        KernelKind::Biweight => 4.0 * u * u * s,
        KernelKind::Triweight => 6.0 * u * u * s * s,
        KernelKind::Tricube => 9.0 * a * a * a * (1.0 - a * a * a).powi(2),
        KernelKind::Cosine => {
            std::f64::consts::FRAC_PI_2 * u * (std::f64::consts::FRAC_PI_2 * u).sin()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The separated sums against the kernel itself, key by key, for every family, side,
    /// moment and the slope.
    #[test]
    fn separated_weights_are_the_kernel() {
        for kind in KernelKind::ALL {
            let Some(s) = Separable::new(kind, 2) else {
                assert_eq!(kind, KernelKind::Gaussian);
                continue;
            };
            let half = s.width() / 2.0;
            let f = s.features();
            let (mut beta, mut alpha) = (vec![0.0; f], vec![0.0; f]);
            for &a in &[-0.9, -0.3, 0.0, 0.2, 0.77, 3.1, -7.5, 10.4] {
                for k in 0..=10 {
                    let b = -half + 2.0 * half * k as f64 / 10.0;
                    let u = b - a;
                    if kind.support().is_some_and(|sup| u.abs() > sup) {
                        continue;
                    }
                    let side = if !s.splits() {
                        Side::Both
                    } else if u < 0.0 {
                        Side::Below
                    } else {
                        Side::Above
                    };
                    s.feature_values(b, &mut beta);
                    let k0 = profile(kind, u);
                    // K g = -u dK/du, from a central difference (away from the support's
                    // edge, where the difference would straddle the cut).
                    let e: f64 = 1e-6;
                    let near_edge = kind.support().is_some_and(|sup| u.abs() > sup - 1e-4);
                    let kg = -u * (profile(kind, u + e) - profile(kind, u - e)) / (2.0 * e);
                    let wants = [
                        (Functional::Moment(0), k0),
                        (Functional::Moment(1), u * k0),
                        (Functional::Moment(2), u * u * k0),
                        (Functional::Slope, kg),
                    ];
                    if !near_edge && u != 0.0 {
                        let sp = slope_profile(kind, u);
                        assert!((sp - kg).abs() <= 1e-6 * (1.0 + kg.abs()), "{kind:?} {u}");
                    }
                    for (what, want) in wants {
                        if what == Functional::Slope && (near_edge || u == 0.0) {
                            // At u = 0 the triangular, tricube and Laplace have a kink.
                            continue;
                        }
                        s.coefficients(a, side, what, &mut alpha);
                        let got: f64 = alpha.iter().zip(&beta).map(|(x, y)| x * y).sum();
                        let tol = if what == Functional::Slope {
                            1e-6
                        } else {
                            1e-9
                        };
                        assert!(
                            (got - want).abs() <= tol * (1.0 + want.abs()) + 1e-12 * k0.max(1e-300),
                            "{kind:?} a {a} b {b} {what:?}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
