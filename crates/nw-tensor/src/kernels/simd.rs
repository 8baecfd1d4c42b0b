//! The vector twins: the same kernels as [`super::scalar`], on the vectors of any level
//! ([`super::isa::Simd`]).
//!
//! Every kernel here is `#[inline(always)]` and generic over the vector type; the ops call
//! them inside an [`isa::Task`], so each is compiled once per level, inside that level's
//! `#[target_feature]` entry. Loops that repeat a step use a local macro, not a closure: a
//! closure is a function of its own, which LLVM may leave out of line, without the level's
//! instructions (measured: 10x slower, every vector operation a call).
//!
//! Main loops run on whole vectors, with several independent accumulators where a reduction
//! would otherwise wait on one register; tails go to the scalar twin. Nothing is padded: a
//! padded max or sum would be wrong, and a padded load would read past the slice.

use super::scalar::{
    self, EXP_FLUSH_BELOW, EXP_POLY, EXP2_FLUSH_BELOW, EXP2_POLY, LN2_HI, LN2_LO, LOG2_E, SHIFTER,
};

use super::isa::{self, F64s, Level, Mask, Simd, Task};
use super::product::{Dims, Product, score_v};
use super::radial::{Moments, Radial, Sums};

/// f32 lanes in one vector, on every level ([`super::isa::LANES`]).
pub const LANES: usize = super::isa::LANES;
/// Rows of the matmul register tile: 8 x 2 accumulators leave registers for the B loads with
/// AVX-512; 8 divides the chapter's sizes.
pub const MR: usize = 8;
/// Columns of the matmul register tile: two vectors.
pub const NR: usize = 2 * LANES;
/// Independent accumulators in reductions: enough to hide the add latency.
const ACCS: usize = 4;

/// `e^x` lane by lane for `x <= 0`: the twin of [`scalar::exp`], same steps, same bits.
#[inline(always)]
pub fn exp<V: Simd>(x: V) -> V {
    let lo = V::splat(EXP_FLUSH_BELOW);
    // The constant goes first: x86 max returns its second operand when either is NaN,
    // so a NaN lane stays NaN.
    let xc = lo.fast_max(x);
    let shifter = V::splat(SHIFTER);
    let z = xc.mul_add(V::splat(LOG2_E), shifter);
    let n = z - shifter;
    let r = n.mul_add(V::splat(-LN2_HI), xc);
    let r = n.mul_add(V::splat(-LN2_LO), r);
    let mut p = V::splat(EXP_POLY[0]);
    for &c in &EXP_POLY[1..] {
        p = p.mul_add(r, V::splat(c));
    }
    let er = p.mul_add(r * r, r) + V::ONE;
    let two_n = z.shl23();
    x.simd_lt(lo).select(V::ZERO, er * two_n)
}

/// `2^x` lane by lane for `x <= 0`: the twin of [`scalar::exp2`], same steps, same bits.
#[inline(always)]
pub fn exp2<V: Simd>(x: V) -> V {
    let shifter = V::splat(SHIFTER);
    let z = x + shifter;
    let n = z - shifter;
    let r = x - n;
    let mut p = V::splat(EXP2_POLY[0]);
    for &c in &EXP2_POLY[1..] {
        p = p.mul_add(r, V::splat(c));
    }
    let two_n = z.shl23();
    // A NaN lane compares false and stays NaN.
    x.simd_lt(V::splat(EXP2_FLUSH_BELOW))
        .select(V::ZERO, p * two_n)
}

/// The largest element of `x`, or `-inf` for an empty slice (NaN may or may not win).
#[inline(always)]
pub fn max<V: Simd>(x: &[f32]) -> f32 {
    let mut acc = [V::splat(f32::NEG_INFINITY); ACCS];
    let mut blocks = x.chunks_exact(ACCS * LANES);
    for block in &mut blocks {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = a.fast_max(V::load(&block[k * LANES..]));
        }
    }
    let mut vectors = blocks.remainder().chunks_exact(LANES);
    for v in &mut vectors {
        acc[0] = acc[0].fast_max(V::load(v));
    }
    let m = acc[0].fast_max(acc[1]).fast_max(acc[2].fast_max(acc[3]));
    let m = scalar::max(&m.to_array());
    m.max(scalar::max(vectors.remainder()))
}

/// Replaces each `x_i` by `exp(x_i - shift)` and returns their sum.
#[inline(always)]
pub fn exp_shift_sum<V: Simd>(x: &mut [f32], shift: f32) -> f32 {
    let s = V::splat(shift);
    let mut acc = [V::ZERO; ACCS];
    let mut blocks = x.chunks_exact_mut(ACCS * LANES);
    for block in &mut blocks {
        for (v, a) in block.chunks_exact_mut(LANES).zip(&mut acc) {
            let e = exp(V::load(v) - s);
            e.store(v);
            *a += e;
        }
    }
    let mut vectors = blocks.into_remainder().chunks_exact_mut(LANES);
    for v in &mut vectors {
        let e = exp(V::load(v) - s);
        e.store(v);
        acc[0] += e;
    }
    let tail = scalar::exp_shift_sum(vectors.into_remainder(), shift);
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add() + tail
}

