//! Reading CSV files: one test per kind of bad input, each checking that the message names
//! the file, the line and the offending text; then what must be accepted, and exactly.

use std::io::{self, BufReader, Cursor, Read};

use nw_data::{
    DataError, Frame, Missing, ReadOptions, Select, parse_dataset, parse_frame, parse_queries,
    read_dataset, read_queries,
};

fn train_err(text: &str) -> DataError {
    parse_dataset(Cursor::new(text), "data.csv").unwrap_err()
}

fn query_err(text: &str) -> DataError {
    parse_queries(Cursor::new(text), "q.csv").unwrap_err()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

// ---- files that cannot be read --------------------------------------------------------------

#[test]
fn a_missing_file_names_the_path_and_the_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.csv");
    let err = read_dataset(&path).unwrap_err();
    let DataError::Open { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(source.kind(), io::ErrorKind::NotFound);
    let msg = err.to_string();
    assert_eq!(msg, format!("cannot open {}: {source}", path.display()));
    assert!(
        read_queries(&path)
            .unwrap_err()
            .to_string()
            .contains("nope.csv")
    );
}

#[test]
fn a_directory_names_the_path_line_one_and_the_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_dataset(dir.path()).unwrap_err();
    let msg = err.to_string();
    // Opening a directory works on Unix and reading it fails; Windows refuses to open it.
    assert!(
        msg.starts_with(&format!("{}:1: read failed: ", dir.path().display()))
            || msg.starts_with(&format!("cannot open {}: ", dir.path().display())),
        "{msg}"
    );
}

/// A reader that gives `first` and then fails.
struct FailAfter(Cursor<&'static str>);

impl Read for FailAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::Error::other("device went away")),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_error_part_way_names_the_line_being_read() {
    let reader = BufReader::new(FailAfter(Cursor::new("x,y\n1,2\n")));
    let err = parse_dataset(reader, "data.csv").unwrap_err();
    assert_eq!(err.to_string(), "data.csv:3: read failed: device went away");
}

#[test]
fn text_that_is_not_utf8_is_refused_with_its_line() {
    let bytes: &[u8] = b"x,y\n1,2\n3,\xff\xfe\n";
    let err = parse_dataset(Cursor::new(bytes), "data.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "data.csv:3: \"\u{fffd}\u{fffd}\" is not a number (column \"y\")"
    );
    let bytes: &[u8] = b"x,\xff\n1,2\n";
    let err = parse_dataset(Cursor::new(bytes), "data.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "data.csv:1: line is not valid utf-8: \"x,\u{fffd}\""
    );
}

// ---- empty files and headers ----------------------------------------------------------------

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(
        train_err("").to_string(),
        "data.csv:1: file is empty, expected a header with the columns \"x\", \"y\""
    );
    assert_eq!(
        query_err("").to_string(),
        "q.csv:1: file is empty, expected a header with the columns \"x\""
    );
}

#[test]
fn a_file_of_blank_lines_is_empty() {
    assert!(matches!(train_err("\n  \r\n\n"), DataError::Empty { .. }));
}

#[test]
fn a_header_without_rows_says_so() {
    for text in ["x,y", "x,y\n", "x,y\r\n\r\n", "x,y\n\n   \n"] {
        assert_eq!(
            train_err(text).to_string(),
            "data.csv:1: no data rows after the header \"x,y\"",
            "{text:?}"
        );
    }
    assert_eq!(
        query_err("id,x\n").to_string(),
        "q.csv:1: no data rows after the header \"id,x\""
    );
}

#[test]
fn a_missing_header_says_what_was_expected() {
    assert_eq!(
        train_err("0.5,1.2\n1,2\n").to_string(),
        "data.csv:1: header is missing: found \"0.5,1.2\", expected a header with the columns \"x\", \"y\""
    );
    assert_eq!(
        query_err("0.5\n1\n").to_string(),
        "q.csv:1: header is missing: found \"0.5\", expected a header with the columns \"x\""
    );
}

#[test]
fn extra_columns_are_read_past_and_two_other_names_are_x_then_y() {
    let d = parse_dataset(Cursor::new("z,y,x\nfoo,2,1\nbar,4,3\n"), "d").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0, 3.0][..], &[2.0, 4.0][..]));
    let d = parse_dataset(Cursor::new("t,y_truth\n1,2\n"), "d").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0][..], &[2.0][..]));
    // Three columns, none named x or y: nothing says which is which.
    assert_eq!(
        train_err("a,b,c\n1,2,3\n").to_string(),
        "data.csv:1: no column \"x\" (the columns are \"a\", \"b\", \"c\")"
    );
}

