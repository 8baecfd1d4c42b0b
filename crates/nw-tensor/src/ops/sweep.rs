//! Exact pooling of one input in near-linear time: sorted sweeps over prefix sums.
//!
//! The direct path ([`super::pool`]) visits every key within a query's reach, which at a
//! million keys and a wide bandwidth is a million pairs per query. Here every kernel is a
//! short sum of separable terms ([`Separable`]): a query's sums over any run of sorted keys
//! are dot products of a few coefficients with differences of prefix sums, so a query costs
//! two binary searches and a handful of segments, whatever the bandwidth.
//!
//! # How
//! 1. **Ties** are grouped once ([`Groups`]): each distinct input with its count and the sum
//!    of its values, so every later step costs in distinct inputs, not rows.
//! 2. **Segments.** For a bandwidth `h`, the inputs are cut into segments of a fixed width
//!    (one bandwidth; half one for the Gaussian) on a grid, and each input is measured from
//!    its segment's centre: `b = (x - c) / h`, `|b| <= 1/2`. Features of `b` (powers,
//!    exponentials) stay small, so sums of them lose nothing to cancellation, however far the
//!    inputs lie from zero (`1e6 + small offsets` is as accurate as `small offsets`).
//! 3. **Prefix sums** of count x feature and value-sum x feature restart at each segment and
//!    are compensated (Neumaier), in f64.
//! 4. **Queries.** A query's window (compact kernels: `|x - q| <= h`; whole-line kernels: the
//!    keys that weigh at least `2^-64` of the nearest, as on the direct path) is cut by
//!    segments (and at the query, for kernels that differ on its two sides) into pieces; each
//!    piece is one difference of prefix sums per feature, times coefficients of
//!    `a = (q - c) / h`.
//!
//! # Accuracy, bounded by construction
//! Each query carries a bound on its rounding error, from the magnitudes of the prefix sums
//! it differenced (a narrow window at the end of a crowded segment loses the digits the
//! segment has over the window). A query whose bound exceeds [`TOLERANCE`] of its own
//! normalizer, and a query too far from every key for the Gaussian's transform
//! (`GAUSS_NEAREST` = 4 bandwidths), is summed directly in f64 over its window instead. So
//! every prediction is within about `1e-7` of its f64 value relative to the scale of the
//! values it averages.
//!
//! # The Gaussian
//! No finite sum of separable terms is the Gaussian. It takes a fast Gauss transform
//! (`ops::fgt`, Greengard and Strain): Hermite moments of the keys in half-bandwidth cells,
//! turned into one Taylor polynomial per cell of queries. Its truncation is bounded by
//! Cramér's inequality at `1e-10` of an envelope each query computes, and the same rule sends
//! a query to the direct f64 sum when that bound is not small beside its own sum.
//!
//! # Leave-one-out
//! Every input's full sums are computed once; row `i` then leaves only itself out:
//! `z - K(0)`, `v - y_i` (equal inputs stay in, as statsmodels defines it). When the rest is
//! small beside the row's own weight (an isolated example), the subtraction would cancel; the
//! bound catches it and that example is summed directly without its row.
//!
//! # Determinism
//! Each query is computed on its own from the same prefix sums, so results are the same bits
//! on any number of threads.

use rayon::prelude::*;

use super::fgt::{self, Expansions, Target};
use super::pool::{self, LooFit, Pooled, Row, SortedKeys, gallop};
use crate::Par;
use crate::error::Result;
use crate::kernels::isa::{self, Simd, Task};
use crate::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use crate::kernels::scalar::EXP2_FLUSH_BELOW;
use crate::kernels::separable::{Functional, Separable, Side, profile, slope_profile};

/// A query is summed directly when its rounding bound exceeds this share of its normalizer
/// (and of its weighted values' scale).
pub const TOLERANCE: f64 = 1e-7;

/// Queries per parallel task.
const BLOCK: usize = 256;

/// How many segment grid cells a sweep may index: beyond, the bandwidth is so small beside the
/// inputs' span that the direct path is the right one anyway.
const MAX_CELLS: f64 = 1e15;

/// Which exact method pools one input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    /// The faster of the two for the data and bandwidth, by [`sweep_pays`]' cost model.
    #[default]
    Auto,
    /// Every query-key pair within reach ([`super::pool`]).
    Direct,
    /// Sorted sweeps over prefix sums (this module).
    Sweep,
}

impl Algorithm {
    /// The lower-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Auto => "auto",
            Algorithm::Direct => "direct",
            Algorithm::Sweep => "sweep",
        }
    }

    /// Whether to sweep `kind` at bandwidth `h` over `keys` for `queries` queries: `Sweep`
    /// always, `Direct` never, `Auto` when [`sweep_pays`].
    pub fn sweeps(self, kind: KernelKind, h: f32, keys: &SortedKeys, queries: usize) -> bool {
        match self {
            Algorithm::Auto => sweep_pays(kind, h, keys, queries),
            Algorithm::Direct => false,
            Algorithm::Sweep => true,
        }
    }
}