/// Multiplies every element of `x` by `s`.
#[inline(always)]
pub fn scale<V: Simd>(x: &mut [f32], s: f32) {
    let sv = V::splat(s);
    let mut vectors = x.chunks_exact_mut(LANES);
    for v in &mut vectors {
        (V::load(v) * sv).store(v);
    }
    scalar::scale(vectors.into_remainder(), s);
}

/// Softmax of one row in place: max, exponentials of the shifted row with their sum, scale.
#[inline(always)]
pub fn softmax_row<V: Simd>(x: &mut [f32]) {
    let m = max::<V>(x);
    let sum = exp_shift_sum::<V>(x, m);
    scale::<V>(x, 1.0 / sum);
}

/// `sum_i a_i b_i`, in `ACCS` vector accumulators.
///
/// # Panics
/// If `a` and `b` differ in length.
#[inline(always)]
pub fn dot<V: Simd>(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: slices of different lengths");
    let mut acc = [V::ZERO; ACCS];
    let mut a_blocks = a.chunks_exact(ACCS * LANES);
    let mut b_blocks = b.chunks_exact(ACCS * LANES);
    for (ab, bb) in (&mut a_blocks).zip(&mut b_blocks) {
        for (k, s) in acc.iter_mut().enumerate() {
            *s = V::load(&ab[k * LANES..]).mul_add(V::load(&bb[k * LANES..]), *s);
        }
    }
    let mut a_vecs = a_blocks.remainder().chunks_exact(LANES);
    let mut b_vecs = b_blocks.remainder().chunks_exact(LANES);
    for (av, bv) in (&mut a_vecs).zip(&mut b_vecs) {
        acc[0] = V::load(av).mul_add(V::load(bv), acc[0]);
    }
    let tail = scalar::dot(a_vecs.remainder(), b_vecs.remainder());
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add() + tail
}

/// One register tile of a matrix product: `C[i][j] (+)= sum_p A_i[p] B[p][j]`.
///
/// The tile lives in `MR x 2` vector registers for the whole `p` loop; each step loads two
/// vectors of the packed B panel and broadcasts one value of each A row:
///
/// ```text
///             B panel row p:  [ b0 (LANES) | b1 (LANES) ]
///   A_0[p] -> acc[0][0] += A_0[p] * b0    acc[0][1] += A_0[p] * b1
///   A_1[p] -> acc[1][0] += A_1[p] * b0    acc[1][1] += A_1[p] * b1
///     ...                       (MR rows)
/// ```
///
/// Same contract as [`scalar::gemm_tile`]: `a` holds `MR` rows of at least `kc` values, `b`
/// is `kc` rows of `NR`, `c` the tile at row stride `ldc`; `first` overwrites C instead of
/// adding to it.
///
/// # Panics
/// As [`scalar::gemm_tile`].
#[inline(always)]
pub fn gemm_tile<V: Simd>(a: &[&[f32]; MR], b: &[f32], c: &mut [f32], ldc: usize, first: bool) {
    let kc = b.len() / NR;
    let a: [&[f32]; MR] = std::array::from_fn(|i| &a[i][..kc]);
    if V::TILE_ROWS < MR {
        return gemm_tile_in_passes::<V>(&a, b, c, ldc, first);
    }
    let mut acc = [[V::ZERO; 2]; MR];
    for (p, bp) in b.chunks_exact(NR).enumerate() {
        let b0 = V::load(bp);
        let b1 = V::load(&bp[LANES..]);
        for (acc_i, a_i) in acc.iter_mut().zip(&a) {
            let ai = V::splat(a_i[p]);
            acc_i[0] = ai.mul_add(b0, acc_i[0]);
            acc_i[1] = ai.mul_add(b1, acc_i[1]);
        }
    }
    for (i, acc_i) in acc.iter().enumerate() {
        let row = &mut c[i * ldc..i * ldc + NR];
        let (c0, c1) = row.split_at_mut(LANES);
        if first {
            acc_i[0].store(c0);
            acc_i[1].store(c1);
        } else {
            (V::load(c0) + acc_i[0]).store(c0);
            (V::load(c1) + acc_i[1]).store(c1);
        }
    }
}

