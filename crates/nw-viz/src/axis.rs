//! One axis type for every figure: linear or base-10 log, with our own ticks and labels.
//!
//! Plotters' log axis puts its labels at powers of ten only, so data within one decade (a
//! bandwidth search from 0.2 to 0.8, say) gets no label at all; and a different Rust type per
//! axis kind would make every figure generic over four combinations. `Scale` is one type that
//! maps either way and always has at least two labelled ticks.
//!
//! # Tick labels
//! How a linear axis writes its ticks is chosen once, from all of them, by
//! [`TickFormat::choose`]; every figure's axes (and the heatmap's colour bar) go through it.
//! Plain decimals with the step's digits would print Unix seconds as `1700000000`,
//! `1700100000`, ..., which run together, and `5e-9` as `0.000000005`. So:
//! - **An offset** when the ticks share their leading digits: if at least four leading
//!   digits are common to all of them (Unix seconds over a week: `1700`), they are written
//!   relative to that common part (`0`, `100000`, ..., `600000`) and the axis description
//!   says it once (`x − 1.7e9`). This is matplotlib's rule (`axes.formatter.offset_threshold`
//!   4), including its care for ticks on both sides of a round number (99999.6 to 100000.4
//!   share no digit, but are written as `-0.4` to `0.4` relative to 100000).
//! - **Scientific notation** when the values (after any offset) reach a million or the step
//!   is below `1e-5`: each tick with the digits the step needs and no trailing zeros
//!   (`2.5e-7`, `3e12`, `1.55e9`); zero stays `0`.
//! - **Plain decimals** otherwise, as before: the step's decimals on every tick (`0.20`,
//!   `0.25`), so the chapter's figures read exactly as they did.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// Share of the data's span (or log span) added on each side when an axis follows the data.
const MARGIN: f64 = 0.05;
/// Ticks a linear axis aims for at most; the nice step makes it 4 to 9 in practice.
const TARGET_TICKS: f64 = 8.0;
/// Most labelled decades on a log axis before every other one is skipped.
const MAX_DECADES: i32 = 8;
/// Leading digits the ticks must share before they are written relative to an offset.
const OFFSET_DIGITS: f64 = 1000.0;
/// Magnitude from which tick values are written in scientific notation.
const SCI_ABOVE: f64 = 1e6;
/// Tick steps below this are written in scientific notation (more than five decimals).
const SCI_BELOW: i32 = -5;

/// A linear or log axis from `lo` to `hi` (`lo > hi` runs the axis backwards).
#[derive(Clone, Debug)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
    /// How the ticks are written, chosen from all of them.
    format: TickFormat,
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
        let ticks: Vec<f64> = (first..=last).take(100).map(|k| k as f64 * step).collect();
        let format = TickFormat::choose(&ticks, step);
        Scale {
            lo,
            hi,
            log: false,
            ticks,
            format,
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
            format: TickFormat::Log,
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

    /// The tick labels, in order.
    pub(crate) fn tick_labels(&self) -> Vec<String> {
        self.ticks.iter().map(|&t| self.label(t)).collect()
    }

    /// Characters in the longest tick label (at least 1): what sizes a label area.
    pub(crate) fn label_chars(&self) -> u32 {
        self.tick_labels()
            .iter()
            .map(|l| l.chars().count() as u32)
            .max()
            .unwrap_or(1)
            .max(1)
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
        self.format.label(v)
    }

    /// The axis description `desc` with the offset the tick labels are relative to, if any:
    /// `x` becomes `x − 1.7e9` (or `x + 1.7e9` for a negative offset).
    pub(crate) fn describe(&self, desc: &str) -> String {
        match self.format.offset_text() {
            Some((sign, offset)) if desc.is_empty() => format!("{sign}{offset}"),
            Some(('-', offset)) => format!("{desc} + {offset}"),
            Some((_, offset)) => format!("{desc} \u{2212} {offset}"),
            None => desc.to_string(),
        }
    }
}

