//! The scalar twins: the plain, one-element-at-a-time definition of every kernel.
//!
//! Each function here has a vector twin of the same name in [`super::simd`]. Read this file
//! to learn what a kernel computes; read the other to see how it is made fast.

use super::isa::Level;
use super::product::{Dims, Product, score};
use super::radial::{Moments, Radial, Sums};
use super::{LANES, MR, NR};

/// `a * b + c`, fused exactly when the active level's vector kernels fuse theirs
/// ([`Level::fused`]): the twins must round the same way to agree bit for bit.
#[inline(always)]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    if Level::active().fused() {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// [`fma`] in f64.
#[inline(always)]
pub fn fma64(a: f64, b: f64, c: f64) -> f64 {
    if Level::active().fused() {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Below this, `exp(x)` is under `f32::MIN_POSITIVE` (2^-126): the result is flushed to 0.
///
/// Denormal results take microcode assists that slow a kernel down by an order of magnitude,
/// and a weight under 1e-38 next to the row maximum's weight of 1 changes nothing.
pub const EXP_FLUSH_BELOW: f32 = -87.336_54;
pub(crate) const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two (Cody and Waite): `LN2_HI` is 0.693359375 = 355/512, so `n * LN2_HI` is
/// exact for |n| < 2^15 even without FMA.
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23 + 127: adding it rounds to an integer and leaves `n + 127` in the low bits.
pub(crate) const SHIFTER: f32 = 12_583_039.0;
/// Cephes' minimax polynomial for `(e^r - 1 - r) / r^2` on |r| <= ln(2) / 2.
pub(crate) const EXP_POLY: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    0.166_666_66,
    0.5,
];

/// `e^x` for `x <= 0` (a score minus its row maximum), in f32.
///
/// Range reduction `x = n ln 2 + r` with |r| <= ln(2)/2, a degree-7 polynomial for `e^r`,
/// and `2^n` built in the exponent bits. Error at most 1.5 ulp of the true result, so
/// relative error under 1.8e-7 (`tests/exp.rs` checks it against f64 across the whole range;
/// the worst seen over every third f32 of [-87.3, 0] was 1.01 ulp). Results below 2^-126 are exactly 0 (never
/// denormal), `-inf` gives 0, `-0` gives 1, NaN gives NaN. Positive `x` is outside the
/// contract.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Clamped so that 2^n stays a normal number; flushed lanes are replaced below.
    let xc = if x < EXP_FLUSH_BELOW {
        EXP_FLUSH_BELOW
    } else {
        x
    };
    let z = xc * LOG2_E + SHIFTER;
    let n = z - SHIFTER;
    let r = fma(n, -LN2_HI, xc);
    let r = fma(n, -LN2_LO, r);
    let mut p = EXP_POLY[0];
    for &c in &EXP_POLY[1..] {
        p = fma(p, r, c);
    }
    let er = fma(p, r * r, r) + 1.0;
    let two_n = f32::from_bits(z.to_bits() << 23);
    let y = er * two_n;
    if x < EXP_FLUSH_BELOW { 0.0 } else { y }
}

/// Below this [`exp2`] returns exactly 0.
///
/// `exp2` weighs keys against the nearest one, whose weight is 1: a key under 2^-64 of it
/// changes no f32 sum of fewer than 2^40 terms, its products with values stay clear of the
/// denormal range (which costs microcode assists), and the flush point bounds how far from a
/// query its keys can matter, so the kernels skip the rest.
pub const EXP2_FLUSH_BELOW: f32 = -64.0;
/// Minimax polynomial for `2^r` on |r| <= 1/2, highest degree first:
/// `2^r ~ 1 + r (c1 + r (c2 + r (c3 + r (c4 + r c5))))`, relative error 9.1e-8.
// c1 is near ln 2 but is not ln 2: it is the minimax fit's coefficient.
#[allow(clippy::approx_constant)]
pub(crate) const EXP2_POLY: [f32; 6] = [
    1.326_472_6e-3,
    9.671_513e-3,
    5.550_733_6e-2,
    2.402_224_2e-1,
    0.693_147,
    1.0,
];