#[test]
fn a_training_header_without_y_names_the_missing_column() {
    assert_eq!(
        train_err("x\n1\n").to_string(),
        "data.csv:1: no column \"y\" (the columns are \"x\")"
    );
}

#[test]
fn y_before_x_is_read_by_name() {
    let d = parse_dataset(Cursor::new("y,x\n1,2\n"), "d").unwrap();
    assert_eq!((d.x(), d.y()), (&[2.0][..], &[1.0][..]));
}

#[test]
fn a_repeated_column_is_refused() {
    assert_eq!(
        train_err("x,x\n1,2\n").to_string(),
        "data.csv:1: bad header \"x,x\": column \"x\" appears twice (columns 1 and 2); choose one by number, expected a header with the columns \"x\", \"y\""
    );
    assert_eq!(
        query_err("x,id,x\n1,2,3\n").to_string(),
        "q.csv:1: bad header \"x,id,x\": column \"x\" appears twice (columns 1 and 3); choose one by number, expected a header with the columns \"x\""
    );
}

#[test]
fn a_query_header_without_x_is_refused_unless_its_first_column_is_plainly_x() {
    assert_eq!(
        query_err("a,b,c\n1,2,3\n").to_string(),
        "q.csv:1: no column \"x\" (the columns are \"a\", \"b\", \"c\")"
    );
    // Case matters (the column is `x`), and the message says what was meant.
    assert_eq!(
        query_err("X,id,n\n1,2,3\n").to_string(),
        "q.csv:1: no column \"x\" (the columns are \"X\", \"id\", \"n\"); did you mean \"X\"?"
    );
    // One or two columns, none called x: the first is the input.
    assert_eq!(parse_queries(Cursor::new("t\n1\n"), "q").unwrap(), [1.0]);
    assert_eq!(
        parse_queries(Cursor::new("t,v\n1,2\n"), "q").unwrap(),
        [1.0]
    );
}

// ---- rows -----------------------------------------------------------------------------------

#[test]
fn a_row_with_a_missing_column_names_line_and_row() {
    assert_eq!(
        train_err("x,y\n1,2\n3\n").to_string(),
        "data.csv:3: missing column: row \"3\" has 1 field(s) but the header has 2"
    );
}

#[test]
fn a_row_with_an_extra_column_names_line_and_row() {
    assert_eq!(
        train_err("x,y\n1,2\n3,4,5\n").to_string(),
        "data.csv:3: extra column: row \"3,4,5\" has 3 field(s) but the header has 2"
    );
    // A trailing comma is an extra (empty) field.
    assert_eq!(
        train_err("x,y\n1,2,\n").to_string(),
        "data.csv:2: extra column: row \"1,2,\" has 3 field(s) but the header has 2"
    );
}

#[test]
fn ragged_rows_in_ignored_query_columns_are_still_refused() {
    assert_eq!(
        query_err("id,x,note\n1,0.5,a\n2,1.5\n").to_string(),
        "q.csv:3: missing column: row \"2,1.5\" has 2 field(s) but the header has 3"
    );
}

#[test]
fn text_that_is_not_a_number_is_quoted_with_its_column() {
    assert_eq!(
        train_err("x,y\n1,2\n3,abc\n").to_string(),
        "data.csv:3: \"abc\" is not a number (column \"y\")"
    );
    assert_eq!(
        query_err("id,x\n1,0.5\n2,1,5\n").to_string(),
        "q.csv:3: extra column: row \"2,1,5\" has 3 field(s) but the header has 2"
    );
    assert_eq!(
        query_err("id,x\n1,0x10\n").to_string(),
        "q.csv:2: \"0x10\" is not a number (column \"x\")"
    );
}

#[test]
fn an_empty_field_is_a_missing_value() {
    assert_eq!(
        train_err("x,y\n1,2\n1,\n").to_string(),
        "data.csv:3: missing value \"\" in column \"y\""
    );
}

