//! The training-loss curve: one dot per epoch on a line, whole-number epochs, errors.

mod common;

use common::{attr, elements, has_text, with_color, x_ticks};
use nw_viz::{Figure, LossCurve};

#[test]
fn every_epoch_gets_a_dot_on_one_line() {
    let losses: Vec<f64> = (0..5).map(|e| 40.0 / (f64::from(e) + 1.0) + 10.0).collect();
    let svg = LossCurve::new(&losses).render_svg().unwrap();
    assert!(has_text(&svg, "epoch") && has_text(&svg, "loss"));
    assert_eq!(elements(&svg, "circle").len(), 5);
    // One data line, no legend (a single unnamed curve needs none).
    let lines = with_color(&svg, "polyline", "#1F77B4");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        attr(lines[0], "points").unwrap().split_whitespace().count(),
        5
    );
    // Epochs count from 1 in whole numbers, like the chapter's animator.
    assert_eq!(x_ticks(&svg), ["1", "2", "3", "4", "5"]);
}

#[test]
fn long_runs_keep_whole_epoch_ticks() {
    let losses: Vec<f64> = (0..300).map(|e| 1.0 / (f64::from(e) + 1.0)).collect();
    let svg = LossCurve::new(&losses)
        .labels("epoch", "summed loss")
        .title("training")
        .render_svg()
        .unwrap();
    assert!(has_text(&svg, "summed loss") && has_text(&svg, "training"));
    let ticks = x_ticks(&svg);
    assert!((3..=12).contains(&ticks.len()), "{ticks:?}");
    assert!(ticks.iter().all(|t| t.parse::<u32>().is_ok()), "{ticks:?}");
}

#[test]
fn one_epoch_or_a_flat_loss_still_draws() {
    let svg = LossCurve::new(&[3.5]).render_svg().unwrap();
    assert_eq!(elements(&svg, "circle").len(), 1);
    let svg = LossCurve::new(&[2.0, 2.0, 2.0]).render_svg().unwrap();
    assert_eq!(elements(&svg, "circle").len(), 3);
}

#[test]
fn bad_losses_are_errors() {
    assert_eq!(
        LossCurve::new(&[]).render_svg().unwrap_err().to_string(),
        "losses is empty: nothing to draw"
    );
    assert_eq!(
        LossCurve::new(&[1.0, 0.5, f64::NAN])
            .render_png()
            .unwrap_err()
            .to_string(),
        "losses[2] is NaN: only finite values can be drawn"
    );
}

#[test]
fn losses_beyond_f32_draw() {
    // Summed squared errors of targets near 1e30 are near 1e62: f64, not f32 (issue 9, item 4).
    let svg = LossCurve::new(&[4e62, 2e62, 1e62]).render_svg().unwrap();
    assert_eq!(elements(&svg, "circle").len(), 3);
}