/// The distinct inputs of a sorted training set, each with its count and the sum of its
/// values: what every sweep runs over.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// Distinct inputs, ascending.
    pub(crate) x: Vec<f32>,
    /// How many rows share each.
    pub(crate) count: Vec<f64>,
    /// The sum of their values, in f64.
    pub(crate) sum: Vec<f64>,
    /// The largest `|value|` among them.
    pub(crate) vmax: Vec<f64>,
    /// The group of each sorted row.
    group_of: Vec<u32>,
    /// The least and greatest value: every weighted mean lies between.
    range: (f64, f64),
}

impl Groups {
    /// Groups the equal inputs of `keys`.
    pub fn new(keys: &SortedKeys) -> Groups {
        let (xs, vs) = (keys.keys(), keys.values());
        let n = xs.len();
        let mut g = Groups {
            x: Vec::with_capacity(n),
            count: Vec::with_capacity(n),
            sum: Vec::with_capacity(n),
            vmax: Vec::with_capacity(n),
            group_of: Vec::with_capacity(xs.len()),
            range: (f64::INFINITY, f64::NEG_INFINITY),
        };
        for (&x, &v) in xs.iter().zip(vs) {
            let v = f64::from(v);
            if g.x.last() != Some(&x) {
                g.x.push(x);
                g.count.push(0.0);
                g.sum.push(0.0);
                g.vmax.push(0.0);
            }
            let last = g.x.len() - 1;
            g.count[last] += 1.0;
            g.sum[last] += v;
            g.vmax[last] = g.vmax[last].max(v.abs());
            g.group_of.push(last as u32);
            g.range = (g.range.0.min(v), g.range.1.max(v));
        }
        g
    }

    /// The number of distinct inputs.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The distance from `q` to its nearest input, in f32 as the direct path measures it,
    /// leaving out group `skip` when it holds a single row (`usize::MAX`: none), and where `q`
    /// falls among the inputs (the first not below it); `hint` is a guess of the latter.
    #[inline(always)]
    fn nearest(&self, q: f32, skip: usize, hint: usize) -> (f32, usize) {
        let p = gallop(&self.x, hint, |k| k < q);
        let alone = |j: usize| j == skip && self.count[j] <= 1.0;
        let below = (0..p).rev().find(|&j| !alone(j));
        let above = (p..self.x.len()).find(|&j| !alone(j));
        let dmin = [below, above]
            .into_iter()
            .flatten()
            .map(|j| (q - self.x[j]).abs())
            .fold(f32::NAN, |m, d| if m.is_nan() || d < m { d } else { m });
        (dmin, p)
    }
}

/// The sorted sweep's cost model: true when sweeping `kind` at `h` over `keys` for `queries`
/// queries should beat the direct path.
///
/// The direct path costs about one unit per query and key in reach; a sweep costs `n F` to
/// build its prefix sums (F features) and, per query, two binary searches and a few pieces of
/// `F` terms (the Gaussian: ~`43 F` for its ~43 segments in reach). Measured on this
/// project's machine (see `docs/architecture.md`), a direct pair costs about a tenth of a
/// sweep feature term, so the sweep pays once a query reaches more keys than ~10 times its
/// own terms.
pub fn sweep_pays(kind: KernelKind, h: f32, keys: &SortedKeys, queries: usize) -> bool {
    let n = keys.len() as f64;
    let span = span(keys);
    if !sweepable(h, keys) || span <= 0.0 {
        return false;
    }
    let h = f64::from(h);
    let m = queries as f64;
    // Keys a query reaches directly: within h, or ~9.4 h (Gaussian) / 44 h (Laplace).
    let reach = match kind {
        KernelKind::Gaussian => 9.5,
        KernelKind::Laplace => 45.0,
        _ => 1.0,
    };
    let direct = m * (DIRECT_QUERY_NS + n * (2.0 * reach * h / span).min(1.0) * DIRECT_PAIR_NS);
    let sweep = match kind {
        KernelKind::Gaussian => {
            // Occupied half-bandwidth cells, each a target of ~43 source cells of P^2 terms.
            let cells = (2.0 * span / h + 1.0).min(n + m);
            n * 20.0 + cells * FGT_CELL_NS + m * 100.0
        }
        _ => {
            let f = Separable::new(kind, 0).map_or(1.0, |s| s.features() as f64);
            let pieces = if kind == KernelKind::Laplace {
                14.0
            } else {
                3.0
            };
            n * 10.0 * f + m * (SWEEP_QUERY_NS + pieces * 8.0 * f)
        }
    };
    sweep < direct
}

