//! Matrix products: the chapter's examples, the SIMD driver against its scalar twin and an
//! f64 reference over shapes that cross every lane and tile boundary, and thread-count
//! independence.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::kernels::{LANES, MR, NR, scalar, simd};
use nw_tensor::ops::matmul::{KC, batched_gemm, gemm, gemm_naive};
use nw_tensor::{Par, Tensor, TensorError};

/// `A B` in f64 from the same f32 inputs, with the sum of |terms| for a relative bound.
fn gemm_f64(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let mut c = vec![0.0; m * n];
    let mut mag = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                let t = f64::from(a[i * k + p]) * f64::from(b[p * n + j]);
                c[i * n + j] += t;
                mag[i * n + j] += t.abs();
            }
        }
    }
    (c, mag)
}

/// Sizes around every boundary the driver has: lanes, tile rows and columns, blocks.
fn interesting(limit: usize) -> Vec<usize> {
    let mut v = vec![
        0,
        1,
        2,
        MR - 1,
        MR,
        MR + 1,
        LANES - 1,
        LANES,
        LANES + 1,
        NR - 1,
        NR,
        NR + 1,
        2 * NR + 3,
        KC - 1,
        KC,
        KC + 1,
    ];
    v.retain(|&s| s <= limit);
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn chapter_ones_example() {
    // torch.bmm(torch.ones((2, 1, 4)), torch.ones((2, 4, 6))).shape == (2, 1, 6), all 4.
    let x = Tensor::ones(&[2, 1, 4]).unwrap();
    let y = Tensor::ones(&[2, 4, 6]).unwrap();
    let z = x.bmm(&y, Par::Seq).unwrap();
    assert_eq!(z.shape(), &[2, 1, 6]);
    assert!(z.data().iter().all(|&v| v == 4.0));
}

#[test]
fn chapter_weighted_average_example() {
    // weights 0.1 x values arange(20) reshaped (2, 10): [[4.5]], [[14.5]].
    let weights = Tensor::full(&[2, 10], 0.1).unwrap().unsqueeze(1).unwrap();
    let values = Tensor::arange(20)
        .unwrap()
        .reshape(&[2, 10])
        .unwrap()
        .unsqueeze(2)
        .unwrap();
    let avg = weights.bmm(&values, Par::Seq).unwrap();
    assert_eq!(avg.shape(), &[2, 1, 1]);
    // 0.1 is not exact in f32: the f64 sums of 0.1f32 * i are the reference.
    let tenth = f64::from(0.1f32);
    for (got, first) in avg.data().iter().zip([0.0, 10.0]) {
        let want: f64 = (0..10).map(|i| tenth * (first + f64::from(i))).sum();
        assert!(
            (f64::from(*got) - want).abs() <= 1e-6 * want,
            "{got} vs {want}"
        );
    }
    assert!((avg.data()[0] - 4.5).abs() < 1e-5 && (avg.data()[1] - 14.5).abs() < 1e-5);
}

#[test]
fn bmm_shape_errors_name_the_op_and_both_shapes() {
    let x = Tensor::ones(&[2, 1, 4]).unwrap();
    let y = Tensor::ones(&[2, 5, 6]).unwrap();
    let err = x.bmm(&y, Par::Seq).unwrap_err();
    assert_eq!(
        err,
        TensorError::ShapeMismatch {
            op: "bmm",
            lhs: vec![2, 1, 4],
            rhs: vec![2, 5, 6]
        }
    );
    assert_eq!(
        err.to_string(),
        "bmm: shapes [2, 1, 4] and [2, 5, 6] do not fit"
    );
    let batch = Tensor::ones(&[3, 4, 6]).unwrap();
    assert!(matches!(
        x.bmm(&batch, Par::Seq),
        Err(TensorError::ShapeMismatch { op: "bmm", .. })
    ));
    let flat = Tensor::ones(&[4, 6]).unwrap();
    let err = x.bmm(&flat, Par::Seq).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bmm: expects 3-d tensors, got shape [4, 6]"
    );
}