#[test]
fn nan_infinities_and_f32_overflow_are_refused() {
    for text in [
        "inf",
        "-inf",
        "+inf",
        "Inf",
        "infinity",
        "-Infinity",
        "1e39",
        "-1e39",
        "3.5e38",
    ] {
        let err = train_err(&format!("x,y\n1,2\n{text},0\n"));
        assert!(
            matches!(err, DataError::NonFinite { line: 3, .. }),
            "{text}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "data.csv:3: \"{text}\" is infinite or beyond f32's range (1.2e-38 to 3.4e38 in size, or 0), where \
                 the kernels compute (column \"x\")"
            )
        );
    }
    // NaN is a missing value, `-nan` is not a number.
    assert!(matches!(
        train_err("x,y\nNaN,0\n"),
        DataError::Missing { line: 2, .. }
    ));
    assert!(matches!(
        train_err("x,y\n-nan,0\n"),
        DataError::NotANumber { line: 2, .. }
    ));
    // The largest finite f32 is fine.
    let d = parse_dataset(Cursor::new("x,y\n3.4028235e38,0\n"), "data.csv").unwrap();
    assert_eq!(d.x()[0], f32::MAX);
}

#[test]
fn a_blank_line_inside_the_data_is_refused() {
    assert_eq!(
        train_err("x,y\n1,2\n\n3,4\n").to_string(),
        "data.csv:3: blank line before more data (only trailing blank lines are allowed)"
    );
    // A run of blank lines is reported at its first line, whitespace counts as blank.
    assert_eq!(
        train_err("x,y\n1,2\n  \r\n\t\n3,4\n").to_string(),
        "data.csv:3: blank line before more data (only trailing blank lines are allowed)"
    );
}

#[test]
fn a_blank_line_before_the_header_is_refused() {
    assert_eq!(
        train_err("\nx,y\n1,2\n").to_string(),
        "data.csv:1: blank line before more data (only trailing blank lines are allowed)"
    );
}

#[test]
fn long_lines_are_cut_in_messages() {
    let row = format!("1,{}", "9".repeat(500));
    let err = train_err(&format!("x,y\n{row},3\n")).to_string();
    assert!(
        err.starts_with("data.csv:2: extra column: row \"1,999"),
        "{err}"
    );
    assert!(err.contains("...\" has 3 field(s)"), "{err}");
    assert!(err.len() < 200, "{err}");
}

#[test]
fn errors_from_a_file_name_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "x,y\n0.5,1\n0.7,oops\n").unwrap();
    assert_eq!(
        read_dataset(&path).unwrap_err().to_string(),
        format!(
            "{}:3: \"oops\" is not a number (column \"y\")",
            path.display()
        )
    );
}

// ---- what is accepted -----------------------------------------------------------------------

#[test]
fn a_plain_training_file_reads_exactly() {
    let d = parse_dataset(Cursor::new("x,y\n0.1,-2.5\n3.1000001,1e-45\n"), "d").unwrap();
    assert_eq!(bits(d.x()), bits(&[0.1, 3.1000001]));
    assert_eq!(bits(d.y()), bits(&[-2.5, f32::from_bits(1)]));
}

#[test]
fn numbers_are_rounded_correctly_to_f32() {
    // Long decimal forms round to the nearest f32, as the literal does.
    let d = parse_dataset(
        Cursor::new("x,y\n0.1000000000000000055511151231257827,2.99999999999999999999\n"),
        "d",
    )
    .unwrap();
    assert_eq!(d.x()[0].to_bits(), 0.1f32.to_bits());
    assert_eq!(d.y()[0], 3.0);
    // A halfway case between two f32s rounds to even: 1 + 2^-24 is exactly between 1 and
    // 1 + 2^-23.
    let d = parse_dataset(Cursor::new("x,y\n1.000000059604644775390625,-0\n"), "d").unwrap();
    assert_eq!(d.x()[0], 1.0);
    assert_eq!(d.y()[0].to_bits(), (-0.0f32).to_bits());
}

#[test]
fn windows_line_endings_work_and_keep_line_numbers() {
    let d = parse_dataset(Cursor::new("x,y\r\n1,2\r\n3,4\r\n"), "d").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0, 3.0][..], &[2.0, 4.0][..]));
    assert_eq!(
        train_err("x,y\r\n1,2\r\nabc,4\r\n").to_string(),
        "data.csv:3: \"abc\" is not a number (column \"x\")"
    );
}

#[test]
fn whitespace_around_fields_is_trimmed() {
    let d = parse_dataset(Cursor::new(" x\t, y \n 1 , 2\t\n"), "d").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0][..], &[2.0][..]));
}

#[test]
fn trailing_blank_lines_and_a_missing_final_newline_are_fine() {
    for text in [
        "x,y\n1,2\n3,4",
        "x,y\n1,2\n3,4\n",
        "x,y\n1,2\n3,4\n\n\n",
        "x,y\n1,2\n3,4\n \r\n",
    ] {
        let d = parse_dataset(Cursor::new(text), "d").unwrap();
        assert_eq!(d.len(), 2, "{text:?}");
    }
}

