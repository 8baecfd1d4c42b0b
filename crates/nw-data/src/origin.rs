//! [`Origin`]: where the kernels' f32 coordinates are measured from.
//!
//! Files are read in f64, but the kernels compute in f32, whose spacing at 1.7e9 (a Unix time
//! stamp in seconds) is 128: read as is, a time series 600 s apart would lose its inputs to
//! rounding. Kernel regression only ever uses differences `x - x_i` and weighted means of `y`,
//! both unchanged when a constant is taken from every value, so each column is measured from
//! a reference value, in f64, before it becomes f32: its numbers are then small, and f32's
//! relative precision applies to the span of the data instead of its distance from zero.
//! Bandwidths are distances and need no change; a weighted mean gets the origin added back in
//! f64.
//!
//! The origin is the midpoint of the values' range when the range lies far from zero (its
//! midpoint more than four half-widths away), and zero otherwise: data around zero, like the
//! chapter's, keep their exact f32 values and so give the same bits as before.

/// The value a column is measured from before it becomes f32.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Origin(f64);

/// How far from zero, in half-widths of the range, a range's midpoint must be to be used:
/// below it, shifting gains at most two bits.
const FAR: f64 = 4.0;

impl Origin {
    /// No shift.
    pub const ZERO: Origin = Origin(0.0);

    /// The origin for `values` (finite): the midpoint of their range if it lies far from
    /// zero, else zero.
    pub fn of(values: &[f64]) -> Origin {
        let Some(&first) = values.first() else {
            return Origin::ZERO;
        };
        let (lo, hi) = values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let (mid, half) = (lo / 2.0 + hi / 2.0, hi / 2.0 - lo / 2.0);
        if mid.abs() > FAR * half {
            Origin(mid)
        } else {
            Origin::ZERO
        }
    }

    /// The origin itself.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Whether values are shifted at all.
    pub fn is_zero(self) -> bool {
        self.0 == 0.0
    }

    /// `values` measured from the origin, as the f32 the kernels take.
    pub fn to_f32(self, values: &[f64]) -> Vec<f32> {
        values.iter().map(|&v| self.shift(v)).collect()
    }

    /// One value measured from the origin, as f32.
    #[allow(clippy::cast_possible_truncation)]
    pub fn shift(self, value: f64) -> f32 {
        // Rounded once, from the exact f64 difference.
        (value - self.0) as f32
    }

    /// A value the kernels computed (a weighted mean of shifted values), back in the file's
    /// coordinates.
    pub fn back(self, value: f32) -> f64 {
        f64::from(value) + self.0
    }

    /// A value the kernels computed, back in the file's coordinates as the f64 with the
    /// fewest significant digits that still measures to the same f32: the digits f32 holds in
    /// the shifted frame, and no more (`2.3775407`, not `2.3775406554341316`).
    pub fn shortest(self, value: f32) -> f64 {
        let exact = self.back(value);
        if self.is_zero() || !value.is_finite() {
            return exact;
        }
        for digits in 0..17 {
            if let Ok(short) = format!("{exact:.digits$e}").parse::<f64>()
                && self.shift(short) == value
            {
                return short;
            }
        }
        exact
    }

    /// The largest amount by which the f32 `shifted` (from [`Origin::to_f32`]) misses
    /// `values`: how far the kernels' inputs are from the file's.
    pub fn rounding(self, values: &[f64], shifted: &[f32]) -> f64 {
        values
            .iter()
            .zip(shifted)
            .map(|(&v, &s)| (v - self.back(s)).abs())
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_around_zero_are_not_shifted() {
        assert_eq!(Origin::of(&[0.0, 4.9]), Origin::ZERO);
        assert_eq!(Origin::of(&[-1.0, 5.0]), Origin::ZERO);
        assert_eq!(Origin::of(&[2.4, 57.6]), Origin::ZERO);
        assert_eq!(Origin::of(&[]), Origin::ZERO);
        assert_eq!(Origin::of(&[7.0]).value(), 7.0);
    }

    #[test]
    fn unix_seconds_keep_their_spacing() {
        let t: Vec<f64> = (0..2000).map(|i| 1.7e9 + 600.0 * f64::from(i)).collect();
        let o = Origin::of(&t);
        assert_eq!(o.value(), 1.7e9 + 600.0 * 1999.0 / 2.0);
        let shifted = o.to_f32(&t);
        // Every value exact: multiples of 300 below 6e5 fit f32's 24 bits.
        for (&s, &v) in shifted.iter().zip(&t) {
            assert_eq!(o.back(s), v);
        }
        assert_eq!(o.rounding(&t, &shifted), 0.0);
        // A mean computed in the shifted frame comes back with the digits f32 held there.
        let o = Origin::of(&[2.0, 3.0]);
        let mean = o.shift(2.377_540_6);
        let short = o.shortest(mean);
        assert_eq!(o.shift(short), mean);
        assert!(short.to_string().len() <= 10, "{short}");
        assert!((short - 2.377_540_6).abs() < 1e-7);
        // Straight to f32 they would be up to 64 s off.
        let straight: Vec<f32> = t.iter().map(|&v| v as f32).collect();
        assert_eq!(Origin::ZERO.rounding(&t, &straight), 64.0);
        // Odd seconds 6e8 from the origin round to f32's 64-second steps: 32 s at worst.
        let wide = [1.0e12, 1.0e12 + 1.2e9 + 33.0];
        let o = Origin::of(&wide);
        assert_eq!(o.rounding(&wide, &o.to_f32(&wide)), 16.5);
    }
}
