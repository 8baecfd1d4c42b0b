//! The reader against generated CSV-like bytes: quotes, delimiters, line endings, byte-order
//! marks, missing-value tokens and numbers in every mix. Whatever it is fed, it returns rows
//! or an error naming a line of the input, and never panics.

use std::io::{BufReader, Cursor};

use nw_data::{ColumnRef, DataError, Missing, ReadOptions, Select, parse_frame};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PIECES: &[&str] = &[
    "x", "y", "\"", "\"\"", ",", ";", "\t", "\n", "\r", "\r\n", "\u{feff}", "1", "-2.5", "3,5",
    "1e39", "NA", "nan", "", " ", "a", "é", "0.1", "\"x\"", "\"1,5\"",
];

fn generated(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut text = String::new();
    if rng.random_bool(0.5) {
        text += ["x,y\n", "x;y\r\n", "\"\",\"x\",\"y\"\n", "y\tx\r"][rng.random_range(0..4)];
    }
    for _ in 0..rng.random_range(0..40) {
        text += PIECES[rng.random_range(0..PIECES.len())];
    }
    let mut bytes = text.into_bytes();
    if rng.random_bool(0.05) {
        bytes.push(0xff);
    }
    bytes
}

#[test]
fn generated_inputs_give_rows_or_an_error_naming_a_line_of_the_input() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let selects = [
        Select::defaults(&["x", "y"]),
        Select::defaults(&["x"]),
        Select::columns(vec![ColumnRef::Position(2), ColumnRef::name("x")]),
    ];
    for case in 0..30_000 {
        let bytes = generated(&mut rng);
        let options = ReadOptions {
            delimiter: [None, Some(b','), Some(b';')][case % 3],
            decimal_comma: case % 5 == 0,
            missing: if case % 2 == 0 {
                Missing::Error
            } else {
                Missing::Drop
            },
        };
        let lines = bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count()
            + 1;
        // A one-byte buffer splits every `\r\n` and every field between reads.
        let reader = BufReader::with_capacity(1 + case % 7, Cursor::new(&bytes));
        match parse_frame(reader, "f.csv", &selects[case % 3], &options) {
            Ok(frame) => {
                assert!(frame.rows() > 0, "{bytes:?}");
                assert!(frame.columns.iter().all(|c| c.len() == frame.rows()));
                assert!(frame.columns.iter().flatten().all(|v| v.is_finite()));
            }
            Err(e) => {
                let line = match &e {
                    DataError::BlankLine { line, .. }
                    | DataError::NoHeader { line, .. }
                    | DataError::BadHeader { line, .. }
                    | DataError::NoRows { line, .. }
                    | DataError::MissingFields { line, .. }
                    | DataError::ExtraFields { line, .. }
                    | DataError::NotANumber { line, .. }
                    | DataError::NonFinite { line, .. }
                    | DataError::Missing { line, .. }
                    | DataError::NoColumn { line, .. }
                    | DataError::NotUtf8 { line, .. }
                    | DataError::UnterminatedQuote { line, .. } => *line,
                    DataError::Empty { .. }
                    | DataError::AllDropped { .. }
                    | DataError::SameColumn { .. }
                    | DataError::DecimalCommaDelimiter { .. } => 1,
                    other => panic!("unexpected error {other:?} for {bytes:?}"),
                };
                assert!(
                    (1..=lines).contains(&line),
                    "line {line} of {lines}: {e} for {bytes:?}"
                );
            }
        }
    }
}