/// [`gemm_tile`] where the whole tile's accumulators would not fit in the registers: in
/// passes of `V::TILE_ROWS` rows and one vector of columns, each over the whole panel.
///
/// Each C entry is still one fused running sum over `p` in order, so the bits are the whole
/// tile's: AVX2 (passes of 4 rows) gives AVX-512's (one pass). The panel is read once per
/// pass, from L1.
#[inline(always)]
fn gemm_tile_in_passes<V: Simd>(
    a: &[&[f32]; MR],
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
    first: bool,
) {
    const MAX_ROWS: usize = 4;
    let rows = V::TILE_ROWS;
    debug_assert!(rows <= MAX_ROWS && MR.is_multiple_of(rows));
    for half in 0..2 {
        for r0 in (0..MR).step_by(rows) {
            let mut acc = [V::ZERO; MAX_ROWS];
            for (p, bp) in b.chunks_exact(NR).enumerate() {
                let bv = V::load(&bp[half * LANES..]);
                for (acc_r, a_r) in acc[..rows].iter_mut().zip(&a[r0..r0 + rows]) {
                    *acc_r = V::splat(a_r[p]).mul_add(bv, *acc_r);
                }
            }
            for (r, acc_r) in acc[..rows].iter().enumerate() {
                let at = (r0 + r) * ldc + half * LANES;
                let cv = &mut c[at..at + LANES];
                if first {
                    acc_r.store(cv);
                } else {
                    (V::load(cv) + *acc_r).store(cv);
                }
            }
        }
    }
}

/// Lane `i` holds `i`: positions inside a vector, for masks at the ends of a key range.
#[inline(always)]
fn lane_offsets<V: Simd>() -> V {
    V::from_array(std::array::from_fn(|i| i as f32))
}

/// Adds one query's weighted sums over keys `lo..hi`, leaving out index `skip`, to `sums`:
/// the vector twin of [`scalar::pool_sums`].
///
/// Vectors start at multiples of `LANES` (so `keys` and `values` must hold at least
/// `hi.next_multiple_of(LANES)` values: padding past the data is never counted); lanes
/// outside `lo..hi` and the lane of `skip` get weight 0 through a mask, which only the
/// vectors at the ends of the range and the one holding `skip` pay for. Two sets of lane
/// accumulators alternate to hide the add latency; at the end they are summed in a fixed
/// order and added to the f64 `sums`. The caller keeps ranges short (one tile) so that each
/// f32 lane sums few terms.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn pool_sums<V: Simd, K: Radial, const GRAD: bool, const SQUARES: bool>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    sums: &mut Sums,
) {
    if lo >= hi {
        return;
    }
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let keys = &keys[first..end];
    let values = &values[first..end];
    let pv = V::splat(pivot);
    // [z, v, f, fv, e2] for each of the two alternating sets.
    let mut acc = [[V::ZERO; 5]; 2];
    // Positions relative to `first`; `skip` may be far outside (or usize::MAX).
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($j:expr, $acc:expr) => {{
            let j: usize = $j;
            let acc: &mut [V; 5] = $acc;
            let k = V::load(&keys[j..]);
            let v = V::load(&values[j..]);
            let t = k - pv;
            let mut e = kernel.weight_v(anchor, t);
            let mut ef = if GRAD {
                kernel.slope_v(anchor, t, e)
            } else {
                V::ZERO
            };
            if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                // Lane i is key j + i: keep it if lo <= j + i < hi and j + i != skip.
                let keep = keep_mask(offsets, j, lo, hi, skip);
                e = keep.select(e, V::ZERO);
                ef = keep.select(ef, V::ZERO);
            }
            acc[0] += e;
            acc[1] = e.mul_add(v, acc[1]);
            if GRAD {
                acc[2] += ef;
                acc[3] = ef.mul_add(v, acc[3]);
            }
            if SQUARES {
                acc[4] = e.mul_add(e, acc[4]);
            }
        }};
    }
    let mut j = 0;
    let n = keys.len();
    while j + 2 * LANES <= n {
        let [a0, a1] = &mut acc;
        step!(j, a0);
        step!(j + LANES, a1);
        j += 2 * LANES;
    }
    if j < n {
        step!(j, &mut acc[0]);
    }
    macro_rules! total {
        ($i:expr) => {
            f64::from((acc[0][$i] + acc[1][$i]).reduce_add())
        };
    }
    sums.z += total!(0);
    sums.v += total!(1);
    if GRAD {
        sums.f += total!(2);
        sums.fv += total!(3);
    }
    if SQUARES {
        sums.e2 += total!(4);
    }
}