/// Whether a sweep can index the keys' span at bandwidth `h`: a finite positive bandwidth,
/// with at most [`MAX_CELLS`] segments across the span. Otherwise the sweeps hand the work to
/// the direct path, which serves every bandwidth.
fn sweepable(h: f32, keys: &SortedKeys) -> bool {
    h.is_finite() && h > 0.0 && span(keys) / f64::from(h) <= MAX_CELLS
}

/// The span of the sorted keys, in f64 (0 with fewer than two).
fn span(keys: &SortedKeys) -> f64 {
    match (keys.keys().first(), keys.keys().last()) {
        (Some(&a), Some(&b)) => f64::from(b) - f64::from(a),
        _ => 0.0,
    }
}

/// The direct path's pooling, for a request a sweep hands on ([`KernelKind::visit`]).
struct HandPool<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for HandPool<'_> {
    type Output = Pooled;
    fn visit<K: Bandwidth>(self, kernel: K) -> Pooled {
        pool::pool(&kernel, self.queries, self.keys, self.par)
    }
}

/// The direct path's leave-one-out pass, for a request a sweep hands on.
struct HandLoo<'a> {
    data: &'a SortedKeys,
    par: Par,
    grad: bool,
}

impl KernelVisitor for HandLoo<'_> {
    type Output = Result<LooFit>;
    fn visit<K: Bandwidth>(self, kernel: K) -> Result<LooFit> {
        if self.grad {
            pool::loo(&kernel, self.data, self.par)
        } else {
            pool::loo_cv(&kernel, self.data, self.par)
        }
    }
}

/// The direct path's cost per query-key pair in reach, in ns (one core; `cargo run --release
/// -p nw-tensor --example sweep_rate` measures both paths).
const DIRECT_PAIR_NS: f64 = 0.25;
/// A direct query's plan: three binary searches over all the keys, from scratch, in ns.
const DIRECT_QUERY_NS: f64 = 150.0;
/// A sweep query's searches and bookkeeping, in ns.
const SWEEP_QUERY_NS: f64 = 100.0;
/// A fast Gauss transform target cell: ~43 source cells of `2 P^2` multiply-adds, in ns.
const FGT_CELL_NS: f64 = 12_000.0;

/// The prefix sums of one bandwidth: segments, features and their in-segment sums.
struct Prefix<'a> {
    groups: &'a Groups,
    kind: KernelKind,
    /// The kernel's separable form (none for the Gaussian, which has `fgt`).
    sep: Option<Separable>,
    h: f64,
    /// Features per group.
    f: usize,
    /// Bounds of each feature's magnitude.
    bounds: Vec<f64>,
    /// The segment of each group.
    seg_of: Vec<u32>,
    /// The first group of each segment, then the number of groups.
    seg_first: Vec<usize>,
    /// Each segment's centre.
    centre: Vec<f64>,
    /// The largest `|value|` in each segment.
    seg_vmax: Vec<f64>,
    /// In-segment prefix sums (inclusive) of count x feature, `f` per group.
    pz: Vec<f64>,
    /// ... and of value-sum x feature.
    pv: Vec<f64>,
    /// In-segment prefix counts.
    pc: Vec<f64>,
    /// Whether queries also sum the kernel's slopes (for gradients).
    grad: bool,
    /// The Gaussian's fast Gauss transform, which replaces the prefix sums.
    fgt: Option<Expansions>,
}

