//! Bad arguments to the public functions: each path refuses them as the others do, with a
//! typed error, never a silent answer, a panic on overflow or an allocation abort.

use nw_model::pooling::adaptive;
use nw_model::pooling::weight_matrix;
use nw_model::train::Path;
use nw_model::{
    Adam, Algorithm, AveragePooling, Init, KernelKind, Learn, ModelError, NonparametricPooling,
    Optimizer, ParametricPooling, PoolOptions, Pooling, Result, Sgd, chapter, loo, loss, train,
    train_adaptive,
};
use nw_tensor::{Par, Tensor, TensorError};

/// The same training set for every check: keys 0, 0.5, ..., 3.5 and their sines.
fn data() -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..8).map(|i| i as f32 * 0.5).collect();
    let y = x.iter().map(|v| v.sin()).collect();
    (x, y)
}

#[test]
fn average_pooling_refuses_non_finite_keys_and_values_as_the_kernel_poolings_do() {
    let q = [0.5f32];
    for (keys, values, want) in [
        (
            [0.0f32, 1.0],
            [1.0f32, f32::NAN],
            "pool: values[1] is NaN, expected a finite number",
        ),
        (
            [f32::INFINITY, 1.0],
            [1.0, 2.0],
            "pool: keys[0] is inf, expected a finite number",
        ),
    ] {
        let average = AveragePooling
            .pool(&q, &keys, &values, false, Par::Seq)
            .unwrap_err();
        let kernel = NonparametricPooling::default()
            .pool(&q, &keys, &values, false, Par::Seq)
            .unwrap_err();
        assert!(matches!(
            average,
            ModelError::Tensor(TensorError::NotFinite { .. })
        ));
        assert_eq!(average.to_string(), want);
        assert_eq!(kernel.to_string(), want);
    }
}

#[test]
fn average_pooling_gives_no_nearest_distance_for_a_query_that_is_not_a_number() {
    let (x, y) = data();
    let options = PoolOptions {
        diagnostics: true,
        par: Par::Seq,
        ..PoolOptions::default()
    };
    let d = AveragePooling
        .pool_with(&[f32::NAN, 1.2], &x, &y, &options)
        .unwrap()
        .diagnostics
        .unwrap();
    // 1.2 is 0.2 from the key 1.0; NaN is no distance from anything, not an infinite one.
    assert!(d.nearest_distance[0].is_nan(), "{:?}", d.nearest_distance);
    assert!((d.nearest_distance[1] - 0.2).abs() < 1e-6);
}

#[test]
fn the_chapters_paths_with_no_keys_refuse_like_the_fused_path() {
    let fused = NonparametricPooling::default()
        .pool(&[1.0, 2.0], &[], &[], false, Par::Seq)
        .unwrap_err();
    assert_eq!(fused, ModelError::NoKeys);
    let err = chapter::nonparametric(&[1.0, 2.0], &[], &[], Par::Seq).unwrap_err();
    assert_eq!(err, ModelError::NoKeys);
    // Per-query rows of no keys: (2, 0).
    let empty = Tensor::zeros(&[2, 0]).unwrap();
    let err = chapter::forward(
        &Tensor::from_slice(&[1.0, 2.0]),
        &empty,
        &empty,
        1.0,
        Par::Seq,
    )
    .unwrap_err();
    assert_eq!(err, ModelError::NoKeys);
    // Unequal training columns: the poolings' error, not a matmul shape error.
    let err = chapter::nonparametric(&[1.0], &[0.0, 1.0], &[0.0], Par::Seq).unwrap_err();
    assert_eq!(err, ModelError::KeysValues { keys: 2, values: 1 });
}

#[test]
fn optimizer_steps_refuse_gradients_that_do_not_match_and_touch_nothing() {
    let mut optimizers: [(&str, Box<dyn Optimizer>); 2] = [
        ("sgd step", Box::new(Sgd { lr: 0.5 })),
        ("adam step", Box::new(Adam::new(0.1))),
    ];
    for (op, optimizer) in &mut optimizers {
        let mut params = [1.0f32, 2.0];
        let err = optimizer.step(&mut params, &[0.5]).unwrap_err();
        assert_eq!(
            err,
            ModelError::Gradients {
                op,
                what: "parameter(s)",
                expected: 2,
                got: 1
            }
        );
        assert_eq!(
            err.to_string(),
            format!("{op}: 2 parameter(s) but 1 gradient(s)")
        );
        assert_eq!(params, [1.0, 2.0]);
        assert!(optimizer.step(&mut params, &[0.5, 0.5, 0.5]).is_err());
        assert_eq!(params, [1.0, 2.0]);
    }
    // Matching lengths still step: SGD by lr * g.
    let mut params = [1.0f32, 2.0];
    Sgd { lr: 0.5 }.step(&mut params, &[1.0, -2.0]).unwrap();
    assert_eq!(params, [0.5, 3.0]);
}

