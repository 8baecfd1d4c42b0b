//! The vector exp: accuracy against f64 over its whole input range, special values, no
//! denormal output, and bit equality with its scalar twin.

use nw_tensor::kernels::scalar::{self, EXP_FLUSH_BELOW};
use nw_tensor::kernels::simd::{self, LANES};

/// The stated bound: error at most 1.5 ulp of the true result (the worst seen over every
/// third f32 of [-87.3, 0] was 1.01 ulp), i.e. relative error under 1.8e-7.
const MAX_ULPS: f64 = 1.5;

fn ulps(got: f32, want: f64) -> f64 {
    // One ulp of the true result: 2^(floor(log2 want) - 23).
    let ulp = 2f64.powi(want.log2().floor() as i32 - 23);
    (f64::from(got) - want).abs() / ulp
}

/// Every `stride`-th f32 from `lo` to 0 (both negative), walking the bit patterns.
fn sweep(lo: f32, stride: u32) -> impl Iterator<Item = f32> {
    let (start, end) = ((-0.0f32).to_bits(), lo.to_bits());
    (start..=end).step_by(stride as usize).map(f32::from_bits)
}

fn simd_exp_all(x: &[f32]) -> Vec<f32> {
    let mut out = x.to_vec();
    let mut chunks = out.chunks_exact_mut(LANES);
    for c in &mut chunks {
        simd::store(c, simd::exp(simd::load(c)));
    }
    for v in chunks.into_remainder() {
        *v = scalar::exp(*v);
    }
    out
}

#[test]
fn within_1_5_ulps_over_the_whole_range() {
    // About 8 million points across every binade from -87.3 to -0.
    let xs: Vec<f32> = sweep(EXP_FLUSH_BELOW, 131).collect();
    assert!(xs.len() > 5_000_000);
    let ys = simd_exp_all(&xs);
    let mut worst = (0.0, 0.0f32);
    for (&x, &y) in xs.iter().zip(&ys) {
        let e = ulps(y, f64::from(x).exp());
        if e > worst.0 {
            worst = (e, x);
        }
    }
    assert!(worst.0 <= MAX_ULPS, "{} ulps at x = {:e}", worst.0, worst.1);
}

#[test]
fn vector_and_scalar_twins_agree_bit_for_bit() {
    let xs: Vec<f32> = sweep(-200.0, 1009)
        .chain([f32::NEG_INFINITY, f32::NAN, -0.0])
        .collect();
    let ys = simd_exp_all(&xs);
    for (&x, &y) in xs.iter().zip(&ys) {
        assert_eq!(y.to_bits(), scalar::exp(x).to_bits(), "x = {x:e}");
    }
}

#[test]
fn special_values() {
    let xs = [
        -0.0,
        0.0,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        EXP_FLUSH_BELOW,
        f32::from_bits(EXP_FLUSH_BELOW.to_bits() + 1),
        -88.0,
        -103.0,
        -1e30,
        f32::MIN,
        -f32::MIN_POSITIVE,
        -1e-45,
    ];
    let mut padded = xs.to_vec();
    padded.resize(xs.len().next_multiple_of(LANES), -1.0);
    let ys = simd_exp_all(&padded);
    for (i, &x) in xs.iter().enumerate() {
        let (y, s) = (ys[i], scalar::exp(x));
        assert_eq!(y.to_bits(), s.to_bits(), "twins differ at {x}");
        if x.is_nan() {
            assert!(y.is_nan(), "NaN must stay NaN");
        } else if x < EXP_FLUSH_BELOW {
            assert_eq!(y.to_bits(), 0, "exp({x}) must be exactly +0");
        } else {
            assert!(ulps(y, f64::from(x).exp()) <= MAX_ULPS, "exp({x}) = {y}");
        }
    }
    assert_eq!(ys[0], 1.0);
    assert_eq!(ys[1], 1.0);
    // The flush threshold is the last input whose result is a normal number.
    assert!(ys[5] >= f32::MIN_POSITIVE);
    assert!(
        f64::from(f32::from_bits(EXP_FLUSH_BELOW.to_bits() + 1)).exp()
            < f64::from(f32::MIN_POSITIVE)
    );
    // Tiny negative inputs round to 1.
    assert_eq!(ys[11], 1.0);
    assert_eq!(ys[12], 1.0);
}

#[test]
fn never_denormal() {
    let xs: Vec<f32> = sweep(-120.0, 7).filter(|&x| x < -80.0).collect();
    let ys = simd_exp_all(&xs);
    for (&x, &y) in xs.iter().zip(&ys) {
        assert!(y == 0.0 || y.is_normal(), "exp({x:e}) = {y:e} is denormal");
    }
}