impl<'a> Prefix<'a> {
    fn new(kind: KernelKind, h: f32, groups: &'a Groups, grad: bool, par: Par) -> Prefix<'a> {
        let sep = Separable::new(kind, 0);
        let f = sep.as_ref().map_or(0, Separable::features);
        let mut bounds = vec![0.0; f];
        if let Some(sep) = &sep {
            sep.feature_bounds(&mut bounds);
        }
        let h = f64::from(h);
        let width = sep.as_ref().map_or(1.0, Separable::width) * h;
        let gaussian = kind == KernelKind::Gaussian;
        let n = if gaussian { 0 } else { groups.len() };
        let x0 = groups.x.first().map_or(0.0, |&x| f64::from(x));
        let mut p = Prefix {
            groups,
            kind,
            sep,
            h,
            f,
            bounds,
            seg_of: Vec::with_capacity(n),
            seg_first: Vec::new(),
            centre: Vec::new(),
            seg_vmax: Vec::new(),
            pz: vec![0.0; n * f],
            pv: vec![0.0; n * f],
            pc: vec![0.0; n],
            grad,
            fgt: gaussian.then(|| Expansions::new(groups, h)),
        };
        if gaussian {
            return p;
        }
        let mut cell_of_last = f64::NAN;
        for (g, &x) in groups.x.iter().enumerate() {
            let cell = ((f64::from(x) - x0) / width).floor();
            if cell != cell_of_last {
                cell_of_last = cell;
                p.seg_first.push(g);
                p.centre.push(x0 + (cell + 0.5) * width);
                p.seg_vmax.push(0.0);
            }
            let s = p.centre.len() - 1;
            p.seg_of.push(s as u32);
            p.seg_vmax[s] = p.seg_vmax[s].max(groups.vmax[g]);
        }
        p.seg_first.push(n);
        // Each segment's prefix sums on their own: segments in parallel, each in order.
        let mut chunks: Vec<Chunk<'_>> = Vec::new();
        {
            let (mut pz, mut pv, mut pc) = (&mut p.pz[..], &mut p.pv[..], &mut p.pc[..]);
            for w in p.seg_first.windows(2) {
                let len = w[1] - w[0];
                let (a, rest_z) = std::mem::take(&mut pz).split_at_mut(len * f);
                let (b, rest_v) = std::mem::take(&mut pv).split_at_mut(len * f);
                let (c, rest_c) = std::mem::take(&mut pc).split_at_mut(len);
                chunks.push((w[0], a, b, c));
                (pz, pv, pc) = (rest_z, rest_v, rest_c);
            }
        }
        let Some(sep) = &p.sep else {
            return p;
        };
        let (centre, seg_of) = (&p.centre, &p.seg_of);
        let build = |(first, z, v, c): Chunk<'_>| {
            let centre = centre[seg_of[first] as usize];
            let mut beta = vec![0.0; f];
            let (mut sz, mut cz) = (vec![0.0; f], vec![0.0; f]);
            let (mut sv, mut cv) = (vec![0.0; f], vec![0.0; f]);
            let mut count = 0.0;
            for (i, cnt) in c.iter_mut().enumerate() {
                let g = first + i;
                let b = (f64::from(groups.x[g]) - centre) / h;
                sep.feature_values(b, &mut beta);
                count += groups.count[g];
                *cnt = count;
                for k in 0..f {
                    neumaier(&mut sz[k], &mut cz[k], groups.count[g] * beta[k]);
                    neumaier(&mut sv[k], &mut cv[k], groups.sum[g] * beta[k]);
                    z[i * f + k] = sz[k] + cz[k];
                    v[i * f + k] = sv[k] + cv[k];
                }
            }
        };
        if par.is_parallel() {
            chunks.into_par_iter().for_each(build);
        } else {
            chunks.into_iter().for_each(build);
        }
        p
    }

    /// `sum_f alpha_f (sum of beta_f)` over groups `start..end` of segment `s`, for counts
    /// and for values.
    #[inline(always)]
    fn piece(&self, alpha: &[f64], start: usize, end: usize, s: usize) -> [f64; 2] {
        let f = self.f;
        let (last, before) = (
            end - 1,
            start.checked_sub(1).filter(|&b| b >= self.seg_first[s]),
        );
        let (mut z, mut v) = (0.0, 0.0);
        for (k, &c) in alpha.iter().enumerate() {
            let below = before.map_or((0.0, 0.0), |b| (self.pz[b * f + k], self.pv[b * f + k]));
            z += c * (self.pz[last * f + k] - below.0);
            v += c * (self.pv[last * f + k] - below.1);
        }
        [z, v]
    }

    /// The sums of `Functional::Moment(0)` (weights and weighted values) over groups
    /// `lo..hi` on `side` of query `q`, with their rounding bounds: `(z, v, bound_z, bound_v)`.
    #[inline(always)]
    fn window(&self, q: f64, lo: usize, hi: usize, side: Side, alpha: &mut [f64]) -> [f64; 6] {
        let mut out = [0.0; 6];
        let Some(sep) = &self.sep else {
            return out;
        };
        let mut start = lo;
        while start < hi {
            let s = self.seg_of[start] as usize;
            let end = hi.min(self.seg_first[s + 1]);
            let a = (q - self.centre[s]) / self.h;
            let (weight, slope) = alpha.split_at_mut(self.f);
            if self.grad {
                let slope = &mut slope[..self.f];
                sep.coefficients(a, side, Functional::Slope, slope);
                let [f, fv] = self.piece(slope, start, end, s);
                out[4] += f;
                out[5] += fv;
            }
            sep.coefficients(a, side, Functional::Moment(0), weight);
            let alpha = &*weight;
            let first = self.seg_first[s];
            let f = self.f;
            let (last, before) = (end - 1, start.checked_sub(1).filter(|&b| b >= first));
            let (mut z, mut v, mut e) = (0.0, 0.0, 0.0);
            let top = last * f..(last + 1) * f;
            let (top_z, top_v) = (&self.pz[top.clone()], &self.pv[top]);
            for (k, (&c, &bound)) in alpha.iter().zip(&self.bounds).enumerate() {
                z += c * top_z[k];
                v += c * top_v[k];
                e += c.abs() * bound;
            }
            if let Some(b) = before {
                let (bz, bv) = (&self.pz[b * f..(b + 1) * f], &self.pv[b * f..(b + 1) * f]);
                for (k, &c) in alpha.iter().enumerate() {
                    z -= c * bz[k];
                    v -= c * bv[k];
                }
            }
            let counted = self.pc[last] + before.map_or(0.0, |b| self.pc[b]);
            out[0] += z;
            out[1] += v;
            out[2] += e * counted;
            out[3] += e * counted * self.seg_vmax[s];
            start = end;
        }
        out
    }