#[test]
fn the_backward_pass_refuses_gradients_that_do_not_match_the_predictions() {
    let (x, y) = data();
    let tape = ParametricPooling::new(2.0)
        .unwrap()
        .forward_rows(
            &Tensor::from_slice(&x),
            &chapter::leave_one_out(&x).unwrap(),
            &chapter::leave_one_out(&y).unwrap(),
            Par::Seq,
        )
        .unwrap();
    let err = tape.backward(&[1.0; 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parametric backward: 8 prediction(s) but 3 gradient(s)"
    );
}

/// An optimizer that turns every parameter into NaN: training must stop at epoch 1.
struct Poison;

impl Optimizer for Poison {
    fn step(&mut self, params: &mut [f32], _grads: &[f64]) -> Result<()> {
        params.fill(f32::NAN);
        Ok(())
    }
}

#[test]
fn training_for_a_huge_number_of_epochs_reserves_nothing_up_front() {
    // usize::MAX records were reserved before epoch 1: a capacity-overflow panic.
    let (x, y) = data();
    let err = train(
        &x,
        &y,
        Init::Value(1.0),
        usize::MAX,
        &mut Poison,
        Path::Fused,
        Par::Seq,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Diverged {
                epoch: 1,
                what: "w",
                ..
            }
        ),
        "{err:?}"
    );
    let err = train_adaptive(
        &x,
        &y,
        KernelKind::Gaussian,
        Learn::Adaptive,
        usize::MAX,
        &mut Poison,
        Par::Seq,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Diverged {
                epoch: 1,
                what: "a",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_leave_one_out_tile_beyond_memory_is_too_large_not_an_abort() {
    // 2^24 examples: a 2^48-cell mask and tile, more than any address space holds.
    let n = 1usize << 24;
    let x = vec![0.0f32; n];
    let err = chapter::leave_one_out(&x).unwrap_err();
    assert_eq!(
        err,
        ModelError::Tensor(TensorError::TooLarge { shape: vec![n, n] })
    );
}

#[test]
fn the_weight_matrix_refuses_a_bandwidth_that_is_not_positive() {
    let (x, _) = data();
    for h in [0.0f32, -1.0, f32::NAN] {
        let err = weight_matrix(KernelKind::Gaussian, h, &[1.0], &x, Par::Seq).unwrap_err();
        assert!(
            matches!(err, ModelError::Parameter { name: "h", .. }),
            "h = {h}: {err:?}"
        );
    }
    // Infinite: every key alike.
    let w = weight_matrix(KernelKind::Gaussian, f32::INFINITY, &[1.0], &x, Par::Seq).unwrap();
    assert!(w.data().iter().all(|&a| a == 0.125));
}

#[test]
fn a_weight_matrix_beyond_memory_is_too_large_not_an_abort() {
    let n = 1usize << 24;
    let points = vec![0.0f32; n];
    let err = weight_matrix(KernelKind::Gaussian, 1.0, &points, &points, Par::Seq).unwrap_err();
    assert_eq!(
        err,
        ModelError::Tensor(TensorError::TooLarge { shape: vec![n, n] })
    );
}

#[test]
fn the_mean_squared_error_of_nothing_is_nan_not_a_perfect_zero() {
    assert!(loss::mse(&[], &[]).unwrap().is_nan());
    assert_eq!(loss::mse(&[1.0, 3.0], &[0.0, 0.0]).unwrap(), 5.0);
}

#[test]
fn leave_one_out_losses_refuse_parameters_that_are_not_finite() {
    let (x, y) = data();
    let prepared = loo::prepare(&x, &y).unwrap();
    let err = loo::loss_grad_kernel(
        &prepared,
        KernelKind::Gaussian,
        f32::NAN,
        Algorithm::Sweep,
        Par::Seq,
    )
    .unwrap_err();
    assert!(
        matches!(err, ModelError::Parameter { name: "w", .. }),
        "{err:?}"
    );
    let err = adaptive::loss_grad(
        KernelKind::Gaussian,
        &prepared,
        (f32::NAN, 0.0, 1.0),
        Par::Seq,
    )
    .unwrap_err();
    assert!(
        matches!(err, ModelError::Parameter { name: "a", .. }),
        "{err:?}"
    );
}