/// Adds one query's local linear moments over keys `lo..hi`, leaving out index `skip`, to
/// `m`: the vector twin of [`scalar::linear_sums`], laid out as [`pool_sums`] (whole vectors
/// from padded storage, masks only at the ends and on `skip`, two alternating sets of lane
/// accumulators summed in a fixed order, then added to the f64 moments).
///
/// The weight and the distance are f32 lanes, as in [`pool_sums`]; the products and the sums
/// are f64 lanes. The solve divides by `D = S0 S2 - S1^2`, which cancels by `S0 S2 / D` (up to
/// `1 / EPS` = 1000, see [`crate::ops::local_linear::EPS`]): f32 products and sums, each
/// rounded to `2^-24`, left `D` with errors up to `~3e-5 S0 S2`, with or without FMA, where
/// f64 leaves `~n 2^-51 S0 S2` over `n` keys for the same cancellation to amplify. Each
/// key's terms are the scalar twin's to the bit (the same f32 `e`, `t`, `v`, widened exactly,
/// and the same products in the same order, never fused), so the twins differ only in the
/// order of the f64 sums.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn linear_sums<V: Simd, K: Radial>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut Moments,
) {
    if lo >= hi {
        return;
    }
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let keys = &keys[first..end];
    let values = &values[first..end];
    let pv = V::splat(pivot);
    // [s0, s1, s2, t0, t1] lane by lane in f64, for each of the two alternating sets.
    let mut acc = [[[0.0f64; LANES]; 5]; 2];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($j:expr, $acc:expr) => {{
            let j: usize = $j;
            let acc: &mut [[f64; LANES]; 5] = $acc;
            let k = V::load(&keys[j..]);
            let v = V::load(&values[j..]);
            let t = k - pv;
            let mut e = kernel.weight_v(anchor, t);
            if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                e = keep_mask(offsets, j, lo, hi, skip).select(e, V::ZERO);
            }
            let (e, t, v) = (e.to_array(), t.to_array(), v.to_array());
            // A fixed-length loop over plain arrays: the compiler widens and multiplies whole
            // vectors of f64 (two per f32 vector).
            for i in 0..LANES {
                let (e, t, v) = (f64::from(e[i]), f64::from(t[i]), f64::from(v[i]));
                let et = e * t;
                acc[0][i] += e;
                acc[1][i] += et;
                acc[2][i] += et * t;
                acc[3][i] += e * v;
                acc[4][i] += et * v;
            }
        }};
    }
    let mut j = 0;
    let n = keys.len();
    while j + 2 * LANES <= n {
        let [a0, a1] = &mut acc;
        step!(j, a0);
        step!(j + LANES, a1);
        j += 2 * LANES;
    }
    if j < n {
        step!(j, &mut acc[0]);
    }
    macro_rules! total {
        ($q:expr) => {
            (0..LANES)
                .map(|i| acc[0][$q][i] + acc[1][$q][i])
                .sum::<f64>()
        };
    }
    m.s0 += total!(0);
    m.s1 += total!(1);
    m.s2 += total!(2);
    m.t0 += total!(3);
    m.t1 += total!(4);
}

/// Keeps lane `i` (of the vector at `j`) if `lo <= j + i < hi` and `j + i != skip`. The bounds
/// are clamped to small integers first, which f32 holds exactly.
#[inline(always)]
fn keep_mask<V: Simd>(offsets: V, j: usize, lo: usize, hi: usize, skip: usize) -> V::Mask {
    let rel = |x: usize| x.wrapping_sub(j).min(LANES + 1) as f32;
    let from = if lo > j { rel(lo) } else { 0.0 };
    offsets.simd_ge(V::splat(from))
        & offsets.simd_lt(V::splat(rel(hi)))
        & offsets.simd_ne(V::splat(rel(skip)))
}

/// The smallest score of one query over keys `lo..hi` in `d` dimensions, leaving out index
/// `skip` (`+inf` when there is none): the first pass of the d-dimensional pooling, the vector
/// twin of [`scalar::min_score_nd`].
///
/// `panels` holds the keys in blocks of `LANES`, each `d` vectors of scaled coordinates then
/// one of values (`(d + 1) LANES` floats, see [`crate::ops::pool_nd`]); `q` the query's `d`
/// scaled coordinates. Lanes outside the range score `+inf`. A minimum is exact, so the
/// result does not depend on how the keys are visited.
#[inline(always)]
pub fn min_score_nd<V: Simd, K: Product, D: Dims>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
) -> f32 {
    if lo >= hi {
        return f32::INFINITY;
    }
    let d = dims.get();
    let stride = (d + 1) * LANES;
    let q = &q[..d];
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let blocks = &panels[first / LANES * stride..end / LANES * stride];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    let inf = V::splat(f32::INFINITY);
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($block:expr, $j:expr, $m:expr) => {{
            let block: &[f32] = $block;
            let j: usize = $j;
            let m: &mut V = $m;
            let mut s = score_v::<K, V>(&block[..d * LANES], q);
            if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                s = keep_mask(offsets, j, lo, hi, skip).select(s, inf);
            }
            *m = m.fast_min(s);
        }};
    }
    let (mut m0, mut m1) = (inf, inf);
    let mut pairs = blocks.chunks_exact(2 * stride);
    let mut j = 0;
    for pair in &mut pairs {
        let (a, b) = pair.split_at(stride);
        step!(a, j, &mut m0);
        step!(b, j + LANES, &mut m1);
        j += 2 * LANES;
    }
    if !pairs.remainder().is_empty() {
        step!(pairs.remainder(), j, &mut m0);
    }
    m0.fast_min(m1)
        .to_array()
        .iter()
        .fold(f32::INFINITY, |a, &b| a.min(b))
}

