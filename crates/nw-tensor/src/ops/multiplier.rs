//! Wild-bootstrap replicates of a linear smoother: `T_b(q) = sum_i c_i(q) v_ib` for `B`
//! replicates at once, where each multiplier `v_ib` takes one of two values.
//!
//! # Why subset sums
//! With two values, `v = alpha + (beta - alpha) bit`, so
//! `T_b(q) = alpha sum_i c_i(q) + (beta - alpha) sum_{i: bit_ib = 1} c_i(q)`. The first sum is
//! the same for every replicate. For the second, a group of [`GROUP`] = 8 keys has only 256
//! subsets: the fast path builds the 256 subset sums of the group's coefficients once, as
//! vectors over a block of [`BLOCK`] = 16 queries (255 adds, each entry the entry without its
//! lowest key plus that key), then adds, for every replicate, the entry its 8 bits pick.
//! That is `256 + B` vector adds per `8 x 16` pairs instead of `8 B`: for `B = 999`, 5.8 times
//! fewer.
//!
//! ```text
//! coef: [key][query lane]   (8 keys of a group, 16 lanes each)
//! table[m] = table[m & (m - 1)] + coef[lowest bit of m]          m = 1..256
//! U[b]    += table[bytes[group][b]]                             b = 0..B
//! T[b]    += alpha sum coef + (beta - alpha) U[b]   (per tile, in f64)
//! ```
//!
//! # The draws
//! Counter-based, so that a replicate's multipliers depend only on the seed, the key's id (its
//! row in the caller's input order) and the replicate, never on threads, blocks or query
//! order. Key `i` has its own SplitMix64 stream, seeded with
//! `mix(seed + (i + 1) * GOLDEN)`; its `c`-th output (from 0) is
//! `mix(state + (c + 1) * GOLDEN)`, with `mix` SplitMix64's finalizer and `GOLDEN` =
//! `0x9e3779b97f4a7c15`. [`Multipliers::Rademacher`] takes bit `b % 64` of output `b / 64`
//! (1: `+1`, 0: `-1`); [`Multipliers::Mammen`] compares output `b`'s top 53 bits, as a uniform
//! `u` in `[0, 1)`, with `(sqrt5 - 1) / (2 sqrt5)` (below: `(sqrt5 + 1) / 2`, else
//! `-(sqrt5 - 1) / 2`). [`MultiplierBits`] stores the bits transposed, one byte per group of
//! 8 keys and replicate, which is what the fast path reads.
//!
//! # Accuracy
//! [`replicate_sums_scalar`] sums `c v` in f64, key by key. The fast path rounds each table
//! entry (a sum of up to 8 f32) and each partial sum of a tile of [`TILE`] keys in f32, then
//! adds tiles in f64: per lane, `|fast - scalar| <= (beta - alpha) 2^-24 (GROUP + TILE /
//! GROUP) sum_i |c_i|` (136 roundings of at most the sum of magnitudes; tested). The
//! coefficients are the caller's f32.
//!
//! # Determinism
//! Tiles sit at absolute key positions (multiples of [`TILE`]) and every sum runs in key order,
//! so a lane's result is the same bits whichever other queries share its block, and a zero
//! coefficient (a key out of a query's reach) changes no bit.

use rayon::prelude::*;

use crate::par::Par;

/// Queries per block: the lanes of one coefficient row.
pub const BLOCK: usize = 16;
/// Keys per subset-sum table (256 entries).
pub const GROUP: usize = 8;
/// Keys summed in f32 before the sum moves to f64; a multiple of [`GROUP`].
pub const TILE: usize = 1024;