    /// A query's full sums: `(ln scale, z, v, bound_z, bound_v)` with `z` the sum of
    /// `K(u) / K(0)` times `e^{ln scale}`, or `None` when the query is for the direct path.
    /// `dmin` is its distance to the nearest key (f32, as the direct path has it).
    #[inline(always)]
    fn sums(
        &self,
        q: f32,
        dmin: f32,
        (lo, hi): (usize, usize),
        alpha: &mut [f64],
        cache: &mut Option<Target>,
    ) -> Option<Swept> {
        let umin = f64::from(dmin) / self.h;
        if let Some(e) = &self.fgt {
            if !fgt::serves(umin) {
                return None;
            }
            let cell = e.cell_of(f64::from(q));
            if cache.as_ref().is_none_or(|t| t.cell != cell) {
                *cache = Some(e.target(cell, self.grad));
            }
            let t = cache.as_ref()?;
            let ([z, v, f, fv], bz, bv) = e.eval(t, q);
            let vmax = if t.envelope_z > 0.0 {
                t.envelope_v / t.envelope_z
            } else {
                0.0
            };
            return Some(Swept {
                z,
                v,
                bz,
                bv,
                f,
                fv,
                vmax,
            });
        }
        // Beyond, the Gaussian's series is not bounded, and Laplace's e^{-u} would underflow
        // (the direct path weighs keys against the nearest one).
        if self.kind == KernelKind::Laplace && umin > 600.0 {
            return None;
        }
        let q = f64::from(q);
        let total: [f64; 6] = if self.sep.as_ref().is_some_and(Separable::splits) {
            let x = &self.groups.x;
            let p = lo + x[lo..hi].partition_point(|&k| f64::from(k) < q);
            let below = self.window(q, lo, p, Side::Below, alpha);
            let above = self.window(q, p, hi, Side::Above, alpha);
            std::array::from_fn(|i| below[i] + above[i])
        } else {
            self.window(q, lo, hi, Side::Both, alpha)
        };
        // Rounding of the prefix sums, their differences and the dot products: a few units
        // in the last place of each term the bound counted.
        let ulps = (4 * self.f + 8) as f64 * f64::EPSILON;
        let vmax = self.vmax(lo, hi);
        let [z, v, bz, bv, f, fv] = total;
        let (bz, bv) = (bz * ulps, bv * ulps);
        Some(Swept {
            z,
            v,
            bz,
            bv,
            f,
            fv,
            vmax,
        })
    }

    /// The largest `|value|` of the segments over groups `lo..hi`.
    #[inline(always)]
    fn vmax(&self, lo: usize, hi: usize) -> f64 {
        if lo >= hi {
            return 0.0;
        }
        let (a, b) = (self.seg_of[lo] as usize, self.seg_of[hi - 1] as usize);
        self.seg_vmax[a..=b].iter().fold(0.0, |m, &v| m.max(v))
    }

    /// The groups a query reaches: `|x - q| <= h` for a compact kernel, else the keys whose
    /// weight can be at least `2^-64` of the nearest one's (the direct path's reach); the
    /// searches start from a guess, the last query's reach when queries ascend.
    #[inline(always)]
    fn reach(&self, q: f32, dmin: f32, (lo, hi): (usize, usize)) -> (usize, usize) {
        let r = match self.kind.support() {
            Some(s) => s * self.h,
            None => {
                let umin = f64::from(dmin) / self.h;
                let flush = -f64::from(EXP2_FLUSH_BELOW) * std::f64::consts::LN_2;
                let u = match self.kind {
                    KernelKind::Laplace => umin + flush,
                    _ => (2.0 * flush + umin * umin).sqrt(),
                };
                u * (1.0 + 1e-4) * self.h
            }
        };
        let q = f64::from(q);
        let x = &self.groups.x;
        (
            gallop(x, lo, |k| f64::from(k) < q - r),
            gallop(x, hi, |k| f64::from(k) <= q + r),
        )
    }