/// How an axis writes its tick values: chosen once for all ticks by [`TickFormat::choose`]
/// (the rules are in the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TickFormat {
    /// `value - offset` with this many decimals (`0.25`, `-3`, `600000`); `offset` 0 for none.
    Plain {
        /// Subtracted before writing; the axis description names it.
        offset: f64,
        /// Digits after the point, from the step.
        decimals: usize,
    },
    /// `value - offset` in scientific notation, with the digits a step of `10^step_exp` needs.
    Scientific {
        /// Subtracted before writing; the axis description names it.
        offset: f64,
        /// The step's power of ten: no digit below it is written.
        step_exp: i32,
    },
    /// A log axis's labels: plain from 0.0001 to 100000, `2e-7` beyond.
    Log,
}

impl TickFormat {
    /// The format for linear ticks `ticks` (ascending multiples of `step`): an offset when
    /// they share at least four leading digits, then scientific notation for values of a
    /// million or more or steps below `1e-5`, else plain decimals.
    pub(crate) fn choose(ticks: &[f64], step: f64) -> TickFormat {
        let offset = common_part(ticks).unwrap_or(0.0);
        let step_exp = power_of_ten(step);
        let largest = ticks.iter().map(|t| (t - offset).abs()).fold(0.0, f64::max);
        // Judged on the values as written: rounded to the step's digits.
        let largest = (largest / step).round() * step;
        if largest >= SCI_ABOVE || step_exp < SCI_BELOW {
            TickFormat::Scientific { offset, step_exp }
        } else {
            TickFormat::Plain {
                offset,
                decimals: (-step_exp).max(0) as usize,
            }
        }
    }

    /// The text for tick value `v`.
    pub(crate) fn label(&self, v: f64) -> String {
        match *self {
            TickFormat::Plain { offset, decimals } => plain(v - offset, decimals),
            TickFormat::Scientific { offset, step_exp } => scientific(v - offset, step_exp),
            TickFormat::Log => log_label(v),
        }
    }

    /// The offset, if any, as a sign (`+` or `-`) and its magnitude written as a label.
    fn offset_text(&self) -> Option<(char, String)> {
        let offset = match *self {
            TickFormat::Plain { offset, .. } | TickFormat::Scientific { offset, .. } => offset,
            TickFormat::Log => 0.0,
        };
        if offset == 0.0 {
            return None;
        }
        let sign = if offset < 0.0 { '-' } else { '+' };
        let size = offset.abs();
        // Down to its lowest non-zero digit, and no further (1.7e9, not 1.700000e9).
        let mut exp = power_of_ten(size);
        while exp > -330 {
            let unit = 10f64.powi(exp);
            if ((size / unit).round() * unit - size).abs() <= size * 1e-12 {
                break;
            }
            exp -= 1;
        }
        // Plain from 0.0001 up to a million, as the log axes write theirs: `x − 0.123456`
        // reads better than `x − 1.23456e-1`.
        let text = if (1e-4..SCI_ABOVE).contains(&size) {
            plain(size, (-exp).max(0) as usize)
        } else {
            scientific(size, exp)
        };
        Some((sign, text))
    }
}

/// The part the ticks share, as a signed number, when it spans at least [`OFFSET_DIGITS`]
/// (four leading digits); `None` for ticks that touch or straddle zero, or fewer than two.
///
/// The shared part is the largest tick's magnitude cut at the highest power of ten at which
/// the smallest and largest magnitudes differ. Ticks on both sides of a round number (99999.6
/// and 100000.4) differ in every digit though they are close: then the cut is at the power of
/// ten above their distance instead, so the offset is the round number.
fn common_part(ticks: &[f64]) -> Option<f64> {
    let (&lo, &hi) = (ticks.first()?, ticks.last()?);
    if ticks.len() < 2 || (lo <= 0.0 && 0.0 <= hi) || !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let (small, big) = (lo.abs().min(hi.abs()), lo.abs().max(hi.abs()));
    let top = big.log10().ceil() as i32;
    let cut = |k: i32, v: f64| (v / 10f64.powi(k)).floor();
    // From the top down, the first power of ten at which the two magnitudes differ.
    let differ = (-330..=top).rev().find(|&k| cut(k, small) != cut(k, big))?;
    let mut oom = differ + 1;
    if (big - small) / 10f64.powi(oom) <= 1e-2 {
        let above = (-330..=top).rev().find(|&k| big - small > 10f64.powi(k))?;
        oom = above + 1;
    }
    let lead = cut(oom, big);
    (lead >= OFFSET_DIGITS).then(|| lo.signum() * lead * 10f64.powi(oom))
}