/// `2^x` for `x <= 0`: the attention weight of the fused pooling kernels, whose exponents are
/// kept in base 2 so that no multiplication by `log2(e)` is needed per pair.
///
/// `x = n + r` with `n` the nearest integer and `r = x - n` exact, a degree-5 polynomial for
/// `2^r`, and `2^n` built in the exponent bits. Relative error at most 2e-7 against f64
/// (`tests/exp.rs` sweeps the whole range; 1.67e-7 is the worst seen). Results below 2^-64
/// ([`EXP2_FLUSH_BELOW`]) are exactly 0, `-inf` gives 0, `-0` gives 1, NaN gives NaN.
/// Positive `x` is outside the contract.
#[inline(always)]
pub fn exp2(x: f32) -> f32 {
    // No clamp first: a lane below the flush point computes garbage that is replaced by 0.
    let z = x + SHIFTER;
    let n = z - SHIFTER;
    let r = x - n;
    let mut p = EXP2_POLY[0];
    for &c in &EXP2_POLY[1..] {
        p = fma(p, r, c);
    }
    let two_n = f32::from_bits(z.to_bits() << 23);
    if x < EXP2_FLUSH_BELOW { 0.0 } else { p * two_n }
}

/// The largest element of `x`, or `-inf` for an empty slice (NaN may or may not win).
#[inline]
pub fn max(x: &[f32]) -> f32 {
    x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v))
}

/// Replaces each `x_i` by `exp(x_i - shift)` and returns their sum.
#[inline]
pub fn exp_shift_sum(x: &mut [f32], shift: f32) -> f32 {
    let mut sum = 0.0;
    for v in x {
        *v = exp(*v - shift);
        sum += *v;
    }
    sum
}

/// Multiplies every element of `x` by `s`.
#[inline]
pub fn scale(x: &mut [f32], s: f32) {
    for v in x {
        *v *= s;
    }
}

/// Softmax of one row in place: max, exponentials of the shifted row with their sum, scale.
pub fn softmax_row(x: &mut [f32]) {
    let m = max(x);
    let sum = exp_shift_sum(x, m);
    scale(x, 1.0 / sum);
}

/// `sum_i a_i b_i` in one running f32 sum.
///
/// # Panics
/// If `a` and `b` differ in length.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: slices of different lengths");
    a.iter().zip(b).fold(0.0, |s, (&x, &y)| fma(x, y, s))
}

/// One register tile of a matrix product: `C[i][j] (+)= sum_p A_i[p] B[p][j]`.
///
/// `a` holds the tile's `MR` rows of A (each at least `kc` long), `b` a packed panel of `kc`
/// rows of `NR` contiguous columns, and `c` the tile's rows at stride `ldc`. Each output is
/// one running fused sum over `p`, then stored into C (`first`, the first block of a sum) or
/// added to it: exactly what the vector twin does.
///
/// # Panics
/// If a row of `a` is shorter than `kc` or `c` does not reach row `MR - 1` at stride `ldc`.
pub fn gemm_tile(a: &[&[f32]; MR], b: &[f32], c: &mut [f32], ldc: usize, first: bool) {
    let kc = b.len() / NR;
    for (i, row) in a.iter().enumerate() {
        for j in 0..NR {
            let mut acc = 0.0;
            for p in 0..kc {
                acc = fma(row[p], b[p * NR + j], acc);
            }
            if first {
                c[i * ldc + j] = acc;
            } else {
                c[i * ldc + j] += acc;
            }
        }
    }
}

