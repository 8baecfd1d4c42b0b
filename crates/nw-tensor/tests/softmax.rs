//! Row softmax: special values, the stated error bound against f64 for both twins over sizes
//! that cross every lane boundary, and thread-count independence.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::kernels::LANES;
use nw_tensor::ops::softmax::{softmax_rows, softmax_rows_scalar};
use nw_tensor::{Par, Tensor, TensorError};

const U: f64 = 1.0 / (1u64 << 24) as f64;

/// The softmax of one row in f64, from the same f32 inputs.
fn softmax_f64(x: &[f32]) -> Vec<f64> {
    let m = x
        .iter()
        .map(|&v| f64::from(v))
        .fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|&v| (f64::from(v) - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Checks every entry of `got` (rows of `cols`) against f64 with the bound stated in
/// `nw_tensor::ops::softmax`, for a sum whose longest addition chain is `chain`.
fn assert_within_bound(x: &[f32], got: &[f32], cols: usize, chain: f64) {
    for (row, (xr, gr)) in x.chunks(cols).zip(got.chunks(cols)).enumerate() {
        let want = softmax_f64(xr);
        let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let n = cols as f64;
        for (j, ((&xv, &g), &w)) in xr.iter().zip(gr).zip(&want).enumerate() {
            let err = (f64::from(g) - w).abs();
            if w < f64::from(f32::MIN_POSITIVE) {
                assert!(
                    err <= f64::from(f32::MIN_POSITIVE),
                    "row {row} col {j}: {g:e} vs {w:e}"
                );
            } else {
                let bound = (f64::from(m - xv).abs() + n.ln() + chain + 9.0) * U;
                assert!(
                    err / w <= bound,
                    "row {row} col {j} of {cols}: rel {:e} > {bound:e}",
                    err / w
                );
            }
        }
        let total: f64 = gr.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (total - 1.0).abs() <= (chain + n + 10.0) * U,
            "row {row} sums to {total}"
        );
    }
}

fn simd_chain(cols: usize) -> f64 {
    (cols / (4 * LANES) + LANES + 12) as f64
}

#[test]
fn huge_scores_are_stable() {
    let t = Tensor::from_slice(&[1234.0, 0.0])
        .softmax(Par::Seq)
        .unwrap();
    assert_eq!(t.data(), &[1.0, 0.0]);
    let t = Tensor::from_slice(&[-1e30, 3e38, -3e38])
        .softmax(Par::Seq)
        .unwrap();
    assert_eq!(t.data(), &[0.0, 1.0, 0.0]);
}

#[test]
fn minus_infinity_gets_exactly_zero_weight() {
    let x = [0.0, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY];
    let y = Tensor::from_slice(&x).softmax(Par::Seq).unwrap();
    assert_eq!(y.data()[1].to_bits(), 0);
    assert_eq!(y.data()[3].to_bits(), 0);
    let want = softmax_f64(&[0.0, 1.0]);
    assert!((f64::from(y.data()[0]) - want[0]).abs() < 1e-7);
    assert!((f64::from(y.data()[2]) - want[1]).abs() < 1e-7);
    let one = Tensor::from_slice(&[f32::NEG_INFINITY, -5.0, f32::NEG_INFINITY])
        .softmax(Par::Seq)
        .unwrap();
    assert_eq!(one.data(), &[0.0, 1.0, 0.0]);
}

#[test]
fn rows_without_a_distribution_are_all_nan_and_leave_other_rows_alone() {
    let cols = 2 * LANES + 3;
    let mut x = vec![0.0f32; 5 * cols];
    for (i, v) in x.iter_mut().enumerate() {
        *v = -((i % cols) as f32) / 4.0;
    }
    let good = x[..cols].to_vec();
    x[cols..2 * cols].fill(f32::NEG_INFINITY);
    x[2 * cols + 7] = f32::NAN;
    x[3 * cols + cols - 1] = f32::INFINITY;
    x[4 * cols..5 * cols].copy_from_slice(&good);
    for run in [
        |x: &mut [f32], c: usize| softmax_rows(x, c, Par::Rayon),
        |x: &mut [f32], c: usize| softmax_rows_scalar(x, c),
    ] {
        let mut y = x.clone();
        run(&mut y, cols);
        for row in 1..4 {
            assert!(
                y[row * cols..(row + 1) * cols].iter().all(|v| v.is_nan()),
                "row {row}"
            );
        }
        assert_within_bound(&good, &y[..cols], cols, cols as f64);
        assert_eq!(bits(&y[..cols]), bits(&y[4 * cols..]));
    }
}

#[test]
fn single_entry_rows_are_one() {
    let y = Tensor::new(&[3, 1], vec![-7.0, 0.0, 1e20])
        .unwrap()
        .softmax(Par::Seq)
        .unwrap();
    assert_eq!(y.data(), &[1.0, 1.0, 1.0]);
}

#[test]
fn empty_shapes() {
    for shape in [[3usize, 0], [0, 5]] {
        let y = Tensor::zeros(&shape).unwrap().softmax(Par::Rayon).unwrap();
        assert_eq!(y.shape(), &shape);
    }
    let scalar = Tensor::new(&[], vec![1.0]).unwrap();
    assert_eq!(
        scalar.softmax(Par::Seq).unwrap_err(),
        TensorError::Rank {
            op: "softmax",
            expected: "at least 1 axis",
            shape: vec![]
        }
    );
}

#[test]
fn both_twins_within_the_stated_bound_over_interesting_sizes() {
    let mut rng = Rng::new(10);
    let sizes = [
        1,
        2,
        LANES - 1,
        LANES,
        LANES + 1,
        4 * LANES - 1,
        4 * LANES,
        4 * LANES + 1,
        5 * LANES + 3,
        1000,
        4099,
    ];
    for &cols in &sizes {
        // A narrow range (every weight matters) and a wide one (flushes, large shifts).
        for (lo, hi) in [(-3.0, 3.0), (-150.0, 40.0)] {
            let x = rng.vec(7 * cols, lo, hi);
            let mut y = x.clone();
            softmax_rows(&mut y, cols, Par::Seq);
            assert_within_bound(&x, &y, cols, simd_chain(cols));
            let mut z = x.clone();
            softmax_rows_scalar(&mut z, cols);
            assert_within_bound(&x, &z, cols, cols as f64);
        }
    }
}

#[test]
fn a_long_row_of_nearly_equal_scores() {
    // 100 000 weights of about 1e-5 each: the sum's accuracy decides every entry.
    let mut rng = Rng::new(11);
    let cols = 100_003;
    let x = rng.vec(cols, -1.0, 0.0);
    let mut y = x.clone();
    softmax_rows(&mut y, cols, Par::Seq);
    assert_within_bound(&x, &y, cols, simd_chain(cols));
}

#[test]
fn tensor_softmax_works_along_the_last_axis() {
    let mut rng = Rng::new(12);
    let x = Tensor::new(&[2, 3, 5], rng.vec(30, -2.0, 2.0)).unwrap();
    let y = x.softmax(Par::Seq).unwrap();
    assert_eq!(y.shape(), &[2, 3, 5]);
    assert_within_bound(x.data(), y.data(), 5, simd_chain(5));
}

#[test]
fn same_bits_on_one_and_two_threads() {
    let mut rng = Rng::new(13);
    let cols = 1001;
    let x = rng.vec(300 * cols, -20.0, 5.0);
    let run = |par: Par| {
        let mut y = x.clone();
        softmax_rows(&mut y, cols, par);
        bits(&y)
    };
    let seq = run(Par::Seq);
    assert_eq!(on_threads(1, || run(Par::Rayon)), seq);
    assert_eq!(on_threads(2, || run(Par::Rayon)), seq);
}