/// Adds one query's weighted sums over keys `lo..hi` in `d` dimensions, leaving out index
/// `skip`, to `sums` (and with `GRAD`, each dimension's slope sums `f_l, fv_l` to
/// `grads[2 l], grads[2 l + 1]`): the second pass of the d-dimensional pooling, the vector twin
/// of [`scalar::pool_sums_nd`].
///
/// The layout is [`min_score_nd`]'s; `smin` is the query's smallest score (for the
/// whole-line kernels, which weigh keys relative to the nearest one). Lanes outside the range
/// and the lane of `skip` get weight 0 through a mask, paid only at the ends. The two sets of
/// lane accumulators alternate by the *absolute* position of a vector, and a key outside the
/// range adds an exact 0, so a range that also covers keys of weight 0 gives the same bits:
/// pruning them changes nothing. `scratch` holds at least `5 d` vectors when `GRAD`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn pool_sums_nd<V: Simd, K: Product, D: Dims, const GRAD: bool, const SQUARES: bool>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    smin: f32,
    (lo, hi): (usize, usize),
    skip: usize,
    sums: &mut Sums,
    grads: &mut [f64],
    scratch: &mut [V],
) {
    if lo >= hi {
        return;
    }
    let d = dims.get();
    let stride = (d + 1) * LANES;
    let q = &q[..d];
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let blocks = &panels[first / LANES * stride..end / LANES * stride];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    let smin = V::splat(smin);
    // [f_0, fv_0, f_1, fv_1, ...], then the slopes of one block, then the kernel's scratch.
    let (gacc, rest) = scratch.split_at_mut(if GRAD { 2 * d } else { 0 });
    let (ef, buf) = rest.split_at_mut(if GRAD { d } else { 0 });
    gacc.fill(V::ZERO);
    // [z, v, e2].
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($block:expr, $j:expr, $acc:expr) => {{
            let block: &[f32] = $block;
            let j: usize = $j;
            let acc: &mut [V; 3] = $acc;
            let (c, v) = block.split_at(d * LANES);
            let v = V::load(v);
            let mut e = K::weight_v(c, q, smin);
            let keep = if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                Some(keep_mask(offsets, j, lo, hi, skip))
            } else {
                None
            };
            if let Some(keep) = keep {
                e = keep.select(e, V::ZERO);
            }
            acc[0] += e;
            acc[1] = e.mul_add(v, acc[1]);
            if SQUARES {
                acc[2] = e.mul_add(e, acc[2]);
            }
            if GRAD {
                K::slopes_v(c, q, e, ef, buf);
                for (g, &f) in gacc.chunks_exact_mut(2).zip(ef.iter()) {
                    let f = match keep {
                        Some(k) => k.select(f, V::ZERO),
                        None => f,
                    };
                    g[0] += f;
                    g[1] = f.mul_add(v, g[1]);
                }
            }
        }};
    }
    let (mut a0, mut a1) = ([V::ZERO; 3], [V::ZERO; 3]);
    let mut rest = blocks;
    let mut j = 0;
    if (first / LANES) % 2 == 1 {
        let (head, tail) = rest.split_at(stride);
        step!(head, 0, &mut a1);
        rest = tail;
        j = LANES;
    }
    let mut pairs = rest.chunks_exact(2 * stride);
    for pair in &mut pairs {
        let (a, b) = pair.split_at(stride);
        step!(a, j, &mut a0);
        step!(b, j + LANES, &mut a1);
        j += 2 * LANES;
    }
    if !pairs.remainder().is_empty() {
        step!(pairs.remainder(), j, &mut a0);
    }
    macro_rules! total {
        ($i:expr) => {
            f64::from((a0[$i] + a1[$i]).reduce_add())
        };
    }
    sums.z += total!(0);
    sums.v += total!(1);
    if SQUARES {
        sums.e2 += total!(2);
    }
    if GRAD {
        for (g, a) in grads.iter_mut().zip(gacc.iter()) {
            *g += f64::from(a.reduce_add());
        }
    }
}

/// Adds one query's local linear moments over keys `lo..hi` in `d` dimensions, leaving out
/// index `skip`, to `m`: the vector twin of [`scalar::linear_sums_nd`], laid out as
/// [`pool_sums_nd`] (masks at the ends and on `skip`).
///
/// Weights and offsets are f32 lanes (the same bits as the twin's); the products and sums are
/// f64 lanes, for the reason [`linear_sums`] gives. A lane of weight 0 adds exact zeros (its
/// offset is replaced by 0 first: a far key's offset may be huge). Each key's terms are the
/// twin's to the bit and are added as the twin adds them (each product fused into its sum
/// exactly when the twin's [`scalar::fma64`] fuses); only the order of the f64 sums differs.
///
/// The dimensions the kernels are compiled for (`Dims::FIXED` = 1, 2, 3, 4, 8) keep the
/// moments in registers (`linear_sums_fixed`); any other `d` takes a loop over run-time
/// indices that keeps them in `acc`, which holds at least
/// `2 linear_nd_len(d) + 2 (d + 1)` lane arrays of scratch (unused for the fixed ones).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn linear_sums_nd<V: Simd, K: Product, D: Dims>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    smin: f32,
    range: (usize, usize),
    skip: usize,
    m: &mut [f64],
    acc: &mut [[f64; LANES]],
) {
    use scalar::linear_nd_len as len;
    match D::FIXED {
        1 => linear_sums_fixed::<V, K, 1, { len(1) }>(panels, q, smin, range, skip, m),
        2 => linear_sums_fixed::<V, K, 2, { len(2) }>(panels, q, smin, range, skip, m),
        3 => linear_sums_fixed::<V, K, 3, { len(3) }>(panels, q, smin, range, skip, m),
        4 => linear_sums_fixed::<V, K, 4, { len(4) }>(panels, q, smin, range, skip, m),
        8 => linear_sums_fixed::<V, K, 8, { len(8) }>(panels, q, smin, range, skip, m),
        _ => linear_sums_dyn::<V, K, D>(dims, panels, q, smin, range, skip, m, acc),
    }
}