#[test]
fn matmul_matrix_and_vector() {
    // [[1, 2, 3], [4, 5, 6]] times [1, 0, -1] and times the 3 x 2 matrix below.
    let a = Tensor::new(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let v = Tensor::from_slice(&[1.0, 0.0, -1.0]);
    let av = a.matmul(&v, Par::Seq).unwrap();
    assert_eq!(av.shape(), &[2]);
    assert_eq!(av.data(), &[-2.0, -2.0]);
    let b = Tensor::new(&[3, 2], vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]).unwrap();
    let ab = a.matmul(&b, Par::Seq).unwrap();
    assert_eq!(ab.shape(), &[2, 2]);
    assert_eq!(ab.data(), &[4.0, 5.0, 10.0, 11.0]);
    let err = a.matmul(&a, Par::Seq).unwrap_err();
    assert_eq!(
        err.to_string(),
        "matmul: shapes [2, 3] and [2, 3] do not fit"
    );
}

#[test]
fn tile_kernel_matches_its_scalar_twin_bit_for_bit() {
    let mut rng = Rng::new(1);
    for kc in [0, 1, 2, 7, 64, KC - 1, KC] {
        let rows: Vec<Vec<f32>> = (0..MR).map(|_| rng.vec(kc, -1.0, 1.0)).collect();
        let a: [&[f32]; MR] = std::array::from_fn(|i| &rows[i][..]);
        let b = rng.vec(kc * NR, -1.0, 1.0);
        for first in [true, false] {
            // A stride wider than the tile, with sentinels between rows.
            let ldc = NR + 3;
            let c0 = rng.vec(MR * ldc, -1.0, 1.0);
            let (mut c_simd, mut c_scalar) = (c0.clone(), c0.clone());
            simd::On::active().gemm_tile(&a, &b, &mut c_simd, ldc, first);
            scalar::gemm_tile(&a, &b, &mut c_scalar, ldc, first);
            assert_eq!(bits(&c_simd), bits(&c_scalar), "kc = {kc}, first = {first}");
            for i in 0..MR {
                assert_eq!(
                    bits(&c_simd[i * ldc + NR..(i + 1) * ldc]),
                    bits(&c0[i * ldc + NR..(i + 1) * ldc])
                );
            }
        }
    }
}

/// Checks `gemm` on one shape: against f64 (relative to the terms' magnitude), and bit for
/// bit against the scalar twin when each entry is a single running sum (`k <= KC`).
fn check_shape(rng: &mut Rng, m: usize, k: usize, n: usize, lo: f32) {
    let a = rng.vec(m * k, lo, 1.0);
    let b = rng.vec(k * n, lo, 1.0);
    let mut c = vec![f32::NAN; m * n];
    gemm(m, k, n, &a, &b, &mut c, Par::Seq);
    let (want, mag) = gemm_f64(m, k, n, &a, &b);
    for (idx, ((&got, &w), &s)) in c.iter().zip(&want).zip(&mag).enumerate() {
        let err = (f64::from(got) - w).abs();
        assert!(
            err <= 1e-5 * s || (s == 0.0 && got == 0.0),
            "{m}x{k}x{n} entry {idx}: {got} vs {w} (|terms| {s})"
        );
    }
    let mut naive = vec![f32::NAN; m * n];
    gemm_naive(m, k, n, &a, &b, &mut naive);
    if k <= KC && n != 1 {
        assert_eq!(bits(&c), bits(&naive), "{m}x{k}x{n}: SIMD vs scalar twin");
    }
}

#[test]
fn gemm_over_interesting_sizes_matches_f64_and_its_scalar_twin() {
    let mut rng = Rng::new(2);
    let ms = interesting(3 * MR + 1);
    let ns = interesting(3 * NR + 1);
    let ks = interesting(KC + 1);
    for &m in &ms {
        for &n in &ns {
            for &k in &ks {
                check_shape(&mut rng, m, k, n, -1.0);
            }
        }
    }
}

#[test]
fn gemm_large_odd_shapes() {
    let mut rng = Rng::new(3);
    for (m, k, n) in [
        (131, 517, 67),
        (67, 1031, 1090),
        (1, 700, 300),
        (300, 700, 1),
    ] {
        check_shape(&mut rng, m, k, n, -1.0);
    }
}

