//! Matrix products on row-major slices: [`gemm`], [`batched_gemm`] and their scalar twin
//! [`gemm_naive`].
//!
//! The blocking follows BLIS and `matrixmultiply`: B is packed, one `KC x NC` block at a time,
//! into panels of `NR` columns; the register-tile kernel ([`simd::gemm_tile`]) walks the rows
//! of A in place, `MR` at a time. Tiles that hang over the edge of C are computed into a
//! scratch tile and only their valid part is added, and rows past the end of A read a static
//! row of zeros, so no kernel ever reads or writes out of bounds.
//!
//! Loop nest, outermost first:
//!
//! ```text
//! band: m / threads rows of C         (the parallel loop: one band per thread, own packed B)
//!   j0: NC columns of B and C         (packed block of B: KC x NC, sits in L2)
//!     p0: KC rows of B, columns of A  (each C entry sums its KC blocks in this order)
//!       i0: MC rows of C
//!         jr: NR columns              (one packed panel, KC x NR, sits in L1)
//!           ir: MR rows               (one register tile)
//! ```
//!
//! A batch is parallel over its products instead, when there is one per thread or more.
//!
//! Every C entry is one fused running sum per `KC` block, added to C block by block in
//! `p0` order. That order does not depend on how rows are shared between threads, so the
//! result is the same bits on any number of threads.

use rayon::prelude::*;

use crate::kernels::isa::{self, Simd, Task};
use crate::kernels::{MR, NR, scalar, simd};
use crate::par::Par;

/// Depth of a packed block: a `KC x NR` panel of B stays in L1 while `MR`-row slices of A
/// stream past it. Products with `k <= KC` sum each entry in one fused running sum, exactly
/// as [`gemm_naive`] does.
pub const KC: usize = 256;
/// Rows of C in one block; a `MC x KC` slice of A (128 KiB) stays in L2.
const MC: usize = 128;
/// Columns of B packed at once: a `KC x NC` block (1 MiB) stays in L2.
const NC: usize = 1024;
/// Rows per task in the one-column shortcut.
const GEMV_ROWS: usize = 256;
/// Stands in for the rows past the end of A in an edge tile.
static ZERO_ROW: [f32; KC] = [0.0; KC];

/// `C = A B` for row-major `A (m x k)`, `B (k x n)`, `C (m x n)`; `C` is overwritten.
///
/// Relative error of each entry against an f64 product of the same inputs is at most about
/// `(KC + k / KC) * 2^-24` times `sum_p |a_ip b_pj| / |c_ij|` (tests hold it to 1e-5 for
/// non-negative inputs with `k <= 4096`).
///
/// # Panics
/// If a slice's length is not the product of its dimensions (or the product overflows).
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], par: Par) {
    check_lengths(1, m, k, n, a, b, c);
    gemm_packed(m, k, n, a, b, c, par, &mut Vec::new());
}

/// `C[t] = A[t] B[t]` for a batch of row-major products, laid out one after another.
///
/// Parallel over the batch, and over row blocks inside a product when the batch is smaller
/// than the pool. Each product is computed exactly as [`gemm`] computes it.
///
/// # Panics
/// If a slice's length is not the product of its dimensions (or the product overflows).
#[allow(clippy::too_many_arguments)]
pub fn batched_gemm(
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    par: Par,
) {
    check_lengths(batch, m, k, n, a, b, c);
    // With no products the checks above do not bound `m * n`; there is nothing to do.
    if batch == 0 || m == 0 || n == 0 || k == 0 {
        c.fill(0.0);
        return;
    }
    let products = c
        .chunks_mut(m * n)
        .zip(a.chunks(m * k))
        .zip(b.chunks(k * n));
    if par.is_parallel() && batch > 1 {
        // With a product per thread or more, splitting a product too only adds hand-offs.
        let inner = if batch >= par.threads() {
            Par::Seq
        } else {
            par
        };
        c.par_chunks_mut(m * n)
            .zip(a.par_chunks(m * k))
            .zip(b.par_chunks(k * n))
            .for_each_init(Vec::new, |packed, ((c, a), b)| {
                gemm_packed(m, k, n, a, b, c, inner, packed)
            });
    } else {
        let mut packed = Vec::new();
        for ((c, a), b) in products {
            gemm_packed(m, k, n, a, b, c, par, &mut packed);
        }
    }
}