#[test]
fn a_byte_order_mark_before_the_header_is_skipped() {
    let d = parse_dataset(Cursor::new("\u{feff}x,y\n1,2\n"), "d").unwrap();
    assert_eq!(d.len(), 1);
    // Only before the header: elsewhere it is an error, and the message shows it escaped.
    assert_eq!(
        train_err("x,y\n\u{feff}1,2\n").to_string(),
        "data.csv:2: \"\\u{feff}1\" is not a number (column \"x\")"
    );
}

#[test]
fn query_files_take_x_anywhere_and_ignore_other_columns() {
    let q = parse_queries(Cursor::new("id,label,x\n1,foo,0.5\n2,,1.5\n"), "q").unwrap();
    assert_eq!(q, vec![0.5, 1.5]);
    let q = parse_queries(Cursor::new("x\n4.9\n"), "q").unwrap();
    assert_eq!(q, vec![4.9]);
    // Other columns are not checked at all, not even for being numbers.
    let q = parse_queries(Cursor::new("x,y_hat\n0,NaN\n"), "q").unwrap();
    assert_eq!(q, vec![0.0]);
}

// ---- the dialects of other tools ------------------------------------------------------------

fn frame(text: &str, columns: &[&str], options: ReadOptions) -> Result<Frame, String> {
    let select = Select::columns(columns.iter().map(|c| c.parse().unwrap()).collect());
    parse_frame(Cursor::new(text), "f.csv", &select, &options).map_err(|e| e.to_string())
}