    /// The f64 sums of query `q` over groups `lo..hi` from the kernel's definition, leaving
    /// out one row of value `own` from group `skip` (`usize::MAX`: none): `(ln scale, z, v)`,
    /// with whole-line kernels weighed against the nearest key (distance `dmin`) so that
    /// nothing underflows.
    #[inline(always)]
    fn direct(&self, q: f32, dmin: f32, (lo, hi): (usize, usize), skip: usize, own: f64) -> Direct {
        let umin = f64::from(dmin) / self.h;
        let (scale, shift): (f64, fn(f64, f64) -> f64) = match self.kind {
            KernelKind::Gaussian => (-0.5 * umin * umin, |u, m| (-0.5 * (u - m) * (u + m)).exp()),
            KernelKind::Laplace => (-umin, |u, m| (-(u - m)).exp()),
            _ => (0.0, |_, _| f64::NAN),
        };
        let (mut z, mut v, mut f, mut fv) = (0.0, 0.0, 0.0, 0.0);
        for g in lo..hi {
            let (c, s) = if g == skip {
                (self.groups.count[g] - 1.0, self.groups.sum[g] - own)
            } else {
                (self.groups.count[g], self.groups.sum[g])
            };
            if c == 0.0 {
                // The row left out was its input's only one: nearer than the nearest other,
                // its relative weight would overflow.
                continue;
            }
            let u = (f64::from(self.groups.x[g]) - f64::from(q)) / self.h;
            let k = match self.kind {
                KernelKind::Gaussian | KernelKind::Laplace => shift(u.abs(), umin),
                kind => profile(kind, u),
            };
            z += c * k;
            v += s * k;
            if self.grad {
                // The slope relative to the same weight the kernel was scaled by.
                let e = match self.kind {
                    KernelKind::Gaussian => u * u * k,
                    KernelKind::Laplace => u.abs() * k,
                    kind => slope_profile(kind, u),
                };
                f += c * e;
                fv += s * e;
            }
        }
        Direct { scale, z, v, f, fv }
    }
}

/// A query's swept sums: weights `z`, weighted values `v`, their rounding bounds, the slope
/// sums `f` and `fv` (with gradients), and the largest `|value|` in reach.
struct Swept {
    z: f64,
    v: f64,
    bz: f64,
    bv: f64,
    f: f64,
    fv: f64,
    vmax: f64,
}

impl Swept {
    /// `(z, v)` after taking `(dz, dv)` away, if the bound still holds them to
    /// [`TOLERANCE`] of the rest.
    #[inline(always)]
    fn trusted(&self, dz: f64, dv: f64, own: f64) -> Option<(f64, f64)> {
        let (z, v) = (self.z - dz, self.v - dv);
        (self.bz <= TOLERANCE * z && self.bv <= TOLERANCE * z * self.vmax.max(own.abs()))
            .then_some((z, v))
    }
}

/// A query's sums from the kernel's definition: weights scaled by `e^scale`.
struct Direct {
    scale: f64,
    z: f64,
    v: f64,
    f: f64,
    fv: f64,
}

/// One segment's share of the prefix arrays: its first group, then its slices of `pz`, `pv`
/// and `pc`.
type Chunk<'a> = (usize, &'a mut [f64], &'a mut [f64], &'a mut [f64]);

#[inline(always)]
fn neumaier(sum: &mut f64, comp: &mut f64, x: f64) {
    let t = *sum + x;
    if sum.abs() >= x.abs() {
        *comp += (*sum - t) + x;
    } else {
        *comp += (x - t) + *sum;
    }
    *sum = t;
}

/// What a block of swept queries reads: the sweep's sums, the groups, `ln K(0)`.
struct PoolBlock<'a> {
    prefix: &'a Prefix<'a>,
    groups: &'a Groups,
    ln_k0: f64,
}

impl PoolBlock<'_> {
    /// Query `q`'s row; `hint` is where the last query's searches ended.
    #[inline(always)]
    fn one(
        &self,
        q: f32,
        alpha: &mut [f64],
        hint: &mut (usize, usize, usize),
        cache: &mut Option<Target>,
    ) -> Row {
        let (prefix, groups) = (self.prefix, self.groups);
        if !q.is_finite() {
            return (f32::NAN, f32::NAN, f32::NAN, f32::NAN);
        }
        let (dmin, at) = groups.nearest(q, usize::MAX, hint.0);
        // The transform needs no window; the prefix sums do.
        let reach = if prefix.fgt.is_some() {
            (at, at)
        } else {
            prefix.reach(q, dmin, (hint.1, hint.2))
        };
        *hint = (at, reach.0, reach.1);
        let swept = prefix.sums(q, dmin, reach, alpha, cache);
        let trusted = match &swept {
            Some(s) => s.trusted(0.0, 0.0, 0.0),
            None => None,
        };
        let (scale, z, v) = match trusted {
            Some((z, v)) => (0.0, z, v),
            None => {
                let reach = prefix.reach(q, dmin, reach);
                let d = prefix.direct(q, dmin, reach, usize::MAX, 0.0);
                (d.scale, d.z, d.v)
            }
        };
        finish(z, v, scale + self.ln_k0, dmin, groups)
    }
}

/// One block of sorted queries: the work of one dispatch (see [`LooRun`]).
struct PoolRun<'a, 'b> {
    block: &'a PoolBlock<'b>,
    q: &'a [f32],
    out: &'a mut [Row],
}

