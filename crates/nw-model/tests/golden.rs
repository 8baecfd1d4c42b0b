//! The chapter's numbers, against PyTorch's own results on the same data
//! (`tests/data/d2l_golden_w0_0.5.json`): predictions and attention matrices to 1e-5
//! relative (1e-6 absolute for weights near 0), losses, gradients and `w` to 1e-5 relative.

mod common;

use common::train as chapter_train;
use common::{assert_close, floats, golden, matrix, test};
use nw_model::{
    AveragePooling, NonparametricPooling, ParametricPooling, Path, Pooling, Sgd, chapter, loss,
    train::{Init, train},
};

use nw_tensor::{Par, Tensor};

const REL: f64 = 1e-5;
const ABS_WEIGHT: f64 = 1e-6;

#[test]
fn average_pooling() {
    let (x_train, y_train) = chapter_train();
    let (x_test, _) = test();
    let g = golden("float32");
    let out = AveragePooling
        .pool(&x_test, &x_train, &y_train, false, Par::Seq)
        .unwrap();
    assert_close(
        "average y_hat",
        &out.y_hat,
        &floats(&g["average_pooling"]["y_hat"]),
        REL,
        0.0,
    );
}

#[test]
fn nonparametric_pooling_on_every_path() {
    let (x_train, y_train) = chapter_train();
    let (x_test, _) = test();
    let g = golden("float32");
    let want_y = floats(&g["nonparametric"]["y_hat"]);
    let want_a = matrix(&g["nonparametric"]["attention_weights"]);

    let out = NonparametricPooling::default()
        .pool(&x_test, &x_train, &y_train, true, Par::Rayon)
        .unwrap();
    assert_close("pooling y_hat", &out.y_hat, &want_y, REL, 0.0);
    let weights = out.weights.unwrap();
    assert_eq!(weights.shape(), &[50, 50]);
    assert_close("pooling weights", weights.data(), &want_a, REL, ABS_WEIGHT);

    // As the chapter first writes it: softmax(-(X_repeat - x_train)**2 / 2) @ y_train.
    let (y, a) = chapter::nonparametric(&x_test, &x_train, &y_train, Par::Seq).unwrap();
    assert_close("chapter matmul y_hat", y.data(), &want_y, REL, 0.0);
    assert_close("chapter matmul weights", a.data(), &want_a, REL, ABS_WEIGHT);

    // And as NWKernelRegression with w = 1: tiled keys and values, bmm.
    let (y, a) = chapter::forward(
        &Tensor::from_slice(&x_test),
        &chapter::tile(&x_train, x_test.len()).unwrap(),
        &chapter::tile(&y_train, x_test.len()).unwrap(),
        1.0,
        Par::Seq,
    )
    .unwrap();
    assert_close("chapter bmm y_hat", y.data(), &want_y, REL, 0.0);
    assert_close("chapter bmm weights", a.data(), &want_a, REL, ABS_WEIGHT);
}

#[test]
fn training_matches_pytorch_on_both_paths() {
    let (x, y) = chapter_train();
    let t = &golden("float32")["training"];
    for path in [Path::Chapter, Path::Fused] {
        let report = train(
            &x,
            &y,
            Init::Value(0.5),
            5,
            &mut Sgd { lr: 0.5 },
            path,
            Par::Rayon,
        )
        .unwrap();
        let epochs = t["epochs"].as_array().unwrap();
        assert_eq!(report.epochs.len(), 5);
        for (got, want) in report.epochs.iter().zip(epochs) {
            let name = format!("{path:?} epoch {}", got.epoch);
            assert_eq!(got.epoch as u64, want["epoch"].as_u64().unwrap());
            assert_close(
                &format!("{name} w_before"),
                &[got.w_before],
                &[want["w_before"].as_f64().unwrap()],
                REL,
                0.0,
            );
            assert_close(
                &format!("{name} loss"),
                &[got.loss],
                &[want["loss_sum"].as_f64().unwrap()],
                REL,
                0.0,
            );
            assert_close(
                &format!("{name} grad"),
                &[got.grad],
                &[want["grad_w"].as_f64().unwrap()],
                REL,
                0.0,
            );
            assert_close(
                &format!("{name} w"),
                &[got.w],
                &[want["w_after"].as_f64().unwrap()],
                REL,
                0.0,
            );
        }
        // What the chapter prints: `epoch k, loss X` with six decimals.
        for (got, line) in report.epochs.iter().zip(t["printed"].as_array().unwrap()) {
            let line = line.as_str().unwrap();
            let printed: f64 = line.rsplit_once(' ').unwrap().1.parse().unwrap();
            assert!(line.starts_with(&format!("epoch {}, loss ", got.epoch)));
            assert!((got.loss - printed).abs() <= 1e-6 + REL * printed, "{line}");
        }
        assert_close(
            "final w",
            &[report.pooling.w()],
            &[golden("float32")["parametric"]["w"].as_f64().unwrap()],
            REL,
            0.0,
        );
    }
}

#[test]
fn gradient_at_w0_matches_pytorch_and_finite_differences() {
    let (x, y) = chapter_train();
    let t = &golden("float32")["training"];
    let want = t["grad_w_at_w0"].as_f64().unwrap();
    let fd = common::loo_grad_fd(&x, &y, 0.5);
    assert!(
        (fd - want).abs() <= 1e-6 * want.abs(),
        "fd {fd} vs torch {want}"
    );
    let lg = nw_model::loo::loss_grad(&x, &y, 0.5, Par::Seq).unwrap();
    assert_close("streaming grad", &[lg.grad], &[want], REL, 0.0);
    assert_close(
        "streaming loss",
        &[lg.loss],
        &[t["loss_sum_at_w0"].as_f64().unwrap()],
        REL,
        0.0,
    );
}

#[test]
fn parametric_predictions_and_attention_after_training() {
    let (x_train, y_train) = chapter_train();
    let (x_test, y_truth) = test();
    let g = golden("float32");
    let report = train(
        &x_train,
        &y_train,
        Init::Value(0.5),
        5,
        &mut Sgd { lr: 0.5 },
        Path::Fused,
        Par::Seq,
    )
    .unwrap();
    let out = report
        .pooling
        .pool(&x_test, &x_train, &y_train, true, Par::Seq)
        .unwrap();
    assert_close(
        "parametric y_hat",
        &out.y_hat,
        &floats(&g["parametric"]["y_hat"]),
        REL,
        0.0,
    );
    assert_close(
        "parametric weights",
        out.weights.unwrap().data(),
        &matrix(&g["parametric"]["attention_weights"]),
        REL,
        ABS_WEIGHT,
    );
    // The test errors the chapter's plots show, for all three models.
    let mse = &g["test_mse_vs_y_truth"];
    let avg = AveragePooling
        .pool(&x_test, &x_train, &y_train, false, Par::Seq)
        .unwrap();
    let np = NonparametricPooling::default()
        .pool(&x_test, &x_train, &y_train, false, Par::Seq)
        .unwrap();
    for (name, y_hat) in [
        ("average_pooling", &avg.y_hat),
        ("nonparametric", &np.y_hat),
        ("parametric", &out.y_hat),
    ] {
        let got = loss::mse(y_hat, &y_truth).unwrap();
        let want = mse[name].as_f64().unwrap();
        assert!(
            (got - want).abs() <= 1e-5 * want,
            "{name} mse {got} vs {want}"
        );
    }
    // The learned scale means a bandwidth of about 0.088.
    let w = ParametricPooling::new(report.pooling.w()).unwrap();
    assert!((w.bandwidth() - 1.0 / 11.413_582).abs() < 1e-6);
}
