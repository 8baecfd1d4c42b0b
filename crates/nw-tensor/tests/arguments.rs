//! Bad arguments to the public functions: each is a typed error (or the panic its docs
//! promise), never an overflow, an abort or a result that looks like success.

use nw_tensor::ops::matmul;
use nw_tensor::ops::pool::SortedKeys;
use nw_tensor::{Par, Tensor, TensorError};

#[test]
fn repeat_whose_axis_overflows_is_an_error_not_an_empty_tensor() {
    let v = Tensor::from_slice(&[1.0, 2.0]);
    // 2 * 2^63 wraps to 0 in a release build: an empty tensor, as if the repeat succeeded.
    let reps = [1usize << 63];
    assert_eq!(
        v.repeat(&reps).unwrap_err(),
        TensorError::RepeatTooLarge {
            shape: vec![2],
            reps: reps.to_vec()
        }
    );
    // Each axis fits, their product does not.
    let err = v.repeat(&[usize::MAX, 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "repeat: shape [2] repeated [{}, 1] has too many elements to hold in memory",
            usize::MAX
        )
    );
}

#[test]
fn a_shape_whose_bytes_overflow_is_too_large_not_a_capacity_panic() {
    // 2^62 elements fit in usize; their 2^64 bytes do not fit in isize.
    let shape = [1usize << 31, 1 << 31];
    for result in [
        Tensor::zeros(&shape),
        Tensor::ones(&shape),
        Tensor::full(&shape, 0.5),
    ] {
        assert_eq!(
            result.unwrap_err(),
            TensorError::TooLarge {
                shape: shape.to_vec()
            }
        );
    }
}

#[test]
fn a_representable_shape_no_memory_can_hold_is_too_large_not_an_abort() {
    // 2^62 bytes: below isize::MAX, beyond any address space.
    let err = Tensor::zeros(&[1 << 60]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "shape [{}] has too many elements to hold in memory",
            1u64 << 60
        )
    );
}

#[test]
fn arange_too_long_for_memory_is_an_error() {
    assert_eq!(
        Tensor::arange(usize::MAX).unwrap_err(),
        TensorError::TooLarge {
            shape: vec![usize::MAX]
        }
    );
}

#[test]
fn repeat_interleave_too_long_for_memory_is_an_error() {
    // 2 * 2^62 elements fit in usize; their bytes do not.
    let x = Tensor::from_slice(&[1.0, 2.0]);
    assert_eq!(
        x.repeat_interleave(1 << 62).unwrap_err(),
        TensorError::TooLarge {
            shape: vec![2, 1 << 62]
        }
    );
}

#[test]
#[should_panic(expected = "gemm: A must hold 1 x 4294967296 x 4294967296 values")]
fn gemm_dimensions_whose_product_overflows_fail_the_documented_check() {
    // m k = 2^64 wraps to 0, the length of the empty A: a wrapped check would pass it.
    let mut c = [];
    matmul::gemm(1 << 32, 1 << 32, 0, &[], &[], &mut c, Par::Seq);
}

#[test]
fn sorted_keys_slice_out_of_range_is_an_error() {
    let keys = SortedKeys::new(&[3.0, 1.0, 2.0], &[30.0, 10.0, 20.0]).unwrap();
    assert_eq!(
        keys.slice(1..4).unwrap_err(),
        TensorError::Range {
            op: "SortedKeys::slice",
            start: 1,
            end: 4,
            len: 3
        }
    );
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = keys.slice(2..1).unwrap_err();
    assert_eq!(
        backwards.to_string(),
        "SortedKeys::slice: range 2..1 is out of bounds for length 3"
    );
    // In range: the sorted keys 2 and 3 with their values.
    let part = keys.slice(1..3).unwrap();
    assert_eq!(
        (part.keys(), part.values()),
        (&[2.0, 3.0][..], &[20.0, 30.0][..])
    );
}