impl Task for PoolRun<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let PoolRun { block, q, out } = self;
        let (mut alpha, mut hint, mut cache) = (vec![0.0; block.prefix.f], (0, 0, 0), None);
        for (o, &qi) in out.iter_mut().zip(q) {
            *o = block.one(qi, &mut alpha, &mut hint, &mut cache);
        }
    }
}

/// Pools `queries` over `keys` with `kind` at bandwidth `h` by sorted sweeps: the same
/// predictions, log-normalizers and nearest distances as [`pool::pool`], to the accuracy the
/// module docs state. Effective key counts are not computed (`None`).
pub fn pool_sweep(
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    keys: &SortedKeys,
    par: Par,
) -> Pooled {
    if !sweepable(h, keys) {
        return kind.visit(h, HandPool { queries, keys, par });
    }
    if keys.is_empty() {
        return pool::nothing(queries.len(), false);
    }
    let groups = Groups::new(keys);
    let prefix = Prefix::new(kind, h, &groups, false, par);
    let block = PoolBlock {
        prefix: &prefix,
        groups: &groups,
        ln_k0: kind.ln_k(0.0),
    };
    let run = |(q, out): (&[f32], &mut [Row])| {
        isa::run(PoolRun {
            block: &block,
            q,
            out,
        })
    };
    // In ascending order, each query's searches start where the last one's ended, and
    // neighbouring queries read the same prefix sums.
    let order = pool::sort_order(queries);
    let sorted: Vec<f32> = order.iter().map(|&i| queries[i]).collect();
    let mut rows: Vec<Row> = vec![(0.0, 0.0, 0.0, 0.0); queries.len()];
    if par.is_parallel() {
        sorted
            .par_chunks(BLOCK)
            .zip(rows.par_chunks_mut(BLOCK))
            .for_each(run);
    } else {
        sorted
            .chunks(BLOCK)
            .zip(rows.chunks_mut(BLOCK))
            .for_each(run);
    }
    let mut out = vec![(0.0, 0.0, 0.0, 0.0); queries.len()];
    for (row, &i) in rows.into_iter().zip(&order) {
        out[i] = row;
    }
    pool::unzip(out, false)
}

/// A query's `(y, lse, dmin, effective)` from its sums: no estimate without weight.
#[inline(always)]
fn finish(z: f64, v: f64, log_scale: f64, dmin: f32, groups: &Groups) -> Row {
    if z > 0.0 {
        let (lo, hi) = groups.range;
        (
            (v / z).clamp(lo, hi) as f32,
            (log_scale + z.ln()) as f32,
            dmin,
            f32::NAN,
        )
    } else {
        (f32::NAN, f32::NEG_INFINITY, dmin, f32::NAN)
    }
}

/// Leave-one-out pooling of the training set `data` by sorted sweeps: each row predicted from
/// every other (equal inputs stay in), with the summed squared loss, as [`pool::loo_cv`]
/// computes it (no gradient: `grad` 0 and `terms` empty).
///
/// Needs at least 2 examples.
pub fn loo_sweep(kind: KernelKind, h: f32, data: &SortedKeys, par: Par) -> Result<LooFit> {
    loo_with(kind, h, data, par, false)
}

/// [`loo_sweep`] with the gradient of the loss with respect to the log-bandwidth and each
/// example's share of it, as [`pool::loo`] computes them: one more set of separable sums, of
/// the kernel's slope `K g` (the left-out row's own slope is `g(0) = 0`, so nothing is
/// subtracted from them).
pub fn loo_sweep_grad(kind: KernelKind, h: f32, data: &SortedKeys, par: Par) -> Result<LooFit> {
    loo_with(kind, h, data, par, true)
}

/// One row's leave-one-out results: `(y_hat, squared error, gradient term)`.
type LooRow = (f32, f64, f64);

/// What a block of leave-one-out rows reads: the sweep's sums, the groups, the values.
struct LooBlock<'a> {
    prefix: &'a Prefix<'a>,
    groups: &'a Groups,
    ys: &'a [f32],
}