/// SplitMix64's increment, `2^64 / phi`.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function (Steele, Lea and Flood, 2014).
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Output `counter` (from 0) of key `id`'s SplitMix64 stream under `seed` (module docs).
pub fn draw(seed: u64, id: u64, counter: u64) -> u64 {
    let state = mix(seed.wrapping_add(id.wrapping_add(1).wrapping_mul(GOLDEN)));
    mix(state.wrapping_add(counter.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// The two-point distributions of the wild bootstrap's multipliers: mean 0, variance 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Multipliers {
    /// `-1` or `+1`, each with probability 1/2: third moment 0.
    Rademacher,
    /// Mammen's (1993): `-(sqrt5 - 1) / 2` with probability `(sqrt5 + 1) / (2 sqrt5)`, else
    /// `(sqrt5 + 1) / 2`: third moment 1, so the bootstrap also matches the residuals' skewness.
    Mammen,
}

impl Multipliers {
    /// `(alpha, beta)`: the value of a 0 bit, and of a 1 bit.
    pub fn values(self) -> (f64, f64) {
        match self {
            Multipliers::Rademacher => (-1.0, 1.0),
            Multipliers::Mammen => {
                let s = 5f64.sqrt();
                (-(s - 1.0) / 2.0, (s + 1.0) / 2.0)
            }
        }
    }

    /// The probability of a 1 bit (of `beta`).
    pub fn p_beta(self) -> f64 {
        match self {
            Multipliers::Rademacher => 0.5,
            Multipliers::Mammen => {
                let s = 5f64.sqrt();
                (s - 1.0) / (2.0 * s)
            }
        }
    }

    /// Whether key `id` takes `beta` in replicate `b` under `seed` (module docs).
    pub fn bit(self, seed: u64, id: u64, b: usize) -> bool {
        match self {
            Multipliers::Rademacher => (draw(seed, id, (b / 64) as u64) >> (b % 64)) & 1 == 1,
            Multipliers::Mammen => uniform(draw(seed, id, b as u64)) < self.p_beta(),
        }
    }

    /// Key `id`'s multiplier in replicate `b` under `seed`.
    pub fn value(self, seed: u64, id: u64, b: usize) -> f64 {
        let (alpha, beta) = self.values();
        if self.bit(seed, id, b) { beta } else { alpha }
    }
}

/// The top 53 bits of `u` as a uniform in `[0, 1)`.
fn uniform(u: u64) -> f64 {
    (u >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Every key's bits for `B` replicates, one byte per group of [`GROUP`] keys and replicate:
/// bit `j` of byte `(g, b)` is key `GROUP g + j`'s bit in replicate `b` (0 past the last
/// key).
#[derive(Clone, Debug, PartialEq)]
pub struct MultiplierBits {
    multipliers: Multipliers,
    replicates: usize,
    keys: usize,
    /// Group-major: `bytes[g * replicates + b]`.
    bytes: Vec<u8>,
}

impl MultiplierBits {
    /// The bits of keys whose ids (rows in the caller's order, which fix their draws) are
    /// `ids`, in the positions the coefficients will use, for `replicates` replicates.
    pub fn new(
        multipliers: Multipliers,
        seed: u64,
        ids: &[u64],
        replicates: usize,
        par: Par,
    ) -> Self {
        let groups = ids.len().div_ceil(GROUP);
        let mut bytes = vec![0u8; groups * replicates];
        let fill = |(g, out): (usize, &mut [u8])| {
            for (j, &id) in ids[g * GROUP..].iter().take(GROUP).enumerate() {
                match multipliers {
                    Multipliers::Rademacher => {
                        for (w, chunk) in out.chunks_mut(64).enumerate() {
                            let word = draw(seed, id, w as u64);
                            for (k, byte) in chunk.iter_mut().enumerate() {
                                *byte |= (((word >> k) & 1) as u8) << j;
                            }
                        }
                    }
                    Multipliers::Mammen => {
                        let p = multipliers.p_beta();
                        for (b, byte) in out.iter_mut().enumerate() {
                            *byte |= u8::from(uniform(draw(seed, id, b as u64)) < p) << j;
                        }
                    }
                }
            }
        };
        if replicates > 0 {
            if par.is_parallel() {
                bytes.par_chunks_mut(replicates).enumerate().for_each(fill);
            } else {
                bytes.chunks_mut(replicates).enumerate().for_each(fill);
            }
        }
        MultiplierBits {
            multipliers,
            replicates,
            keys: ids.len(),
            bytes,
        }
    }

    /// The distribution drawn from.
    pub fn multipliers(&self) -> Multipliers {
        self.multipliers
    }

    /// Replicates.
    pub fn replicates(&self) -> usize {
        self.replicates
    }

    /// Keys.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// Whether the key at `position` takes `beta` in replicate `b`.
    ///
    /// # Panics
    /// If `position` or `b` is out of range.
    pub fn bit(&self, position: usize, b: usize) -> bool {
        assert!(
            position < self.keys && b < self.replicates,
            "bit out of range"
        );
        (self.bytes[position / GROUP * self.replicates + b] >> (position % GROUP)) & 1 == 1
    }

    /// The key at `position`'s multiplier in replicate `b`.
    pub fn value(&self, position: usize, b: usize) -> f64 {
        let (alpha, beta) = self.multipliers.values();
        if self.bit(position, b) { beta } else { alpha }
    }

    /// Group `g`'s bytes, one per replicate.
    fn group(&self, g: usize) -> &[u8] {
        &self.bytes[g * self.replicates..(g + 1) * self.replicates]
    }
}

/// Adds `sum_k coef[k][l] v(first + k, b)` to `acc[b * BLOCK + l]` for every replicate `b` and
/// lane `l`: the subset-sum fast path (module docs).
///
/// # Panics
/// If `first` is not a multiple of [`GROUP`], the coefficients run past the bits' keys, or
/// `acc` does not hold `replicates x BLOCK` values.
pub fn replicate_sums(coef: &[[f32; BLOCK]], first: usize, bits: &MultiplierBits, acc: &mut [f64]) {
    check(coef, first, bits, acc);
    let b_count = bits.replicates;
    let (alpha, beta) = bits.multipliers.values();
    let mut partial = vec![[0f32; BLOCK]; b_count];
    let mut tables = vec![[0f32; BLOCK]; 2 * 256];
    let mut start = 0;
    while start < coef.len() {
        // The tile ends at the next absolute multiple of TILE.
        let end = ((first + start) / TILE + 1) * TILE - first;
        let tile = &coef[start..end.min(coef.len())];
        partial.iter_mut().for_each(|p| *p = [0.0; BLOCK]);
        let mut plain = [0f64; BLOCK];
        let group0 = (first + start) / GROUP;
        // Two groups per sweep over the replicates: half the loads and stores of `partial`.
        for (pair, keys) in tile.chunks(2 * GROUP).enumerate() {
            let (t0, t1) = tables.split_at_mut(256);
            let (k0, k1) = keys.split_at(keys.len().min(GROUP));
            subset_sums(k0, t0, &mut plain);
            let g = group0 + 2 * pair;
            if k1.is_empty() {
                for (p, &byte) in partial.iter_mut().zip(bits.group(g)) {
                    add(p, &t0[byte as usize]);
                }
            } else {
                subset_sums(k1, t1, &mut plain);
                for ((p, &b0), &b1) in partial.iter_mut().zip(bits.group(g)).zip(bits.group(g + 1))
                {
                    let mut t = t0[b0 as usize];
                    add(&mut t, &t1[b1 as usize]);
                    add(p, &t);
                }
            }
        }
        for (a, p) in acc.chunks_exact_mut(BLOCK).zip(&partial) {
            for l in 0..BLOCK {
                a[l] += alpha * plain[l] + (beta - alpha) * f64::from(p[l]);
            }
        }
        start = end;
    }
}

/// The scalar twin of [`replicate_sums`]: `c v` in f64, key by key, for each replicate.
///
/// # Panics
/// As [`replicate_sums`].
pub fn replicate_sums_scalar(
    coef: &[[f32; BLOCK]],
    first: usize,
    bits: &MultiplierBits,
    acc: &mut [f64],
) {
    check(coef, first, bits, acc);
    for (b, a) in acc.chunks_exact_mut(BLOCK).enumerate() {
        for (k, c) in coef.iter().enumerate() {
            let v = bits.value(first + k, b);
            for l in 0..BLOCK {
                a[l] += f64::from(c[l]) * v;
            }
        }
    }
}

/// The checks both twins make.
fn check(coef: &[[f32; BLOCK]], first: usize, bits: &MultiplierBits, acc: &[f64]) {
    assert!(
        first.is_multiple_of(GROUP),
        "first key {first} is not a group's first"
    );
    assert!(
        first + coef.len() <= bits.keys,
        "coefficients of keys {first}..{} but bits of {} keys",
        first + coef.len(),
        bits.keys
    );
    assert_eq!(acc.len(), bits.replicates * BLOCK, "accumulators");
}

/// The 256 subset sums of up to [`GROUP`] keys' coefficients (missing keys are 0), each the
/// sum without its lowest key plus that key; adds the keys to `plain` in f64.
#[inline(always)]
fn subset_sums(keys: &[[f32; BLOCK]], table: &mut [[f32; BLOCK]], plain: &mut [f64; BLOCK]) {
    let mut c = [[0f32; BLOCK]; GROUP];
    c[..keys.len()].copy_from_slice(keys);
    for k in &c {
        for l in 0..BLOCK {
            plain[l] += f64::from(k[l]);
        }
    }
    table[0] = [0.0; BLOCK];
    for m in 1..256 {
        let mut t = table[m & (m - 1)];
        add(&mut t, &c[m.trailing_zeros() as usize]);
        table[m] = t;
    }
}

/// `a += b`, lane by lane (one or a few vector adds).
#[inline(always)]
fn add(a: &mut [f32; BLOCK], b: &[f32; BLOCK]) {
    for l in 0..BLOCK {
        a[l] += b[l];
    }
}
