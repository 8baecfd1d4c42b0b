//! One axis type for every figure: linear or base-10 log, with our own ticks and labels.
//!
//! Plotters' log axis puts its labels at powers of ten only, so data within one decade (a
//! bandwidth search from 0.2 to 0.8, say) gets no label at all; and a different Rust type per
//! axis kind would make every figure generic over four combinations. `Scale` is one type that
//! maps either way and always has at least two labelled ticks.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// Share of the data's span (or log span) added on each side when an axis follows the data.
const MARGIN: f64 = 0.05;
/// Ticks a linear axis aims for at most; the nice step makes it 4 to 9 in practice.
const TARGET_TICKS: f64 = 8.0;
/// Most labelled decades on a log axis before every other one is skipped.
const MAX_DECADES: i32 = 8;

/// A linear or log axis from `lo` to `hi` (`lo > hi` runs the axis backwards).
#[derive(Clone, Debug)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
    /// Digits after the point in linear tick labels, from the tick step.
    decimals: usize,
}

impl Scale {
    /// A linear axis with nice ticks (steps of 1, 2 or 5 times a power of ten); `integer`
    /// keeps ticks on whole numbers (epochs, matrix indices).
    pub(crate) fn linear(lo: f64, hi: f64, integer: bool) -> Scale {
        let (a, b) = (lo.min(hi), lo.max(hi));
        let mut step = nice_step((b - a) / TARGET_TICKS);
        if integer {
            step = step.max(1.0).round();
        }
        let first = (a / step - 1e-9).ceil() as i64;
        let last = (b / step + 1e-9).floor() as i64;
        // A normal-sized axis has well under 100 ticks; the cap only guards against
        // degenerate input reaching here.
        let ticks = (first..=last).take(100).map(|k| k as f64 * step).collect();
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        Scale {
            lo,
            hi,
            log: false,
            ticks,
            decimals,
        }
    }

    /// A base-10 log axis (`0 < lo < hi`): ticks at the powers of ten inside when at least
    /// three fit, else at 1, 2 and 5 times them, else (within a decade) at 1 to 9 times them.
    pub(crate) fn log(lo: f64, hi: f64) -> Scale {
        let (a, b) = (lo.log10(), hi.log10());
        let (first, last) = ((a - 1e-9).ceil() as i32, (b + 1e-9).floor() as i32);
        let inside = |v: &f64| (lo * (1.0 - 1e-9)..=hi * (1.0 + 1e-9)).contains(v);
        let mut ticks: Vec<f64> = if last - first >= 2 {
            let every = (last - first) / MAX_DECADES + 1;
            (first..=last)
                .filter(|d| (d - first) % every == 0)
                .map(|d| 10f64.powi(d))
                .collect()
        } else {
            Vec::new()
        };
        // Two decades or less: label more than the powers of ten, or the axis reads as bare.
        for mantissas in [
            &[1.0, 2.0, 5.0][..],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        ] {
            if ticks.len() >= 2 {
                break;
            }
            ticks = (first - 1..=last)
                .flat_map(|d| mantissas.iter().map(move |m| m * 10f64.powi(d)))
                .filter(inside)
                .collect();
        }
        Scale {
            lo,
            hi,
            log: true,
            ticks,
            decimals: 0,
        }
    }

    /// A linear axis over `[min, max]` widened by a margin (a single value gets a unit-wide
    /// window around it).
    pub(crate) fn linear_around(min: f64, max: f64, integer: bool) -> Scale {
        let (lo, hi) = pad_linear(min, max);
        Scale::linear(lo, hi, integer)
    }

    /// A log axis over `[min, max]` (both positive) widened by a margin in log space.
    pub(crate) fn log_around(min: f64, max: f64) -> Scale {
        let (a, b) = (min.log10(), max.log10());
        let pad = if b > a { (b - a) * MARGIN } else { 0.5 };
        Scale::log(10f64.powf(a - pad), 10f64.powf(b + pad))
    }

    /// The tick values, in order.
    #[cfg(test)]
    pub(crate) fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// The tick labels, in order (their width sizes the label area).
    pub(crate) fn tick_labels(&self) -> Vec<String> {
        self.ticks.iter().map(|&t| self.label(t)).collect()
    }

    /// The start of the axis.
    pub(crate) fn lo(&self) -> f64 {
        self.lo
    }

    /// The end of the axis.
    pub(crate) fn hi(&self) -> f64 {
        self.hi
    }

    /// Where `v` sits along the axis: 0 at the start, 1 at the end (log axes in log space).
    pub(crate) fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The label for a tick value.
    pub(crate) fn label(&self, v: f64) -> String {
        if self.log {
            return log_label(v);
        }
        let text = format!("{v:.*}", self.decimals);
        // `-0.0` prints as "-0.00": zero reads "0.00", with the decimals of its neighbours.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            text.trim_start_matches('-').to_string()
        } else {
            text
        }
    }
}