/// Adds one query's weighted sums over keys `lo..hi`, leaving out index `skip`, to `sums`.
///
/// Key `j` is at `t = keys[j] - pivot` from the query's pivot (see [`super::radial`]) and
/// weighs `e = kernel.weight(anchor, t)`; every product and sum is taken in f64, one key at a
/// time, in index order. `GRAD` adds the slope sums that gradients need, `SQUARES` the sum of
/// squared weights. The vector twin computes the same sums with f32 lanes.
#[allow(clippy::too_many_arguments)]
pub fn pool_sums<K: Radial, const GRAD: bool, const SQUARES: bool>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    sums: &mut Sums,
) {
    for j in lo..hi {
        if j == skip {
            continue;
        }
        let t = keys[j] - pivot;
        let w = kernel.weight(anchor, t);
        let (e, v) = (f64::from(w), f64::from(values[j]));
        sums.z += e;
        sums.v += e * v;
        if GRAD {
            let ef = f64::from(kernel.slope(anchor, t, w));
            sums.f += ef;
            sums.fv += ef * v;
        }
        if SQUARES {
            sums.e2 += e * e;
        }
    }
}

/// Adds one query's local linear moments over keys `lo..hi`, leaving out index `skip`, to
/// `m`, one key at a time in f64: the specification of [`super::simd::linear_sums`]. The
/// distance `t = k - pivot` is taken in f32, as the vector twin takes it.
#[allow(clippy::too_many_arguments)]
pub fn linear_sums<K: Radial>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut Moments,
) {
    for j in lo..hi {
        if j == skip {
            continue;
        }
        let t32 = keys[j] - pivot;
        let e = f64::from(kernel.weight(anchor, t32));
        let (t, v) = (f64::from(t32), f64::from(values[j]));
        m.s0 += e;
        m.s1 += e * t;
        m.s2 += e * t * t;
        m.t0 += e * v;
        m.t1 += e * t * v;
    }
}

/// Key `j`'s `d` scaled coordinates (into `c`) and its value, from the blocked layout of
/// [`super::simd::min_score_nd`].
fn key_nd(panels: &[f32], j: usize, c: &mut [f32]) -> f32 {
    let d = c.len();
    let base = j / LANES * (d + 1) * LANES + j % LANES;
    for (m, x) in c.iter_mut().enumerate() {
        *x = panels[base + m * LANES];
    }
    panels[base + d * LANES]
}

/// The smallest score of one query over keys `lo..hi` in `d` dimensions, leaving out index
/// `skip` (`+inf` when there is none), one key at a time. `scratch` holds at least `d`
/// numbers.
pub fn min_score_nd<K: Product, D: Dims>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    scratch: &mut [f32],
) -> f32 {
    let c = &mut scratch[..dims.get()];
    (lo..hi)
        .filter(|&j| j != skip)
        .map(|j| {
            key_nd(panels, j, c);
            score::<K>(c, q)
        })
        .fold(f32::INFINITY, f32::min)
}

/// Adds one query's weighted sums over keys `lo..hi` in `d` dimensions, leaving out index
/// `skip`, to `sums` (with `GRAD`, each dimension's `f_l, fv_l` to `grads[2 l], grads[2 l + 1]`).
///
/// Key `j` weighs `K::weight(c_j, q, smin)`; every product and sum is taken in f64, one key at
/// a time, in index order. `scratch` holds at least `2 d` numbers.
#[allow(clippy::too_many_arguments)]
pub fn pool_sums_nd<K: Product, D: Dims, const GRAD: bool, const SQUARES: bool>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    smin: f32,
    (lo, hi): (usize, usize),
    skip: usize,
    sums: &mut Sums,
    grads: &mut [f64],
    scratch: &mut [f32],
) {
    let d = dims.get();
    let (c, ef) = scratch[..2 * d].split_at_mut(d);
    for j in lo..hi {
        if j == skip {
            continue;
        }
        let v = f64::from(key_nd(panels, j, c));
        let w = K::weight(c, q, smin);
        let e = f64::from(w);
        sums.z += e;
        sums.v += e * v;
        if SQUARES {
            sums.e2 += e * e;
        }
        if GRAD {
            K::slopes(c, q, w, ef);
            for (g, &f) in grads.chunks_exact_mut(2).zip(ef.iter()) {
                g[0] += f64::from(f);
                g[1] += f64::from(f) * v;
            }
        }
    }
}