/// [`linear_sums_nd`] for `D` dimensions known when compiled, with its `N =
/// linear_nd_len(D)` moments in f64 vector registers for the whole range, added to `m` once
/// at the end.
///
/// Each block of `LANES` keys is widened to f64 in two halves of `HALF` lanes, and both
/// halves add into the same `N` accumulators, the lower half first:
///
/// ```text
///   block j: e, v, t_1..t_D (f32 x LANES)  ->  widen  ->  [lanes 0..HALF | lanes HALF..LANES]
///   for each half h:   ex_a = e t_a              (exact: 24 x 24 bits)
///     acc[0]            += e                     M_00
///     acc[1..=D]        += ex_b                  M_0b
///     acc[..]           += ex_a t_b   (a <= b)   M_ab, row by row   (fused)
///     acc[..]           += e v, ex_a v           T_0, T_a           (fused)
/// ```
///
/// (`e` and `ex_b` are the twin's `e 1` and `ex_0 t_b`, exact products, so adding them is the
/// twin's fused step.) The fused steps matter on Zen 4, whose f64 adds, with the widening,
/// are the busier pipes: measured 12% faster for `D` = 2.
///
/// So lane `i` of a moment sums the keys `i, i + HALF, i + LANES, ..` of the range in order,
/// from absolute block positions: a key outside the range adds an exact 0, so pruning keys of
/// weight 0 changes no bits, and the `N` independent chains hide the add latency without a
/// second set (which would not fit in the registers for `D` = 3 and 4 with AVX-512).
#[inline(always)]
fn linear_sums_fixed<V: Simd, K: Product, const D: usize, const N: usize>(
    panels: &[f32],
    q: &[f32],
    smin: f32,
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut [f64],
) {
    const { assert!(N == scalar::linear_nd_len(D)) };
    if lo >= hi {
        return;
    }
    let stride = (D + 1) * LANES;
    let q: &[f32; D] = q[..D].try_into().expect("a query has D coordinates");
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let blocks = &panels[first / LANES * stride..end / LANES * stride];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    let smin = V::splat(smin);
    let mut acc = [V::F64::ZERO; N];
    for (b, block) in blocks.chunks_exact(stride).enumerate() {
        let j = b * LANES;
        let (c, v) = block.split_at(D * LANES);
        let mut e = K::weight_v(c, q, smin);
        if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
            e = keep_mask(offsets, j, lo, hi, skip).select(e, V::ZERO);
        }
        let live = e.simd_gt(V::ZERO);
        // Loops, not `array::from_fn`: no closure may hold vector operations.
        let mut t = [[V::F64::ZERO; 2]; D];
        for (a, ta) in t.iter_mut().enumerate() {
            let ti = V::load(&c[a * LANES..]) - V::splat(q[a]);
            *ta = live.select(ti, V::ZERO).widen();
        }
        let (e, v) = (e.widen(), V::load(v).widen());
        for h in 0..2 {
            let mut ex = [V::F64::ZERO; D];
            for (x, ta) in ex.iter_mut().zip(&t) {
                *x = e[h] * ta[h];
            }
            acc[0] += e[h];
            let mut k = 1;
            for &exb in &ex {
                acc[k] += exb;
                k += 1;
            }
            for (a, &exa) in ex.iter().enumerate() {
                for tb in &t[a..] {
                    acc[k] = exa.mul_add(tb[h], acc[k]);
                    k += 1;
                }
            }
            acc[k] = e[h].mul_add(v[h], acc[k]);
            k += 1;
            for &exa in &ex {
                acc[k] = exa.mul_add(v[h], acc[k]);
                k += 1;
            }
        }
    }
    for (mk, a) in m[..N].iter_mut().zip(&acc) {
        *mk += a.reduce_add();
    }
}