/// The scalar twin of [`gemm`]: the textbook triple loop, one running f32 sum per entry.
///
/// # Panics
/// If a slice's length is not the product of its dimensions (or the product overflows).
pub fn gemm_naive(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    check_lengths(1, m, k, n, a, b, c);
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0;
            for p in 0..k {
                acc = scalar::fma(a[i * k + p], b[p * n + j], acc);
            }
            c[i * n + j] = acc;
        }
    }
}

fn check_lengths(batch: usize, m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &[f32]) {
    // Checked products: a wrapped one could match a short slice and let the loops run past
    // it. No slice holds an overflowing count, so overflow fails the same assertion.
    let holds = |s: &[f32], x: usize, y: usize| {
        batch.checked_mul(x).and_then(|p| p.checked_mul(y)) == Some(s.len())
    };
    assert!(
        holds(a, m, k),
        "gemm: A must hold {batch} x {m} x {k} values"
    );
    assert!(
        holds(b, k, n),
        "gemm: B must hold {batch} x {k} x {n} values"
    );
    assert!(
        holds(c, m, n),
        "gemm: C must hold {batch} x {m} x {n} values"
    );
}

/// [`gemm`] with a caller-owned packing buffer, so a batch packs into one allocation.
#[allow(clippy::too_many_arguments)]
fn gemm_packed(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    par: Par,
    packed: &mut Vec<f32>,
) {
    if m == 0 || n == 0 || k == 0 {
        c.fill(0.0);
        return;
    }
    if n == 1 {
        gemv(k, a, b, c, par);
        return;
    }
    if par.is_parallel() && par.threads() > 1 && m >= 2 * MR {
        // One contiguous band of rows per thread, each a whole sequential product with its
        // own packed copy of B: no barrier between the K blocks, and packing B twice costs a
        // copy against 2 m k n flops. Each entry's sum runs over the same K blocks in the same
        // order as on one thread, so the bits do not change.
        let rows = m.div_ceil(par.threads()).next_multiple_of(MR);
        c.par_chunks_mut(rows * n)
            .zip(a.par_chunks(rows * k))
            .for_each_init(Vec::new, |packed, (c, a)| {
                gemm_packed(c.len() / n, k, n, a, b, c, Par::Seq, packed)
            });
        return;
    }
    for j0 in (0..n).step_by(NC) {
        let nc = NC.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            let panels = pack_b(kc, nc, &b[p0 * n..], n, j0, packed, par);
            let block = |(ib, c_rows): (usize, &mut [f32])| {
                isa::run(Block {
                    a,
                    k,
                    n,
                    i0: ib * MC,
                    j0,
                    p0,
                    kc,
                    panels,
                    c_rows,
                    first: p0 == 0,
                })
            };
            // Rows are split between threads above; fewer than two register tiles of rows are
            // not worth a hand-off.
            c.chunks_mut(MC * n).enumerate().for_each(block);
        }
    }
}

/// One block of `MC` rows of C against every packed panel of one `KC` block: the work one
/// dispatch runs on the active level's vectors.
struct Block<'a> {
    a: &'a [f32],
    k: usize,
    n: usize,
    i0: usize,
    j0: usize,
    p0: usize,
    kc: usize,
    panels: &'a [f32],
    c_rows: &'a mut [f32],
    first: bool,
}