/// How many moments a local linear fit in `d` dimensions sums: the packed upper triangle of
/// `M = sum e x x^T` over the regressors `x = (1, t_1, .., t_d)`, then `T = sum e v x`.
pub const fn linear_nd_len(d: usize) -> usize {
    (d + 1) * (d + 2) / 2 + d + 1
}

/// One key's regressors `x = (1, t_1, .., t_d)` and `ex = e x` into `xs` (`2 (d + 1)` numbers:
/// `x`, then `ex`), then its terms added to the moments `m` ([`linear_nd_len`]): `M_ab +=
/// ex_a x_b` for `a <= b`, `T_a += ex_a v`, each product fused into its sum by [`fma64`] (one
/// rounding fewer, and on Zen 4 it moves the adds off the busier add pipes of the vector
/// twin, which adds the same terms the same way; `ex_a` itself is exact, 24 x 24 bits).
#[inline(always)]
fn add_linear_nd(c: &[f32], q: &[f32], e: f32, v: f32, xs: &mut [f64], m: &mut [f64]) {
    let p = c.len() + 1;
    let (x, ex) = xs[..2 * p].split_at_mut(p);
    let e = f64::from(e);
    x[0] = 1.0;
    ex[0] = e;
    for (jd, (&k, &q)) in c.iter().zip(q).enumerate() {
        x[jd + 1] = f64::from(k - q);
        ex[jd + 1] = e * x[jd + 1];
    }
    let mut idx = 0;
    for (a, &ea) in ex.iter().enumerate() {
        for &xb in &x[a..] {
            m[idx] = fma64(ea, xb, m[idx]);
            idx += 1;
        }
    }
    for (mt, &ea) in m[idx..idx + p].iter_mut().zip(ex.iter()) {
        *mt = fma64(ea, f64::from(v), *mt);
    }
}

/// Adds one query's local linear moments over keys `lo..hi` in `d` dimensions, leaving out
/// index `skip`, to `m` ([`linear_nd_len`] numbers), one key at a time in f64: the
/// specification of [`super::simd::linear_sums_nd`].
///
/// Key `j` weighs `K::weight(c_j, q, smin)` (the weights of [`pool_sums_nd`]) and sits at
/// `t = c_j - q` (f32 scaled coordinates, from the query). Keys of weight 0 are skipped
/// (their offsets may be huge). `scratch` holds at least `d` numbers, `xs` `2 (d + 1)`.
#[allow(clippy::too_many_arguments)]
pub fn linear_sums_nd<K: Product, D: Dims>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    smin: f32,
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut [f64],
    scratch: &mut [f32],
    xs: &mut [f64],
) {
    let d = dims.get();
    let c = &mut scratch[..d];
    for j in lo..hi {
        if j == skip {
            continue;
        }
        let v = key_nd(panels, j, c);
        let e = K::weight(c, q, smin);
        if e > 0.0 {
            add_linear_nd(c, &q[..d], e, v, xs, m);
        }
    }
}

/// Adds one query's local quadratic moments over keys `lo..hi`, leaving out index `skip`, to
/// `m = [S0, S1, S2, S3, S4, T0, T1, T2]` (`Sk = sum e t^k`, `Tk = sum e t^k v`, `t = k -
/// pivot` in f32), one key at a time in f64: the specification of
/// [`super::simd::quadratic_sums`].
#[allow(clippy::too_many_arguments)]
pub fn quadratic_sums<K: Radial>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut [f64; 8],
) {
    for j in lo..hi {
        if j == skip {
            continue;
        }
        let t32 = keys[j] - pivot;
        let e = f64::from(kernel.weight(anchor, t32));
        let (t, v) = (f64::from(t32), f64::from(values[j]));
        let et = e * t;
        let et2 = et * t;
        let et3 = et2 * t;
        m[0] += e;
        m[1] += et;
        m[2] += et2;
        m[3] += et3;
        m[4] += et3 * t;
        m[5] += e * v;
        m[6] += et * v;
        m[7] += et2 * v;
    }
}