#[test]
fn relative_error_of_each_entry_is_within_1e5_for_inner_dimension_4096() {
    // Non-negative inputs, as attention weights times positive values: each entry's relative
    // error itself is bounded, with no cancellation to hide behind.
    let mut rng = Rng::new(4);
    for (m, k, n) in [(37, 4096, 45), (5, 4096, 1), (16, 2049, 33)] {
        let a = rng.vec(m * k, 0.0, 1.0);
        let b = rng.vec(k * n, 0.0, 1.0);
        let mut c = vec![0.0; m * n];
        gemm(m, k, n, &a, &b, &mut c, Par::Rayon);
        let (want, _) = gemm_f64(m, k, n, &a, &b);
        let worst = c
            .iter()
            .zip(&want)
            .map(|(&g, &w)| (f64::from(g) - w).abs() / w)
            .fold(0.0, f64::max);
        assert!(worst <= 1e-5, "{m}x{k}x{n}: worst relative error {worst:e}");
    }
}

#[test]
fn batched_gemm_equals_one_gemm_per_entry() {
    let mut rng = Rng::new(5);
    let (batch, m, k, n) = (5, 19, 300, 37);
    let a = rng.vec(batch * m * k, -1.0, 1.0);
    let b = rng.vec(batch * k * n, -1.0, 1.0);
    let mut c = vec![0.0; batch * m * n];
    batched_gemm(batch, m, k, n, &a, &b, &mut c, Par::Rayon);
    for t in 0..batch {
        let mut one = vec![0.0; m * n];
        gemm(
            m,
            k,
            n,
            &a[t * m * k..(t + 1) * m * k],
            &b[t * k * n..(t + 1) * k * n],
            &mut one,
            Par::Seq,
        );
        assert_eq!(
            bits(&c[t * m * n..(t + 1) * m * n]),
            bits(&one),
            "entry {t}"
        );
    }
}

#[test]
fn empty_and_degenerate_products() {
    // k = 0: every entry is an empty sum, 0.
    let mut c = vec![f32::NAN; 6];
    batched_gemm(2, 1, 0, 3, &[], &[], &mut c, Par::Rayon);
    assert!(c.iter().all(|&v| v == 0.0));
    // batch, m or n = 0: nothing to write, no panic.
    batched_gemm(0, 3, 4, 5, &[], &[], &mut [], Par::Rayon);
    batched_gemm(2, 0, 4, 5, &[], &[0.0; 40], &mut [], Par::Rayon);
    batched_gemm(2, 3, 4, 0, &[0.0; 24], &[], &mut [], Par::Rayon);
    let z = Tensor::zeros(&[0, 2, 3])
        .unwrap()
        .bmm(&Tensor::zeros(&[0, 3, 4]).unwrap(), Par::Seq);
    assert_eq!(z.unwrap().shape(), &[0, 2, 4]);
}

#[test]
fn same_bits_on_one_and_two_threads() {
    let mut rng = Rng::new(6);
    for (batch, m, k, n) in [
        (1, 523, 600, 1100),
        (3, 130, 300, 70),
        (1, 700, 900, 1),
        (256, 9, 10, 11),
    ] {
        let a = rng.vec(batch * m * k, -1.0, 1.0);
        let b = rng.vec(batch * k * n, -1.0, 1.0);
        let run = |par: Par| {
            let mut c = vec![0.0; batch * m * n];
            batched_gemm(batch, m, k, n, &a, &b, &mut c, par);
            bits(&c)
        };
        let seq = run(Par::Seq);
        assert_eq!(
            on_threads(1, || run(Par::Rayon)),
            seq,
            "{batch}x{m}x{k}x{n} on 1 thread"
        );
        assert_eq!(
            on_threads(2, || run(Par::Rayon)),
            seq,
            "{batch}x{m}x{k}x{n} on 2 threads"
        );
        assert_eq!(
            on_threads(3, || run(Par::Rayon)),
            seq,
            "{batch}x{m}x{k}x{n} on 3 threads"
        );
    }
}
