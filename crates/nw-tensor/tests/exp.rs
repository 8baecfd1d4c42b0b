//! The vector exp: accuracy against f64 over its whole input range, special values, no
//! denormal output, and bit equality with its scalar twin.

use nw_tensor::kernels::LANES;
use nw_tensor::kernels::scalar::{self, EXP_FLUSH_BELOW};
use nw_tensor::kernels::simd::On;

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

/// The vector exp on the active level (`NW_SIMD` caps it), the scalar twin on the tail.
fn simd_exp_all(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    On::active().exp(x, &mut out);
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

// ---- exp2, the fused pooling kernels' weight ------------------------------------------------

/// The stated bound of `exp2`: relative error at most 2e-7 (the worst seen is 1.67e-7).
const EXP2_MAX_REL: f64 = 2e-7;

/// The vector exp2 on the active level, the scalar twin on the tail.
fn simd_exp2_all(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    On::active().exp2(x, &mut out);
    out
}

#[test]
fn exp2_within_2e_7_relative_over_the_whole_range() {
    let xs: Vec<f32> = sweep(scalar::EXP2_FLUSH_BELOW, 131).collect();
    assert!(xs.len() > 5_000_000);
    let ys = simd_exp2_all(&xs);
    let mut worst = (0.0, 0.0f32);
    for (&x, &y) in xs.iter().zip(&ys) {
        let want = f64::from(x).exp2();
        let e = (f64::from(y) - want).abs() / want;
        if e > worst.0 {
            worst = (e, x);
        }
    }
    assert!(
        worst.0 <= EXP2_MAX_REL,
        "{:e} at x = {:e}",
        worst.0,
        worst.1
    );
    // And near the ends of the reduction interval, where the polynomial is worst.
    for n in -64..=0 {
        for r in [-0.5f32, -0.499_999_97, 0.499_999_97] {
            let x = n as f32 + r;
            if (scalar::EXP2_FLUSH_BELOW..=0.0).contains(&x) {
                let want = f64::from(x).exp2();
                let got = f64::from(scalar::exp2(x));
                assert!((got - want).abs() / want <= EXP2_MAX_REL, "x = {x}");
            }
        }
    }
}

#[test]
fn exp2_twins_agree_bit_for_bit() {
    let xs: Vec<f32> = sweep(-300.0, 1009)
        .chain([f32::NEG_INFINITY, f32::NAN, -0.0, -64.0, -64.000_01, -1e30])
        .collect();
    let ys = simd_exp2_all(&xs);
    for (&x, &y) in xs.iter().zip(&ys) {
        assert_eq!(y.to_bits(), scalar::exp2(x).to_bits(), "x = {x:e}");
    }
}

#[test]
fn exp2_special_values_and_no_denormals() {
    for f in [scalar::exp2, |x| simd_exp2_all(&[x; 16])[0]] {
        assert_eq!(f(-0.0), 1.0);
        assert_eq!(f(0.0), 1.0);
        assert_eq!(f(-1.0), 0.5);
        assert_eq!(f(-64.0), 2f32.powi(-64));
        assert_eq!(f(f32::NEG_INFINITY).to_bits(), 0.0f32.to_bits());
        assert_eq!(f(-64.000_01), 0.0);
        assert_eq!(f(-1e30), 0.0);
        assert!(f(f32::NAN).is_nan());
    }
    // Nothing between 0 and 2^-64 ever comes out, so nothing near the denormals.
    let xs: Vec<f32> = sweep(-160.0, 97).collect();
    for y in simd_exp2_all(&xs) {
        assert!(y == 0.0 || y >= 2f32.powi(-64), "{y:e}");
    }
}
