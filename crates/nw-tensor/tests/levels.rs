//! The instruction-set levels against each other, in one process: AVX-512 and AVX2 give the
//! same bits (both fuse multiply-adds, over the same sixteen lanes in the same order); the
//! baseline, which never fuses, stays within the kernels' stated bounds of them. On a CPU
//! without a level, `On(level)` runs the highest level below it and the checks still hold.

use nw_tensor::kernels::isa::Level;
use nw_tensor::kernels::simd::On;
use nw_tensor::kernels::{MR, NR};

/// A deterministic spread of values in `[lo, hi)`.
fn values(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Every kernel of `On` on `level`: exp, exp2, softmax rows, dot products, register tiles.
fn run_all(level: Level) -> Vec<Vec<f32>> {
    let on = On(level);
    let x = values(1003, 1, -90.0, 0.0);
    let (mut e, mut e2) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    on.exp(&x, &mut e);
    on.exp2(&x, &mut e2);
    let mut soft = values(7 * 67, 2, -30.0, 30.0);
    on.softmax_rows(&mut soft, 67);
    let (a, b) = (values(1001, 3, -1.0, 1.0), values(1001, 4, -1.0, 1.0));
    let dots: Vec<f32> = (1..a.len())
        .step_by(97)
        .map(|n| on.dot(&a[..n], &b[..n]))
        .collect();
    let kc = 37;
    let rows: Vec<Vec<f32>> = (0..MR)
        .map(|i| values(kc, 10 + i as u64, -1.0, 1.0))
        .collect();
    let a_rows: [&[f32]; MR] = std::array::from_fn(|i| &rows[i][..]);
    let panel = values(kc * NR, 5, -1.0, 1.0);
    let mut tile = values(MR * NR, 6, -1.0, 1.0);
    on.gemm_tile(&a_rows, &panel, &mut tile, NR, false);
    vec![e, e2, soft, dots, tile]
}

#[test]
fn avx512_and_avx2_agree_bit_for_bit() {
    let (wide, narrow) = (run_all(Level::Avx512), run_all(Level::Avx2));
    for (k, (w, n)) in wide.iter().zip(&narrow).enumerate() {
        assert_eq!(bits(w), bits(n), "kernel {k}");
    }
}

#[test]
fn the_baseline_stays_within_the_bounds_of_the_fused_levels() {
    let (fused, base) = (run_all(Level::Avx2), run_all(Level::Baseline));
    // exp and exp2: each within 2e-7 relative of f64, so within 4e-7 of each other.
    for k in 0..2 {
        for (f, b) in fused[k].iter().zip(&base[k]) {
            assert!(
                (f - b).abs() <= 4e-7 * f.abs(),
                "kernel {k}: {f:e} vs {b:e}"
            );
        }
    }
    // Softmax rows: probabilities within 1e-6 of each other.
    for (f, b) in fused[2].iter().zip(&base[2]) {
        assert!((f - b).abs() <= 1e-6, "softmax: {f:e} vs {b:e}");
    }
    // Dots and tiles: sums of up to 1000 terms of magnitude <= 1, rounded differently.
    for k in 3..5 {
        for (f, b) in fused[k].iter().zip(&base[k]) {
            assert!((f - b).abs() <= 2e-5, "kernel {k}: {f:e} vs {b:e}");
        }
    }
    // And they do differ somewhere when the baseline really runs unfused: the test sees the
    // rounding it claims to bound.
    if Level::detected() >= Level::Avx2 {
        assert!(fused.iter().zip(&base).any(|(f, b)| bits(f) != bits(b)));
    }
}

#[test]
fn a_level_above_the_cpu_runs_as_the_highest_below_it() {
    // `On(Avx512)` on any CPU is the same as the detected level's (or Avx512 itself).
    let top = Level::detected();
    let (asked, got) = (run_all(Level::Avx512), run_all(top));
    for (a, g) in asked.iter().zip(&got) {
        assert_eq!(bits(a), bits(g));
    }
}

#[test]
fn levels_parse_and_order() {
    for l in Level::ALL {
        assert_eq!(Level::parse(l.name()), Some(l));
    }
    assert_eq!(Level::parse("sse4"), None);
    assert!(Level::Baseline < Level::Avx2 && Level::Avx2 < Level::Avx512);
    assert!(!Level::Baseline.fused() && Level::Avx2.fused() && Level::Avx512.fused());
    assert!(Level::active() <= Level::detected());
}
