//! Training that learned nothing, or learned something a formula beats, says so (issue 9,
//! item 11); the chapter's own run says nothing and keeps its numbers.

mod common;

use common::loo_loss_f64;
use nw_data::Synthetic;
use nw_model::bandwidth;
use nw_model::{Adam, Init, KernelKind, Learn, Path, Sgd, TrainWarning, train, train_adaptive};
use nw_tensor::Par;

fn sgd_chapter(x: &[f32], y: &[f32], w0: f32) -> nw_model::TrainingReport {
    train(
        x,
        y,
        Init::Value(w0),
        5,
        &mut Sgd { lr: 0.5 },
        Path::Fused,
        Par::Rayon,
    )
    .unwrap()
}

#[test]
fn the_chapters_run_has_nothing_to_warn_about() {
    let (x, y) = common::train();
    let report = sgd_chapter(&x, &y, 0.5);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn unix_time_stamps_leave_the_loss_flat_below_the_smallest_gap() {
    // Ten-minute steps from 1.7e9 s: w0 = 0.69 is a bandwidth of 1.45 s, far below the 600 s
    // (in f32, 512 to 640 s) between inputs, so every gradient is 0 and nothing moves.
    let x: Vec<f32> = (0..400).map(|i| 1.7e9 + 600.0 * i as f32).collect();
    let y: Vec<f32> = (0..400).map(|i| (i as f32 / 20.0).sin()).collect();
    let report = sgd_chapter(&x, &y, 0.689_486);
    let losses: Vec<f64> = report.epochs.iter().map(|e| e.loss).collect();
    assert!(losses.iter().all(|&l| l == losses[0]), "{losses:?}");
    let smallest = x
        .windows(2)
        .map(|w| f64::from(w[1]) - f64::from(w[0]))
        .filter(|&d| d > 0.0)
        .fold(f64::INFINITY, f64::min);
    assert!(
        report.warnings.contains(&TrainWarning::LossFlat {
            epochs: 5,
            loss: losses[0]
        }),
        "{:?}",
        report.warnings
    );
    assert!(report.warnings.iter().any(|w| matches!(
        w,
        TrainWarning::BelowSmallestGap { gap, .. } if *gap == smallest
    )));
}

#[test]
fn five_thousand_chapter_rows_overshoot_and_a_rule_of_thumb_beats_them() {
    // The chapter's SGD on 5000 rows of its own generator: the summed loss's gradient is
    // 100 times the chapter's, the steps overshoot to h = 0.0005 where CV picks 0.044.
    let (x, y) = Synthetic::new(5000, 0).train().unwrap().into_parts();
    let report = sgd_chapter(&x, &y, 0.5);
    let rule_h = f64::from(bandwidth::silverman(&x, KernelKind::Gaussian).unwrap());
    let want_rule_loss = loo_loss_f64(&x, &y, 1.0 / rule_h);
    let best = report
        .epochs
        .iter()
        .map(|e| e.loss)
        .fold(f64::INFINITY, f64::min);
    let [
        TrainWarning::WorseThanRule {
            loss,
            rule_h: h,
            rule_loss,
        },
    ] = report.warnings[..]
    else {
        panic!("{:?}", report.warnings);
    };
    assert_eq!(loss, best);
    assert!((h - rule_h).abs() < 1e-6 * rule_h);
    assert!(
        (rule_loss - want_rule_loss).abs() < 1e-5 * want_rule_loss,
        "{rule_loss} vs f64 {want_rule_loss}"
    );
    assert!(best > 1.3 * want_rule_loss);
    let text = report.warnings[0].to_string();
    assert!(text.contains("nw bandwidth"), "{text}");
}

#[test]
fn a_bandwidth_wider_than_the_data_is_named() {
    let (x, y) = common::train();
    // The span in f64, exact for f32 inputs.
    let span = f64::from(x.iter().copied().fold(f32::NEG_INFINITY, f32::max))
        - f64::from(x.iter().copied().fold(f32::INFINITY, f32::min));
    let warnings = nw_model::train::diagnose(&[30.0, 20.0], (7.0, 40.0), &x, None);
    assert_eq!(warnings, [TrainWarning::AboveSpan { h: 40.0, span }]);
    // The adaptive trainer reports through the same checks, and from a rule of thumb on the
    // chapter's data it has nothing to report.
    let adaptive = train_adaptive(
        &x,
        &y,
        KernelKind::Gaussian,
        Learn::LogBandwidth,
        30,
        &mut Adam::new(0.05),
        Par::Rayon,
        &mut |_| {},
    )
    .unwrap();
    assert!(adaptive.warnings.is_empty(), "{:?}", adaptive.warnings);
}