impl LooBlock<'_> {
    /// The rows of group `g` (from row `first_row` on): its full sums, shared, then each row
    /// leaves itself out.
    #[inline(always)]
    fn group(
        &self,
        g: usize,
        rows: &mut [LooRow],
        alpha: &mut [f64],
        first_row: usize,
        hint: &mut (usize, usize),
        cache: &mut Option<Target>,
    ) {
        let (prefix, groups) = (self.prefix, self.groups);
        let q = groups.x[g];
        let (dmin, _) = groups.nearest(q, g, g);
        // The transform needs no window; the prefix sums do.
        let reach = if prefix.fgt.is_some() {
            (g, g)
        } else {
            prefix.reach(q, dmin, *hint)
        };
        *hint = reach;
        let full = prefix.sums(q, dmin, reach, alpha, cache);
        for (i, out) in rows.iter_mut().enumerate() {
            let own = f64::from(self.ys[first_row + i]);
            // Matches, not closures: this runs inside a level's dispatch (`isa::Task`).
            let swept = match &full {
                Some(s) => s.trusted(1.0, own, own).map(|(z, v)| [z, v, s.f, s.fv]),
                None => None,
            };
            let [z, v, f, fv] = match swept {
                Some(sums) => sums,
                None => {
                    let reach = prefix.reach(q, dmin, reach);
                    let d = prefix.direct(q, dmin, reach, g, own);
                    [d.z, d.v, d.f, d.fv]
                }
            };
            let y_hat = finish(z, v, 0.0, dmin, groups).0;
            // The error and gradient from the f64 prediction, as the direct path has them.
            *out = if y_hat.is_nan() {
                (y_hat, 0.0, 0.0)
            } else {
                let r = (v / z).clamp(groups.range.0, groups.range.1) - own;
                let dy = fv / z - (v / z) * (f / z);
                (y_hat, r * r, 2.0 * r * dy)
            };
        }
    }
}

/// One block of whole groups' rows, from row `start`: the work of one dispatch. The sweep is
/// scalar f64 code, but compiled with the level's features its loops vectorize wider and
/// `floor` is one instruction; Rust never fuses `a * b + c` by itself, so the bits are the
/// same on every level.
struct LooRun<'a, 'b> {
    block: &'a LooBlock<'b>,
    start: usize,
    out: &'a mut [LooRow],
}

impl Task for LooRun<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let LooRun { block, start, out } = self;
        let mut alpha = vec![0.0; 2 * block.prefix.f];
        let first = block.groups.group_of[start] as usize;
        let (mut i, mut hint, mut cache) = (0, (first, first), None);
        while i < out.len() {
            let g = block.groups.group_of[start + i] as usize;
            let c = block.groups.count[g] as usize;
            block.group(
                g,
                &mut out[i..i + c],
                &mut alpha,
                start + i,
                &mut hint,
                &mut cache,
            );
            i += c;
        }
    }
}

fn loo_with(kind: KernelKind, h: f32, data: &SortedKeys, par: Par, grad: bool) -> Result<LooFit> {
    pool::check_loo(data)?;
    if !sweepable(h, data) {
        return kind.visit(h, HandLoo { data, par, grad });
    }
    let groups = Groups::new(data);
    let prefix = Prefix::new(kind, h, &groups, grad, par);
    let ys = data.values();
    let block = LooBlock {
        prefix: &prefix,
        groups: &groups,
        ys,
    };
    // Blocks of whole groups, so each block knows its rows.
    let mut starts = vec![0usize];
    let mut row = 0;
    for g in 0..groups.len() {
        row += groups.count[g] as usize;
        if row - starts[starts.len() - 1] >= BLOCK || g + 1 == groups.len() {
            starts.push(row);
        }
    }
    let mut rows: Vec<LooRow> = vec![(0.0, 0.0, 0.0); data.len()];
    let mut pieces: Vec<(usize, &mut [LooRow])> = Vec::new();
    {
        let mut rest = &mut rows[..];
        for w in starts.windows(2) {
            let (a, b) = rest.split_at_mut(w[1] - w[0]);
            pieces.push((w[0], a));
            rest = b;
        }
    }
    let run = |(start, out): (usize, &mut [LooRow])| {
        isa::run(LooRun {
            block: &block,
            start,
            out,
        })
    };
    if par.is_parallel() {
        pieces.into_par_iter().for_each(run);
    } else {
        pieces.into_iter().for_each(run);
    }
    let far = rows.iter().filter(|r| r.0.is_nan()).count();
    let loss = rows.iter().map(|r| r.1).sum();
    let mut y_hat = vec![0.0; rows.len()];
    let mut terms = if grad {
        vec![0.0; rows.len()]
    } else {
        Vec::new()
    };
    for (sorted, &original) in data.order().iter().enumerate() {
        y_hat[original] = rows[sorted].0;
        if grad {
            terms[original] = rows[sorted].2;
        }
    }
    Ok(LooFit {
        loss,
        grad: if grad {
            rows.iter().map(|r| r.2).sum()
        } else {
            0.0
        },
        terms,
        y_hat,
        far,
    })
}

#[cfg(test)]
mod tests {
    use super::gallop;

    #[test]
    fn galloping_finds_the_partition_point_from_anywhere() {
        let x: Vec<f32> = (0..300).map(|i| (i / 3) as f32).collect();
        for t in [-1.0f32, 0.0, 0.5, 7.0, 50.0, 99.0, 100.0, 1e9] {
            let want = x.partition_point(|&k| k < t);
            for from in [0, 1, 2, 5, 100, 150, 298, 299, 300, 10_000] {
                assert_eq!(gallop(&x, from, |k| k < t), want, "t {t} from {from}");
            }
        }
        assert_eq!(gallop(&[], 0, |k: f32| k < 1.0), 0);
    }
}