/// The power of ten of `v`'s leading digit (`5e-10` -> -10, `1e5` -> 5), robust to `log10`
/// landing a hair below an exact power.
fn power_of_ten(v: f64) -> i32 {
    let exp = (v.abs().log10() + 1e-9).floor();
    if exp.is_finite() { exp as i32 } else { 0 }
}

/// `v` with `decimals` digits after the point; zero without a sign.
fn plain(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
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

/// `v` in scientific notation down to the digit of `10^step_exp` with trailing zeros dropped
/// (`2.5e-7`, `3e12`); a value that rounds to zero at that digit is `0`.
fn scientific(v: f64, step_exp: i32) -> String {
    if v.abs() < 0.5 * 10f64.powi(step_exp) {
        return "0".to_string();
    }
    let decimals = (power_of_ten(v) - step_exp).max(0) as usize;
    let text = format!("{v:.decimals$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}e{exp}")
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

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
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

    /// The labels and the described axis `x` of a linear axis from `lo` to `hi`.
    fn written(lo: f64, hi: f64) -> (Vec<String>, String) {
        let s = Scale::linear(lo, hi, false);
        (labels(&s), s.describe("x"))
    }

    #[test]
    fn the_chapters_ranges_keep_plain_labels_and_no_offset() {
        // Steps of 1: no decimals, no offset, the axis named as given.
        assert_eq!(
            written(0.0, 5.0),
            (strings(&["0", "1", "2", "3", "4", "5"]), "x".into())
        );
        assert_eq!(
            written(-1.0, 5.0),
            (strings(&["-1", "0", "1", "2", "3", "4", "5"]), "x".into())
        );
    }

    #[test]
    fn unix_seconds_are_written_relative_to_their_shared_digits() {
        // A week from 1.7e9 s: 6e5 / 8 rounds up to a step of 1e5, ticks 1.7000e9..1.7006e9.
        // All share "1700" at the millions (four digits), so they are written minus 1.7e9.
        let (texts, desc) = written(1.7e9, 1.7e9 + 6e5);
        assert_eq!(
            texts,
            strings(&[
                "0", "100000", "200000", "300000", "400000", "500000", "600000"
            ])
        );
        assert_eq!(desc, "x \u{2212} 1.7e9");
        // Padded as a figure pads it (5%: 1.69997e9..1.70063e9): the same ticks.
        let s = Scale::linear_around(1.7e9, 1.7e9 + 6e5, false);
        assert_eq!(labels(&s), texts);
        // The same below zero: the offset is -1.7e9 and the description adds it back.
        let (texts, desc) = written(-1.7e9 - 6e5, -1.7e9);
        assert_eq!(
            texts,
            strings(&[
                "-600000", "-500000", "-400000", "-300000", "-200000", "-100000", "0"
            ])
        );
        assert_eq!(desc, "x + 1.7e9");
    }

    #[test]
    fn a_year_of_unix_seconds_shares_too_few_digits_for_an_offset() {
        // 1.7e9 to 1.7315e9 (a year): step 5e6, ticks 1.700e9..1.730e9 share only "17" at
        // the hundred millions; scientific notation with the step's digits instead.
        let (texts, desc) = written(1.7e9, 1.7315e9);
        assert_eq!(
            texts,
            strings(&[
                "1.7e9", "1.705e9", "1.71e9", "1.715e9", "1.72e9", "1.725e9", "1.73e9"
            ])
        );
        assert_eq!(desc, "x");
    }

    #[test]
    fn tiny_and_huge_magnitudes_use_scientific_notation() {
        // 4e-9 / 8 = 5e-10: nine ticks, each with one digit after the point at most.
        let (texts, desc) = written(1e-9, 5e-9);
        assert_eq!(
            texts,
            strings(&[
                "1e-9", "1.5e-9", "2e-9", "2.5e-9", "3e-9", "3.5e-9", "4e-9", "4.5e-9", "5e-9"
            ])
        );
        assert_eq!(desc, "x");
        let (texts, _) = written(-5e-9, -1e-9);
        assert_eq!(texts.first().map(String::as_str), Some("-5e-9"));
        assert_eq!(texts[1], "-4.5e-9");
        // 3e12 / 8 rounds up to 5e11; zero stays "0".
        assert_eq!(
            written(0.0, 3e12),
            (
                strings(&["0", "5e11", "1e12", "1.5e12", "2e12", "2.5e12", "3e12"]),
                "x".into()
            )
        );
        // A million is where plain numbers stop: 0..1e6 in steps of 2e5.
        assert_eq!(
            written(0.0, 1e6).0,
            strings(&["0", "2e5", "4e5", "6e5", "8e5", "1e6"])
        );
        // Just below, plain as before.
        assert_eq!(
            written(0.0, 800_000.0).0,
            strings(&[
                "0", "100000", "200000", "300000", "400000", "500000", "600000", "700000", "800000"
            ])
        );
    }

    #[test]
    fn close_ticks_around_a_round_number_are_written_relative_to_it() {
        // 99999.6 to 100000.4 share no digit, but sit within 1 of 100000.
        let s = Scale::linear(99999.5, 100000.5, false);
        assert_eq!(labels(&s), strings(&["-0.4", "-0.2", "0.0", "0.2", "0.4"]));
        assert_eq!(s.describe("y"), "y \u{2212} 100000");
        // 999 to 1001.5 share fewer than four digits: plain, as they always were.
        let s = Scale::linear(998.875, 1001.625, false);
        assert_eq!(
            labels(&s),
            strings(&["999.0", "999.5", "1000.0", "1000.5", "1001.0", "1001.5"])
        );
        assert_eq!(s.describe("y"), "y");
        // Seven shared digits after the point: steps of 5e-8 from 0.1234567, written as what
        // they add to 0.123456.
        let s = Scale::linear(0.1234567, 0.1234569, false);
        assert_eq!(
            labels(&s),
            strings(&["7e-7", "7.5e-7", "8e-7", "8.5e-7", "9e-7"])
        );
        assert_eq!(s.describe("x"), "x \u{2212} 0.123456");
    }

    #[test]
    fn negative_ranges_keep_their_signs() {
        assert_eq!(
            written(-5.0, -1.0).0,
            strings(&[
                "-5.0", "-4.5", "-4.0", "-3.5", "-3.0", "-2.5", "-2.0", "-1.5", "-1.0"
            ])
        );
        assert_eq!(
            written(-300.0, 100.0).0,
            strings(&[
                "-300", "-250", "-200", "-150", "-100", "-50", "0", "50", "100"
            ])
        );
    }

    #[test]
    fn a_single_value_gets_a_window_and_readable_labels() {
        // 3 +- 0.5: steps of 0.2.
        let s = Scale::linear_around(3.0, 3.0, false);
        assert_eq!(labels(&s), strings(&["2.6", "2.8", "3.0", "3.2", "3.4"]));
        // 0 +- 0.5.
        let s = Scale::linear_around(0.0, 0.0, false);
        assert_eq!(labels(&s), strings(&["-0.4", "-0.2", "0.0", "0.2", "0.4"]));
        // 1.7e9 +- 10%: 1.53e9..1.87e9 in steps of 5e7, too wide for an offset.
        let s = Scale::linear_around(1.7e9, 1.7e9, false);
        assert_eq!(
            labels(&s),
            strings(&[
                "1.55e9", "1.6e9", "1.65e9", "1.7e9", "1.75e9", "1.8e9", "1.85e9"
            ])
        );
        assert_eq!(s.describe("x"), "x");
    }

    #[test]
    fn no_label_is_long_whatever_the_range() {
        for (lo, hi) in [
            (1.7e9, 1.7e9 + 6e5),
            (1.7e9, 1.7e9 + 60.0),
            (1.7e9, 1.7e9 + 0.5),
            (1e-9, 5e-9),
            (1e-300, 3e-300),
            (0.0, 3e12),
            (-1e300, 1e300),
            (123_456_789.0, 123_456_790.0),
            (0.1234567, 0.1234569),
            (-7e-20, 7e-20),
        ] {
            let s = Scale::linear(lo, hi, false);
            let texts = labels(&s);
            assert!(texts.len() >= 2, "{lo}..{hi}: {texts:?}");
            assert!(
                texts.iter().all(|t| t.chars().count() <= 8),
                "{lo}..{hi}: {texts:?}"
            );
            // Distinct ticks read differently.
            let mut unique = texts.clone();
            unique.dedup();
            assert_eq!(unique.len(), texts.len(), "{lo}..{hi}: {texts:?}");
            assert!(s.describe("x").chars().count() <= 16, "{}", s.describe("x"));
        }
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