/// `[min, max]` widened by [`MARGIN`] of its span on each side.
pub(crate) fn pad_linear(min: f64, max: f64) -> (f64, f64) {
    if max > min {
        let pad = (max - min) * MARGIN;
        (min - pad, max + pad)
    } else {
        let half = (min.abs() * 0.1).max(0.5);
        (min - half, max + half)
    }
}

/// Smallest of 1, 2, 5 or 10 times a power of ten that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|&n| n >= norm * (1.0 - 1e-9))
        .unwrap_or(10.0);
    nice * mag
}

/// A log-axis label: plain decimals from 0.0001 to 100000, `2e-7` style beyond.
fn log_label(v: f64) -> String {
    let exp = v.abs().log10().floor() as i32;
    if (-4..=5).contains(&exp) {
        let decimals = (-exp).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        let mantissa = v / 10f64.powi(exp);
        let m = format!("{mantissa:.0}");
        format!("{m}e{exp}")
    }
}

impl Ranged for Scale {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = self.frac(*value);
        // `as` saturates, and NaN becomes 0, so a wild value cannot panic here.
        (f64::from(limit.0) + t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold points carry the labels and grid lines; we draw no light grid lines.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Scale {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(s: &Scale) -> Vec<String> {
        s.tick_labels()
    }

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let s = Scale::linear(0.0, 5.0, false);
        assert_eq!(labels(&s), ["0", "1", "2", "3", "4", "5"]);
        let s = Scale::linear(-1.0, 5.0, false);
        assert_eq!(labels(&s), ["-1", "0", "1", "2", "3", "4", "5"]);
        let s = Scale::linear(0.013, 0.061, false);
        assert_eq!(labels(&s), ["0.02", "0.03", "0.04", "0.05", "0.06"]);
        let s = Scale::linear(-0.05, 0.05, false);
        assert_eq!(labels(&s), ["-0.04", "-0.02", "0.00", "0.02", "0.04"]);
    }

    #[test]
    fn integer_ticks_stay_whole() {
        let s = Scale::linear(1.0, 3.0, true);
        assert_eq!(labels(&s), ["1", "2", "3"]);
        let s = Scale::linear(-0.5, 49.5, true);
        assert_eq!(labels(&s), ["0", "10", "20", "30", "40"]);
    }

    #[test]
    fn log_ticks_cover_the_decades_or_fall_back_to_mantissas() {
        assert_eq!(
            labels(&Scale::log(8.0, 12000.0)),
            ["10", "100", "1000", "10000"]
        );
        assert_eq!(
            labels(&Scale::log(0.0009, 1.2)),
            ["0.001", "0.01", "0.1", "1"]
        );
        // Two decades or less: 1-2-5 steps.
        assert_eq!(
            labels(&Scale::log(0.04, 5.4)),
            ["0.05", "0.1", "0.2", "0.5", "1", "2", "5"]
        );
        assert_eq!(labels(&Scale::log(0.15, 0.9)), ["0.2", "0.5"]);
        // Narrower still: every mantissa.
        assert_eq!(labels(&Scale::log(2.5, 4.5)), ["3", "4"]);
        // Forty decades: every fifth labelled, never forty labels.
        let wide = Scale::log(1e-20, 1e20);
        assert!(wide.ticks().len() <= 10, "{:?}", labels(&wide));
        assert_eq!(labels(&wide)[0], "1e-20");
    }

    #[test]
    fn padding_widens_and_handles_a_single_value() {
        assert_eq!(pad_linear(0.0, 10.0), (-0.5, 10.5));
        assert_eq!(pad_linear(3.0, 3.0), (2.5, 3.5));
        let s = Scale::log_around(0.5, 0.5);
        assert!(s.lo < 0.5 && s.hi > 0.5 && s.ticks().len() >= 2);
    }

    #[test]
    fn map_runs_either_way_and_never_panics() {
        let s = Scale::linear(0.0, 10.0, false);
        assert_eq!(s.map(&5.0, (0, 100)), 50);
        let down = Scale::linear(10.0, 0.0, false);
        assert_eq!(down.map(&2.0, (0, 100)), 80);
        let l = Scale::log(1.0, 100.0);
        assert_eq!(l.map(&10.0, (0, 100)), 50);
        assert_eq!(l.map(&f64::NAN, (0, 100)), 0);
        // 1e300 is 150 axis lengths out: far off the plot, but a number, not a panic.
        assert_eq!(l.map(&1e300, (0, 100)), 15000);
    }
}