#[test]
fn quoted_headers_and_fields_read_and_quoted_line_breaks_keep_line_numbers() {
    let f = frame(
        "\"\",\"x\",\"y\"\n\"1\",\"0.5\",2\n\"2\",1.5,\"3\"\n",
        &["x", "y"],
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(f.columns, vec![vec![0.5, 1.5], vec![2.0, 3.0]]);
    assert_eq!(f.header, ["", "x", "y"]);
    // A note spanning two lines: the row after it is still named by its own line.
    let err = frame(
        "x,note,y\n1,\"two\nlines\",2\n3,\"a, b\",oops\n",
        &["x", "y"],
        ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err, "f.csv:4: \"oops\" is not a number (column \"y\")");
    // A record spanning lines is named by its first.
    let err = frame(
        "x,note,y\n1,\"two\r\nlines\",bad\n",
        &["x", "y"],
        ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err, "f.csv:2: \"bad\" is not a number (column \"y\")");
}

#[test]
fn blank_lines_inside_are_named_and_trailing_ones_are_skipped() {
    for (text, line) in [
        ("x,y\n1,2\n\n3,4\n", 3),
        ("x,y\n1,2\n   \n3,4\n", 3),
        ("x,y\n1,2\r\n\r\n\r\n3,4\r\n", 3),
        ("x,y\r1,2\r\r3,4\r", 3),
        ("\nx,y\n1,2\n", 1),
    ] {
        assert_eq!(
            frame(text, &["x", "y"], ReadOptions::default()).unwrap_err(),
            format!(
                "f.csv:{line}: blank line before more data (only trailing blank lines are allowed)"
            ),
            "{text:?}"
        );
    }
    let f = frame("x,y\n1,2\n\n  \n\r\n", &["x", "y"], ReadOptions::default()).unwrap();
    assert_eq!(f.rows(), 1);
}

#[test]
fn delimiters_are_detected_or_given_and_decimal_commas_read() {
    let euro = "zeit;wert;ort\n1;2,5;\"Köln, DE\"\n2;-0,75;Bonn\n";
    let options = ReadOptions {
        decimal_comma: true,
        ..ReadOptions::default()
    };
    let f = frame(euro, &["zeit", "wert"], options).unwrap();
    assert_eq!(
        (f.delimiter, &f.columns),
        (b';', &vec![vec![1.0, 2.0], vec![2.5, -0.75]])
    );
    let tabbed = frame("a\tb\n1\t2\n", &["2"], ReadOptions::default()).unwrap();
    assert_eq!(tabbed.columns, vec![vec![2.0]]);
    let piped = ReadOptions {
        delimiter: Some(b'|'),
        ..ReadOptions::default()
    };
    assert_eq!(
        frame("a|b\n1|2\n", &["b"], piped).unwrap().columns,
        vec![vec![2.0]]
    );
    // A decimal comma is not read without being asked for, and a `.` is not read with it.
    assert_eq!(
        frame(euro, &["wert"], ReadOptions::default()).unwrap_err(),
        "f.csv:2: \"2,5\" is not a number (column \"wert\")"
    );
    assert_eq!(
        frame("a;b\n1.5;2\n", &["a"], options).unwrap_err(),
        "f.csv:2: \"1.5\" is not a number (column \"a\")"
    );
}

#[test]
fn dropped_rows_are_counted_with_the_first_line() {
    let options = ReadOptions {
        missing: Missing::Drop,
        ..ReadOptions::default()
    };
    let f = frame("x,y,z\n1,2,\n,3,4\n5,NA,6\n7,8,9\n", &["x", "y"], options).unwrap();
    // z is not chosen: its empty field on line 2 does not drop the row.
    assert_eq!(f.columns, vec![vec![1.0, 7.0], vec![2.0, 8.0]]);
    assert_eq!((f.dropped, f.first_dropped_line), (2, Some(3)));
}

#[test]
fn coordinates_read_in_f64_keep_every_digit() {
    let f = frame(
        "t,v\n1700000137,1\n1700012345.25,2\n0.1,3\n",
        &["t"],
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(f.columns[0], [1_700_000_137.0, 1_700_012_345.25, 0.1]);
}

#[test]
fn a_quote_never_closed_is_named_and_a_closed_multi_line_field_is_not() {
    for (text, line) in [
        ("x,y,note\n1,2,\"oops\n2,3,fine\n3,5,fine\n", 2),
        ("x,y,note\n1,2,ok\n3,\"4,x\n", 3),
        ("x,y\r1,\"2\r3,4\r", 2),
    ] {
        assert_eq!(
            frame(text, &["x"], ReadOptions::default()).unwrap_err(),
            format!(
                "f.csv:{line}: a quoted field starts on this line and is never closed: the rest \
                 of the file would be one field"
            ),
            "{text:?}"
        );
    }
    // A closed field that ends in a line break, last in the file, is fine.
    let f = frame(
        "x,y,note\n1,2,\"two\nlines\n\"\n",
        &["x", "y"],
        ReadOptions::default(),
    );
    assert_eq!(f.unwrap().columns, vec![vec![1.0], vec![2.0]]);
}

#[test]
fn tiny_coordinates_are_refused_not_rounded_to_zero() {
    let err = frame("x,y\n1,1e-300\n2,0\n", &["x", "y"], ReadOptions::default()).unwrap_err();
    assert!(
        err.starts_with("f.csv:2: \"1e-300\" is infinite or beyond f32's range"),
        "{err}"
    );
    let f = frame("x,y\n1,1.5e-38\n2,0\n", &["x", "y"], ReadOptions::default()).unwrap();
    assert_eq!(f.columns[1], [1.5e-38, 0.0]);
}

#[test]
fn a_decimal_comma_with_comma_delimiters_and_one_column_chosen_twice_are_refused() {
    let options = ReadOptions {
        decimal_comma: true,
        ..ReadOptions::default()
    };
    assert_eq!(
        frame("x,y,z\n1,5,2\n", &["x", "y"], options).unwrap_err(),
        "f.csv: numbers with a decimal comma need another delimiter than `,` (a spreadsheet \
         that writes `1,5` puts `;` between fields)"
    );
    assert_eq!(
        frame("a,y\n1,2\n", &["2", "y"], ReadOptions::default()).unwrap_err(),
        "f.csv: column 2 and \"y\" are the same column (\"y\", column 2)"
    );
    assert_eq!(
        frame("a,y\n1,2\n", &["3"], ReadOptions::default()).unwrap_err(),
        "f.csv:1: no column 3 (the columns are \"a\", \"y\"); the header has 2 column(s)"
    );
    // A header name that is a number is what that number means.
    let f = frame("2,y,z\n7,8,9\n", &["2"], ReadOptions::default()).unwrap();
    assert_eq!(f.columns, vec![vec![7.0]]);
}

#[test]
fn empty_lines_in_a_one_column_file_are_missing_values() {
    let drop = ReadOptions {
        missing: Missing::Drop,
        ..ReadOptions::default()
    };
    let f = frame("x\n1\n\n3\n#N/A\n5\n\n", &["x"], drop).unwrap();
    assert_eq!((f.columns[0].clone(), f.dropped), (vec![1.0, 3.0, 5.0], 2));
    assert_eq!(f.first_dropped_line, Some(3));
    assert_eq!(
        frame("x\n1\n\n3\n", &["x"], ReadOptions::default()).unwrap_err(),
        "f.csv:3: missing value \"\" in column \"x\""
    );
}