impl Task for Block<'_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let Block {
            a,
            k,
            n,
            i0,
            j0,
            p0,
            kc,
            panels,
            c_rows,
            first,
        } = self;
        let rows = c_rows.len() / n;
        for (jp, panel) in panels.chunks_exact(kc * NR).enumerate() {
            let j = j0 + jp * NR;
            let nr = NR.min(n - j);
            for ir in (0..rows).step_by(MR) {
                let mr = MR.min(rows - ir);
                let mut a_rows: [&[f32]; MR] = [&ZERO_ROW[..kc]; MR];
                for (r, row) in a_rows.iter_mut().enumerate().take(mr) {
                    let start = (i0 + ir + r) * k + p0;
                    *row = &a[start..start + kc];
                }
                let c_tile = &mut c_rows[ir * n + j..];
                if mr == MR && nr == NR {
                    simd::gemm_tile::<V>(&a_rows, panel, c_tile, n, first);
                } else {
                    edge_tile::<V>(&a_rows, panel, c_tile, n, first, (mr, nr));
                }
            }
        }
    }
}

/// A tile that hangs over the edge of C: computed whole into scratch, only `mr x nr` kept.
#[inline(always)]
fn edge_tile<V: Simd>(
    a_rows: &[&[f32]; MR],
    panel: &[f32],
    c: &mut [f32],
    ldc: usize,
    first: bool,
    (mr, nr): (usize, usize),
) {
    let mut tile = [0.0; MR * NR];
    simd::gemm_tile::<V>(a_rows, panel, &mut tile, NR, true);
    for (r, t) in tile.chunks_exact(NR).take(mr).enumerate() {
        let c_row = &mut c[r * ldc..r * ldc + nr];
        if first {
            c_row.copy_from_slice(&t[..nr]);
        } else {
            for (cv, tv) in c_row.iter_mut().zip(t) {
                *cv += tv;
            }
        }
    }
}

/// Packs rows `0..kc` and columns `j0..j0 + nc` of `b` (row stride `ldb`) into panels of
/// `NR` columns, each `kc x NR` and contiguous, the last one padded with zeros.
fn pack_b<'p>(
    kc: usize,
    nc: usize,
    b: &[f32],
    ldb: usize,
    j0: usize,
    packed: &'p mut Vec<f32>,
    par: Par,
) -> &'p [f32] {
    let len = nc.div_ceil(NR) * kc * NR;
    if packed.len() < len {
        packed.resize(len, 0.0);
    }
    let packed = &mut packed[..len];
    let pack_panel = |(jp, dst): (usize, &mut [f32])| {
        let j = j0 + jp * NR;
        let w = NR.min(j0 + nc - j);
        for (p, d) in dst.chunks_exact_mut(NR).enumerate() {
            d[..w].copy_from_slice(&b[p * ldb + j..p * ldb + j + w]);
            d[w..].fill(0.0);
        }
    };
    // Packing is a copy; below a few hundred KiB a thread hand-off costs more than it saves.
    if par.is_parallel() && len >= 1 << 16 {
        packed
            .par_chunks_mut(kc * NR)
            .enumerate()
            .for_each(pack_panel);
    } else {
        packed.chunks_mut(kc * NR).enumerate().for_each(pack_panel);
    }
    packed
}

/// The one-column case (`n == 1`, the chapter's weighted averages): a dot product per row.
fn gemv(k: usize, a: &[f32], b: &[f32], c: &mut [f32], par: Par) {
    let rows = |(ib, c_rows): (usize, &mut [f32])| {
        let a = &a[ib * GEMV_ROWS * k..];
        isa::run(Dots { k, a, b, c_rows })
    };
    if par.is_parallel() && c.len() > GEMV_ROWS {
        c.par_chunks_mut(GEMV_ROWS).enumerate().for_each(rows);
    } else {
        c.chunks_mut(GEMV_ROWS).enumerate().for_each(rows);
    }
}

/// Rows of [`gemv`]: `c_rows[r]` is row `r` of `a` (`k` values each) dotted with `b`.
struct Dots<'a> {
    k: usize,
    a: &'a [f32],
    b: &'a [f32],
    c_rows: &'a mut [f32],
}

impl Task for Dots<'_> {
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let k = self.k;
        for (r, cv) in self.c_rows.iter_mut().enumerate() {
            *cv = simd::dot::<V>(&self.a[r * k..(r + 1) * k], self.b);
        }
    }
}
