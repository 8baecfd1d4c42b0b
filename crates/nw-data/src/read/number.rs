//! One field as a number, a missing value, or an error.

/// The texts that mean "no value here" (after trimming): what R (`NA`), numpy and pandas
/// (`NaN`, `nan`, an empty field), spreadsheets (`N/A`, Excel's `#N/A`), JSON and SQL
/// (`null`, `NULL`) and Python (`None`) write for a missing number.
pub const MISSING_TOKENS: [&str; 9] = [
    "", "NA", "NaN", "nan", "null", "N/A", "#N/A", "NULL", "None",
];

/// A number type the readers produce: f64 for coordinates, f32 for the chapter's files.
pub(crate) trait Number: Copy + Default + fast_float2::FastFloat {
    /// Whether `self` is finite and within what the kernels compute in (f32's range).
    fn in_range(self) -> bool;
    /// Whether `self` is NaN.
    fn is_nan(self) -> bool;
}

impl Number for f32 {
    fn in_range(self) -> bool {
        self.is_finite()
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Number for f64 {
    fn in_range(self) -> bool {
        // Whatever rounds to a finite f32 (`3.4028235e38`, the text of f32::MAX, is above it)
        // and is zero or a normal f32: below 1.2e-38 f32 keeps few digits or none, and
        // `1e-300` would silently become 0.
        #[allow(clippy::cast_possible_truncation)]
        let single = self as f32;
        single.is_finite() && (self == 0.0 || single.abs() >= f32::MIN_POSITIVE)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

/// What a field held.
#[derive(Debug, PartialEq)]
pub(crate) enum Field<T> {
    /// A number in range.
    Value(T),
    /// One of [`MISSING_TOKENS`].
    Missing,
    /// A number, but infinite or beyond f32's range.
    OutOfRange,
    /// Not a number.
    NotANumber,
}

/// Parses `bytes` (surrounding ASCII whitespace ignored) with `.` as the decimal mark, or `,`
/// when `decimal_comma` (then a `.` is refused: it would be a thousands separator, and
/// `1.234,5` read as 1.2345 would be silently wrong).
pub(crate) fn parse<T: Number>(bytes: &[u8], decimal_comma: bool) -> Field<T> {
    // The common case first: a plain number, parsed as it is. Everything else (spaces, a
    // missing-value token, NaN, a decimal comma, garbage) takes the careful path.
    if !decimal_comma
        && let Ok(v) = fast_float2::parse::<T, _>(bytes)
        && v.in_range()
    {
        return Field::Value(v);
    }
    let text = bytes.trim_ascii();
    if MISSING_TOKENS.iter().any(|t| t.as_bytes() == text) {
        return Field::Missing;
    }
    let parsed = if decimal_comma {
        if text.contains(&b'.') || text.len() > 64 {
            return Field::NotANumber;
        }
        let mut buf = [0u8; 64];
        let buf = &mut buf[..text.len()];
        buf.copy_from_slice(text);
        if let Some(comma) = buf.iter().position(|&b| b == b',') {
            buf[comma] = b'.';
        }
        fast_float2::parse::<T, _>(&*buf)
    } else {
        fast_float2::parse::<T, _>(text)
    };
    match parsed {
        // `-nan` and the like: not one of the tokens, and not a number.
        Ok(v) if v.is_nan() => Field::NotANumber,
        Ok(v) if v.in_range() => Field::Value(v),
        // `fast-float2` reads `inf`, `infinity` and overflow such as `1e400` as infinities.
        Ok(_) => Field::OutOfRange,
        Err(_) => Field::NotANumber,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_to_what_the_standard_library_reads() {
        for text in ["0.1", " 3.5 ", "-2", "+7", ".5", "5.", "3.4028235e38", "-0"] {
            let want: f64 = text.trim().parse().unwrap();
            assert_eq!(
                parse::<f64>(text.as_bytes(), false),
                Field::Value(want),
                "{text}"
            );
            let want32: f32 = text.trim().parse().unwrap();
            assert_eq!(
                parse::<f32>(text.as_bytes(), false),
                Field::Value(want32),
                "{text}"
            );
        }
        // f32's own readers keep its subnormals (the chapter's files round-trip every f32).
        assert_eq!(parse::<f32>(b"1e-45", false), Field::Value(1e-45));
        assert_eq!(parse::<f64>(b"1,5", true), Field::Value(1.5));
        assert_eq!(parse::<f64>(b"-0,25", true), Field::Value(-0.25));
        assert_eq!(parse::<f64>(b"1700000000", true), Field::Value(1.7e9));
    }

    #[test]
    fn missing_tokens_and_bad_fields_are_told_apart() {
        for token in MISSING_TOKENS {
            assert_eq!(
                parse::<f64>(format!(" {token} ").as_bytes(), false),
                Field::Missing
            );
        }
        // Coordinates too small for f32 are refused, not rounded to 0; zero is fine.
        for text in ["1e-300", "-1e-39", "1e-45"] {
            assert_eq!(
                parse::<f64>(text.as_bytes(), false),
                Field::OutOfRange,
                "{text}"
            );
        }
        assert_eq!(parse::<f64>(b"1.2e-38", false), Field::Value(1.2e-38));
        assert_eq!(parse::<f64>(b"-0", false), Field::Value(-0.0));
        for text in ["inf", "-Infinity", "1e39", "3.5e38"] {
            assert_eq!(
                parse::<f64>(text.as_bytes(), false),
                Field::OutOfRange,
                "{text}"
            );
            assert_eq!(
                parse::<f32>(text.as_bytes(), false),
                Field::OutOfRange,
                "{text}"
            );
        }
        for text in [
            "abc", "1,5", "1.5.2", "0x10", "1 2", "na", "--1", "-nan", "+NaN",
        ] {
            assert_eq!(
                parse::<f64>(text.as_bytes(), false),
                Field::NotANumber,
                "{text}"
            );
        }
        assert_eq!(parse::<f64>(b"1.234,5", true), Field::NotANumber);
        assert_eq!(parse::<f64>(b"1,2,3", true), Field::NotANumber);
    }
}