/// [`linear_sums_nd`] for any `d`: the same terms, added the same way, with the moments in
/// `acc` at run-time indices and two sets of lane accumulators alternating by a vector's absolute position.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn linear_sums_dyn<V: Simd, K: Product, D: Dims>(
    dims: D,
    panels: &[f32],
    q: &[f32],
    smin: f32,
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut [f64],
    acc: &mut [[f64; LANES]],
) {
    if lo >= hi {
        return;
    }
    let d = dims.get();
    let p = d + 1;
    let len = scalar::linear_nd_len(d);
    let stride = (d + 1) * LANES;
    let q = &q[..d];
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let blocks = &panels[first / LANES * stride..end / LANES * stride];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    let smin = V::splat(smin);
    let (sets, xs) = acc[..2 * len + 2 * p].split_at_mut(2 * len);
    sets.fill([0.0; LANES]);
    let (a0, a1) = sets.split_at_mut(len);
    let (x, ex) = xs.split_at_mut(p);
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($block:expr, $j:expr, $acc:expr) => {{
            let block: &[f32] = $block;
            let j: usize = $j;
            let acc: &mut [[f64; LANES]] = $acc;
            let (c, v) = block.split_at(d * LANES);
            let mut e = K::weight_v(c, q, smin);
            if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                e = keep_mask(offsets, j, lo, hi, skip).select(e, V::ZERO);
            }
            let (e, v) = (e.to_array(), V::load(v));
            let v = v.to_array();
            for i in 0..LANES {
                x[0][i] = 1.0;
                ex[0][i] = f64::from(e[i]);
            }
            for jd in 0..d {
                let t = V::load(&c[jd * LANES..]) - V::splat(q[jd]);
                let t = t.to_array();
                for i in 0..LANES {
                    x[jd + 1][i] = if e[i] > 0.0 { f64::from(t[i]) } else { 0.0 };
                    ex[jd + 1][i] = ex[0][i] * x[jd + 1][i];
                }
            }
            let mut idx = 0;
            for (a, ea) in ex.iter().enumerate() {
                for xb in &x[a..] {
                    for i in 0..LANES {
                        acc[idx][i] = scalar::fma64(ea[i], xb[i], acc[idx][i]);
                    }
                    idx += 1;
                }
            }
            for a in 0..p {
                for i in 0..LANES {
                    acc[idx + a][i] = scalar::fma64(ex[a][i], f64::from(v[i]), acc[idx + a][i]);
                }
            }
        }};
    }
    let mut rest = blocks;
    let mut j = 0;
    if (first / LANES) % 2 == 1 {
        let (head, tail) = rest.split_at(stride);
        step!(head, 0, a1);
        rest = tail;
        j = LANES;
    }
    let mut pairs = rest.chunks_exact(2 * stride);
    for pair in &mut pairs {
        let (a, b) = pair.split_at(stride);
        step!(a, j, a0);
        step!(b, j + LANES, a1);
        j += 2 * LANES;
    }
    if !pairs.remainder().is_empty() {
        step!(pairs.remainder(), j, a0);
    }
    for (k, mk) in m[..len].iter_mut().enumerate() {
        *mk += (0..LANES).map(|i| a0[k][i] + a1[k][i]).sum::<f64>();
    }
}

/// Adds one query's local quadratic moments over keys `lo..hi`, leaving out index `skip`, to
/// `m = [S0, .., S4, T0, T1, T2]`: the vector twin of [`scalar::quadratic_sums`], laid out as
/// [`linear_sums`] (f32 weights and distances, f64 products and sums, each key's terms the
/// twin's to the bit).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn quadratic_sums<V: Simd, K: Radial>(
    kernel: &K,
    anchor: &K::Anchor,
    pivot: f32,
    keys: &[f32],
    values: &[f32],
    (lo, hi): (usize, usize),
    skip: usize,
    m: &mut [f64; 8],
) {
    if lo >= hi {
        return;
    }
    let first = lo - lo % LANES;
    let end = hi.next_multiple_of(LANES);
    let keys = &keys[first..end];
    let values = &values[first..end];
    let pv = V::splat(pivot);
    let mut acc = [[[0.0f64; LANES]; 8]; 2];
    let (lo, hi) = (lo - first, hi - first);
    let skip = skip.wrapping_sub(first);
    let offsets = lane_offsets::<V>();
    // A macro, not a closure: a closure is a function of its own, which LLVM may leave
    // out of line without the level's instructions (see `isa::Task`).
    macro_rules! step {
        ($j:expr, $acc:expr) => {{
            let j: usize = $j;
            let acc: &mut [[f64; LANES]; 8] = $acc;
            let k = V::load(&keys[j..]);
            let v = V::load(&values[j..]);
            let t = k - pv;
            let mut e = kernel.weight_v(anchor, t);
            if j < lo || j + LANES > hi || skip.wrapping_sub(j) < LANES {
                e = keep_mask(offsets, j, lo, hi, skip).select(e, V::ZERO);
            }
            let (e, t, v) = (e.to_array(), t.to_array(), v.to_array());
            for i in 0..LANES {
                let (e, t, v) = (f64::from(e[i]), f64::from(t[i]), f64::from(v[i]));
                let et = e * t;
                let et2 = et * t;
                let et3 = et2 * t;
                acc[0][i] += e;
                acc[1][i] += et;
                acc[2][i] += et2;
                acc[3][i] += et3;
                acc[4][i] += et3 * t;
                acc[5][i] += e * v;
                acc[6][i] += et * v;
                acc[7][i] += et2 * v;
            }
        }};
    }
    let mut j = 0;
    let n = keys.len();
    while j + 2 * LANES <= n {
        let [a0, a1] = &mut acc;
        step!(j, a0);
        step!(j + LANES, a1);
        j += 2 * LANES;
    }
    if j < n {
        step!(j, &mut acc[0]);
    }
    for (q, mq) in m.iter_mut().enumerate() {
        *mq += (0..LANES).map(|i| acc[0][q][i] + acc[1][q][i]).sum::<f64>();
    }
}

