//! How the readers split a file into lines: every line ending in use (`\n`, `\r\n`, a lone
//! `\r`), and a cap on a line's length so that no input can take memory without bound.

use std::io::{self, BufReader, Cursor, Read};

use nw_data::{
    DataError, MAX_LINE_BYTES, STDIN_NAME, Synthetic, input_name, is_stdin, parse_dataset,
    parse_queries,
};

fn train_err(text: &str) -> DataError {
    parse_dataset(Cursor::new(text), "data.csv").unwrap_err()
}

#[test]
fn a_file_with_cr_only_line_endings_reads_like_any_other() {
    let d = parse_dataset(Cursor::new("x,y\r1,2\r3,4\r"), "mac.csv").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0, 3.0][..], &[2.0, 4.0][..]));
    // Without a final line ending too.
    let q = parse_queries(Cursor::new("x\r0.5\r1.5"), "q.csv").unwrap();
    assert_eq!(q, [0.5, 1.5]);
}

#[test]
fn line_numbers_count_every_kind_of_line_ending() {
    // Lines: 1 "x,y" (\r), 2 "1,2" (\r\n), 3 "3,4" (\n), 4 "abc,4" (\r).
    assert_eq!(
        train_err("x,y\r1,2\r\n3,4\nabc,4\r").to_string(),
        "data.csv:4: \"abc\" is not a number (column \"x\")"
    );
    // A lone \r in a row ends it: the rest is the next line.
    assert_eq!(
        train_err("x,y\r\n1\r2\r\n").to_string(),
        "data.csv:2: missing column: row \"1\" has 1 field(s) but the header has 2"
    );
}

#[test]
fn a_crlf_split_between_two_reads_is_one_line_ending() {
    // A one-byte buffer hands `\r` and `\n` over in separate reads.
    let text = "x,y\r\n1,2\r\n\r\nabc,4\r\n";
    let err = parse_dataset(BufReader::with_capacity(1, Cursor::new(text)), "d.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "d.csv:3: blank line before more data (only trailing blank lines are allowed)"
    );
    let text = "x,y\r\n1,2\r\n3,4\r\n\r\n";
    let d = parse_dataset(BufReader::with_capacity(1, Cursor::new(text)), "d.csv").unwrap();
    assert_eq!(d.x(), &[1.0, 3.0]);
}

#[test]
fn a_line_over_the_cap_is_an_error_naming_file_line_cap_and_start() {
    let mut text = String::from("x,y\n1,2\n");
    text.push_str("7,");
    text.push_str(&"8".repeat(MAX_LINE_BYTES - 1));
    text.push('\n');
    let err = train_err(&text);
    let DataError::LineTooLong {
        file,
        line,
        limit,
        start,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((file.as_str(), *line, *limit), ("data.csv", 3, 16 << 20));
    assert_eq!(start, &format!("7,{}...", "8".repeat(78)));
    assert_eq!(
        err.to_string(),
        format!(
            "data.csv:3: line is longer than 16777216 bytes, the most a line may hold; it \
             starts \"7,{}...\"",
            "8".repeat(78)
        )
    );
}

#[test]
fn a_line_exactly_at_the_cap_is_read() {
    // Surrounding whitespace is trimmed from fields, so this row is "1,2".
    let row = format!("1,2{}", " ".repeat(MAX_LINE_BYTES - 3));
    let d = parse_dataset(Cursor::new(format!("x,y\r\n{row}\r\n")), "d.csv").unwrap();
    assert_eq!((d.x(), d.y()), (&[1.0][..], &[2.0][..]));
}

#[test]
fn an_endless_line_stops_at_the_cap() {
    // Like /dev/zero: bytes and no line ending. Stopped at 4 caps, so an unfixed reader fails
    // here instead of exhausting memory.
    let zeros = io::repeat(0).take(4 * MAX_LINE_BYTES as u64);
    let err = parse_dataset(BufReader::new(zeros), "/dev/zero").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "/dev/zero:1: line is longer than 16777216 bytes, the most a line may hold; it \
             starts \"{}...\"",
            "\\0".repeat(80)
        )
    );
}

#[test]
fn a_dash_names_standard_input() {
    assert!(is_stdin("-"));
    assert!(!is_stdin("./-") && !is_stdin("--") && !is_stdin("a.csv"));
    assert_eq!(input_name("-"), STDIN_NAME);
    assert_eq!(STDIN_NAME, "<stdin>");
    assert_eq!(input_name("dir/a.csv"), "dir/a.csv");
}

#[test]
fn a_synthetic_set_too_large_for_memory_is_an_error() {
    let err = Synthetic::new(usize::MAX, 0).train().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "synthetic training set: {} values do not fit in memory",
            usize::MAX
        )
    );
}

#[test]
fn a_header_of_a_million_columns_reads_in_linear_time() {
    // 7.9 MB of distinct names, under the line cap. Checking each name against every one
    // before it took 10^12 comparisons: hours, a reader that never returns.
    let n = 1_000_000;
    let header: Vec<String> = (0..n).map(|j| format!("c{j}")).collect();
    let row = vec!["0.5"; n].join(",");
    let text = format!("{}\n{row}\n", header.join(","));
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let table = nw_data::parse_table(Cursor::new(text), "wide.csv");
        done.send(table.map(|t| (t.names.len(), t.columns.len(), t.columns[n - 1].clone())))
    });
    let read = result
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a million-column header read within a minute");
    assert_eq!(read.unwrap(), (n, n, vec![0.5]));
}
