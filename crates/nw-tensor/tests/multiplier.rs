//! Wild-bootstrap replicate sums: the subset-sum fast path against its f64 scalar twin over
//! sizes that cross group and tile boundaries; the draws against an independent SplitMix64;
//! the bits the same on 1 and 2 threads; Mammen's distribution's moments and frequencies.

mod common;

use common::{Rng, on_threads};
use nw_tensor::Par;
use nw_tensor::ops::multiplier::{
    BLOCK, GROUP, MultiplierBits, Multipliers, TILE, replicate_sums, replicate_sums_scalar,
};

/// SplitMix64 as its authors wrote it: a state advanced by the golden gamma, then mixed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Key `id`'s stream under `seed`, as the module docs define it.
fn stream(seed: u64, id: u64) -> SplitMix {
    let mut seeder = SplitMix(seed.wrapping_add(id.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    SplitMix(seeder.next())
}

/// The reference draw: Rademacher from the bits of successive words, Mammen by comparing a
/// 53-bit uniform with the probability of the larger value.
fn reference_values(m: Multipliers, seed: u64, id: u64, replicates: usize) -> Vec<f64> {
    let s5 = 5f64.sqrt();
    let mut s = stream(seed, id);
    match m {
        Multipliers::Rademacher => {
            let mut out = Vec::new();
            while out.len() < replicates {
                let w = s.next();
                for k in 0..64 {
                    out.push(if (w >> k) & 1 == 1 { 1.0 } else { -1.0 });
                }
            }
            out.truncate(replicates);
            out
        }
        Multipliers::Mammen => (0..replicates)
            .map(|_| {
                let u = (s.next() >> 11) as f64 / 2f64.powi(53);
                if u < (s5 - 1.0) / (2.0 * s5) {
                    (s5 + 1.0) / 2.0
                } else {
                    -(s5 - 1.0) / 2.0
                }
            })
            .collect(),
    }
}

#[test]
fn draws_match_an_independent_splitmix64() {
    for m in [Multipliers::Rademacher, Multipliers::Mammen] {
        let ids: Vec<u64> = vec![0, 1, 2, 7, 1000, 12345, u64::from(u32::MAX)];
        let bits = MultiplierBits::new(m, 42, &ids, 130, Par::Seq);
        for (pos, &id) in ids.iter().enumerate() {
            let want = reference_values(m, 42, id, 130);
            for (b, &w) in want.iter().enumerate() {
                assert_eq!(bits.value(pos, b), w, "{m:?} key {id} replicate {b}");
                assert_eq!(m.value(42, id, b), w);
            }
        }
    }
}

#[test]
fn draws_depend_on_the_id_not_the_position_or_the_threads() {
    let ids: Vec<u64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
    for m in [Multipliers::Rademacher, Multipliers::Mammen] {
        let seq = MultiplierBits::new(m, 9, &ids, 257, Par::Seq);
        let two = on_threads(2, || MultiplierBits::new(m, 9, &ids, 257, Par::Rayon));
        assert_eq!(seq, two);
        // Fewer replicates: the same first draws.
        let short = MultiplierBits::new(m, 9, &ids[3..10], 65, Par::Seq);
        for pos in 0..7 {
            for b in 0..65 {
                assert_eq!(short.bit(pos, b), seq.bit(pos + 3, b));
            }
        }
    }
}

#[test]
fn mammen_has_mean_zero_variance_one_third_moment_one() {
    let m = Multipliers::Mammen;
    let (a, b) = m.values();
    let p = m.p_beta();
    let moment = |k: i32| (1.0 - p) * a.powi(k) + p * b.powi(k);
    assert!(moment(1).abs() < 1e-15, "{}", moment(1));
    assert!((moment(2) - 1.0).abs() < 1e-15, "{}", moment(2));
    assert!((moment(3) - 1.0).abs() < 1e-15, "{}", moment(3));
    // The draws: the frequency of beta within 5 standard errors.
    let ids: Vec<u64> = (0..200).collect();
    let bits = MultiplierBits::new(m, 3, &ids, 1000, Par::Seq);
    let n = 200.0 * 1000.0;
    let ones = (0..200)
        .flat_map(|i| (0..1000).map(move |r| (i, r)))
        .filter(|&(i, r)| bits.bit(i, r))
        .count() as f64;
    let se = (p * (1.0 - p) / n).sqrt();
    assert!((ones / n - p).abs() < 5.0 * se, "{} vs {p}", ones / n);
    let r = Multipliers::Rademacher;
    let (a, b) = r.values();
    assert_eq!((a, b, r.p_beta()), (-1.0, 1.0, 0.5));
}

/// The stated bound: `(beta - alpha) 2^-24 (GROUP + TILE / GROUP) sum |c|`, per lane.
fn bound(m: Multipliers, coef: &[[f32; BLOCK]], lane: usize) -> f64 {
    let (a, b) = m.values();
    let mag: f64 = coef.iter().map(|c| f64::from(c[lane]).abs()).sum();
    (b - a) * 2f64.powi(-24) * (GROUP + TILE / GROUP) as f64 * mag
}

#[test]
fn fast_path_matches_the_scalar_twin() {
    let mut rng = Rng::new(5);
    let sizes = [
        0,
        1,
        GROUP - 1,
        GROUP,
        GROUP + 1,
        2 * GROUP + 3,
        TILE - 1,
        TILE,
        TILE + 1,
        2 * TILE + 13,
    ];
    for m in [Multipliers::Rademacher, Multipliers::Mammen] {
        for &replicates in &[1usize, 63, 64, 65, 200] {
            for &first in &[0usize, GROUP, TILE - GROUP, TILE + 3 * GROUP] {
                for &n in &sizes {
                    let keys = first + n + 5;
                    let ids: Vec<u64> = (0..keys as u64).collect();
                    let bits = MultiplierBits::new(m, 11, &ids, replicates, Par::Seq);
                    let coef: Vec<[f32; BLOCK]> = (0..n)
                        .map(|_| {
                            let mut c = [0f32; BLOCK];
                            for (l, v) in c.iter_mut().enumerate() {
                                // Lanes of different scales, signs and some exact zeros.
                                *v = if l % 5 == 4 {
                                    0.0
                                } else {
                                    rng.uniform(-1.0, 1.0) * 10f32.powi(l as i32 % 4 - 2)
                                };
                            }
                            c
                        })
                        .collect();
                    let mut fast = vec![0.5; replicates * BLOCK];
                    let mut slow = vec![0.5; replicates * BLOCK];
                    replicate_sums(&coef, first, &bits, &mut fast);
                    replicate_sums_scalar(&coef, first, &bits, &mut slow);
                    for b in 0..replicates {
                        for l in 0..BLOCK {
                            let (f, s) = (fast[b * BLOCK + l], slow[b * BLOCK + l]);
                            assert!(
                                (f - s).abs() <= bound(m, &coef, l),
                                "{m:?} B {replicates} first {first} n {n} b {b} lane {l}: {f} vs {s}"
                            );
                            if l % 5 == 4 {
                                assert_eq!(f, 0.5, "a zero lane stays exact");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_lane_does_not_depend_on_its_neighbours() {
    // The same lane's coefficients, once with busy neighbours and once alone: the same bits.
    let mut rng = Rng::new(8);
    let n = 3 * TILE + 17;
    let ids: Vec<u64> = (0..n as u64).collect();
    let bits = MultiplierBits::new(Multipliers::Mammen, 1, &ids, 99, Par::Seq);
    let busy: Vec<[f32; BLOCK]> = (0..n)
        .map(|_| std::array::from_fn(|_| rng.uniform(-1.0, 1.0)))
        .collect();
    let alone: Vec<[f32; BLOCK]> = busy
        .iter()
        .map(|c| std::array::from_fn(|l| if l == 3 { c[3] } else { 0.0 }))
        .collect();
    let (mut a, mut b) = (vec![0.0; 99 * BLOCK], vec![0.0; 99 * BLOCK]);
    replicate_sums(&busy, 0, &bits, &mut a);
    replicate_sums(&alone, 0, &bits, &mut b);
    for r in 0..99 {
        assert_eq!(a[r * BLOCK + 3].to_bits(), b[r * BLOCK + 3].to_bits());
    }
}