/// The slice-level vector kernels on one level, for callers outside the fused ops: the
/// softmax op, the tests that hold each level against the scalar twins, and the benches.
///
/// Each call is one dispatch ([`isa::run_on`]): a level the CPU lacks runs on the highest
/// level below it that it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct On(pub Level);

impl On {
    /// The active level ([`Level::active`]).
    pub fn active() -> On {
        On(Level::active())
    }

    /// `out_i = e^x_i` (for `x_i <= 0`): [`exp`] on whole vectors, the scalar twin on the
    /// tail.
    ///
    /// # Panics
    /// If `x` and `out` differ in length.
    pub fn exp(self, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), out.len(), "exp: slices of different lengths");
        isa::run_on(
            self.0,
            Map {
                x,
                out,
                f: Elementwise::Exp,
            },
        );
    }

    /// `out_i = 2^x_i` (for `x_i <= 0`): [`exp2`] on whole vectors, the scalar twin on the
    /// tail.
    ///
    /// # Panics
    /// If `x` and `out` differ in length.
    pub fn exp2(self, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), out.len(), "exp2: slices of different lengths");
        isa::run_on(
            self.0,
            Map {
                x,
                out,
                f: Elementwise::Exp2,
            },
        );
    }

    /// Softmax of every `cols`-long row of `data`, in place ([`softmax_row`] on each).
    ///
    /// # Panics
    /// If `cols` is 0 while `data` is not empty.
    pub fn softmax_rows(self, data: &mut [f32], cols: usize) {
        isa::run_on(self.0, Softmax { data, cols });
    }

    /// `sum_i a_i b_i` ([`dot`]).
    ///
    /// # Panics
    /// If `a` and `b` differ in length.
    pub fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        isa::run_on(self.0, Dot { a, b })
    }

    /// One register tile of a matrix product ([`gemm_tile`], same contract).
    ///
    /// # Panics
    /// As [`scalar::gemm_tile`].
    pub fn gemm_tile(self, a: &[&[f32]; MR], b: &[f32], c: &mut [f32], ldc: usize, first: bool) {
        isa::run_on(
            self.0,
            Tile {
                a,
                b,
                c,
                ldc,
                first,
            },
        );
    }
}

/// Which elementwise kernel [`Map`] applies.
#[derive(Clone, Copy)]
enum Elementwise {
    Exp,
    Exp2,
}

/// An elementwise kernel from one slice to another of the same length.
struct Map<'a> {
    x: &'a [f32],
    out: &'a mut [f32],
    f: Elementwise,
}

impl Task for Map<'_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let whole = self.x.len() - self.x.len() % LANES;
        let (x, x_tail) = self.x.split_at(whole);
        let (out, out_tail) = self.out.split_at_mut(whole);
        let vectors = x.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES));
        // Loops, one per kernel: no closure or function pointer may hold a vector kernel.
        match self.f {
            Elementwise::Exp => {
                for (i, o) in vectors {
                    exp(V::load(i)).store(o);
                }
                for (o, &i) in out_tail.iter_mut().zip(x_tail) {
                    *o = scalar::exp(i);
                }
            }
            Elementwise::Exp2 => {
                for (i, o) in vectors {
                    exp2(V::load(i)).store(o);
                }
                for (o, &i) in out_tail.iter_mut().zip(x_tail) {
                    *o = scalar::exp2(i);
                }
            }
        }
    }
}

/// Row softmax over a block of rows.
struct Softmax<'a> {
    data: &'a mut [f32],
    cols: usize,
}

impl Task for Softmax<'_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        for row in self.data.chunks_mut(self.cols) {
            softmax_row::<V>(row);
        }
    }
}

/// One dot product.
struct Dot<'a> {
    a: &'a [f32],
    b: &'a [f32],
}

impl Task for Dot<'_> {
    type Output = f32;

    #[inline(always)]
    fn run<V: Simd>(self) -> f32 {
        dot::<V>(self.a, self.b)
    }
}

/// One register tile.
struct Tile<'a, 'r> {
    a: &'a [&'r [f32]; MR],
    b: &'a [f32],
    c: &'a mut [f32],
    ldc: usize,
    first: bool,
}

impl Task for Tile<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        gemm_tile::<V>(self.a, self.b, self.c, self.ldc, self.first);
    }
}
