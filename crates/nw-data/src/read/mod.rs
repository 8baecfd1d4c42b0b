//! Reading CSV files as people have them: columns chosen by name or number, `,` `;` or tab
//! between fields, decimal commas, quoted fields, missing values, any line ending.
//!
//! # The format read
//! - Tokenizing is the `csv` crate's (RFC 4180): fields may be quoted (`"x"`, `"0.5"`,
//!   `"a, b"`), a quote inside a quoted field is doubled, a quoted field may span lines.
//! - The delimiter is `,`, `;` or tab, detected from the header line (the most frequent of
//!   the three outside quotes, `,` on a tie), or set ([`ReadOptions::delimiter`]).
//! - Line 1 is the header (a UTF-8 byte-order mark before it is skipped). Columns are chosen
//!   by name or 1-based number ([`ColumnRef`]); other columns are read past unchecked,
//!   though every row must have as many fields as the header. A header of numbers only is
//!   refused as missing.
//! - Numbers are parsed by `fast-float2`, correctly rounded (shortest round-trip text gives
//!   back the exact bits), from `.`-decimal text, or `,`-decimal with
//!   [`ReadOptions::decimal_comma`]. Surrounding spaces and tabs are ignored.
//! - An empty field, `NA`, `NaN`, `nan`, `null` and `N/A` in a chosen column are missing
//!   values ([`MISSING_TOKENS`]): an error, or the row is dropped and counted
//!   ([`Missing`]). Infinities and numbers beyond f32's range (about ±3.4e38, where the
//!   kernels compute) are errors.
//! - `\n`, `\r\n` and a lone `\r` each end a line, and line numbers count them all. A line
//!   holds at most [`MAX_LINE_BYTES`] (16 MiB), so a file without line endings (`/dev/zero`)
//!   cannot take all memory.
//! - Blank lines at the end are skipped; a blank line with data after it is an error (two
//!   files pasted together, or a cut file, would otherwise pass unnoticed).
//! - A file with no lines, or a header and no rows, is an error.
//!
//! Every error names the file, the line (the header is line 1; a record spanning lines is
//! named by its first), the column and the offending text.

mod header;
mod lines;
mod number;

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

pub use header::{ColumnRef, DELIMITERS, detect_delimiter};
pub use lines::MAX_LINE_BYTES;
pub use number::MISSING_TOKENS;

use crate::csv::{STDIN_NAME, Table, is_stdin};
use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use header::{Header, Lookup};
use lines::{Normalized, TooLong};
use number::{Field, Number};

/// Longest text quoted in an error; a runaway line is cut to this many characters.
const MAX_QUOTED_CHARS: usize = 80;

/// What the tokenizer reads at a time: large enough that the per-read cost vanishes.
const BUFFER_BYTES: usize = 1 << 16;

/// What to do with a row whose chosen column holds a missing value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Missing {
    /// Refuse the file, naming the first such row.
    #[default]
    Error,
    /// Leave the row out and count it ([`Frame::dropped`]).
    Drop,
}

/// How a file is read (the columns aside): `Default` reads a plain CSV file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The field delimiter; `None` detects `,`, `;` or tab from the header.
    pub delimiter: Option<u8>,
    /// Numbers are written with a decimal comma (`1,5`), as European spreadsheets export
    /// them (with `;` between fields).
    pub decimal_comma: bool,
    /// What a missing value in a chosen column does.
    pub missing: Missing,
}

/// Which columns to read, in the order wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    columns: Vec<ColumnRef>,
    /// The columns are defaults, not a user's choice: a file without those names whose
    /// columns are few enough to leave no doubt is read by position (see [`Select::defaults`]).
    by_default: bool,
}

impl Select {
    /// Exactly these columns.
    pub fn columns(columns: Vec<ColumnRef>) -> Self {
        Select {
            columns,
            by_default: false,
        }
    }

    /// The columns with these names if the file has them; otherwise, if it has none of them
    /// and exactly as many columns as names (or two columns for one name: an `x,y` file read
    /// for its inputs), its first columns in order. [`Frame::by_position`] says which happened.
    pub fn defaults(names: &[&str]) -> Self {
        Select {
            columns: names.iter().map(|n| ColumnRef::name(n)).collect(),
            by_default: true,
        }
    }

    /// The columns asked for.
    pub fn refs(&self) -> &[ColumnRef] {
        &self.columns
    }

    /// What a header must give, for messages.
    fn expected(&self) -> String {
        let list: Vec<String> = self.columns.iter().map(ToString::to_string).collect();
        format!("a header with the columns {}", list.join(", "))
    }
}

/// Chosen columns of a file (f64 from [`read_frame`]), and how they were read.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame<T = f64> {
    /// The chosen columns' header names, in the order asked for.
    pub names: Vec<String>,
    /// The chosen columns, in the order asked for, without the dropped rows.
    pub columns: Vec<Vec<T>>,
    /// Rows left out for a missing value ([`Missing::Drop`]).
    pub dropped: usize,
    /// The line of the first row left out.
    pub first_dropped_line: Option<usize>,
    /// The default names were not in the header, so the first columns were read in order.
    pub by_position: bool,
    /// The delimiter used (detected or given).
    pub delimiter: u8,
    /// Every column name of the header, in file order.
    pub header: Vec<String>,
}

impl<T> Frame<T> {
    /// Number of rows read (after any were dropped).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

/// Reads the chosen columns of a CSV file as f64; `-` reads standard input.
pub fn read_frame(path: impl AsRef<Path>, select: &Select, options: &ReadOptions) -> Result<Frame> {
    read_input(path.as_ref(), |reader, name| {
        parse_frame(reader, name, select, options)
    })
}

/// [`read_frame`] from `reader`; `name` is the file name used in errors.
pub fn parse_frame(
    reader: impl BufRead,
    name: &str,
    select: &Select,
    options: &ReadOptions,
) -> Result<Frame> {
    read_rows::<f64>(reader, name, Wanted::Some(select), options)
}

/// Reads a training file's columns `x` and `y` (or, in a file of two other columns, the
/// first and second) into a [`Dataset`] of f32; `-` reads standard input.
pub fn read_dataset(path: impl AsRef<Path>) -> Result<Dataset> {
    read_input(path.as_ref(), |reader, name| parse_dataset(reader, name))
}

/// [`read_dataset`] from `reader`; `name` is the file name used in errors.
pub fn parse_dataset(reader: impl BufRead, name: &str) -> Result<Dataset> {
    let select = Select::defaults(&["x", "y"]);
    let mut columns = read_rows::<f32>(reader, name, Wanted::Some(&select), &plain())?.columns;
    let y = columns.pop().unwrap_or_default();
    let x = columns.pop().unwrap_or_default();
    // read_rows checked both columns: equal lengths, finite values.
    Ok(Dataset::from_checked(x, y))
}

/// Reads the column `x` of a query file as f32 (other columns are ignored; a file of one
/// or two other columns gives its first); `-` reads standard input.
pub fn read_queries(path: impl AsRef<Path>) -> Result<Vec<f32>> {
    read_input(path.as_ref(), |reader, name| parse_queries(reader, name))
}

/// [`read_queries`] from `reader`; `name` is the file name used in errors.
pub fn parse_queries(reader: impl BufRead, name: &str) -> Result<Vec<f32>> {
    let select = Select::defaults(&["x"]);
    Ok(
        read_rows::<f32>(reader, name, Wanted::Some(&select), &plain())?
            .columns
            .pop()
            .unwrap_or_default(),
    )
}

/// Reads the named columns of a CSV file as f32, in the order asked for.
///
/// The header must hold each name once, anywhere; other columns are ignored (their values
/// unchecked), though every row must still have as many fields as the header. For files other
/// tools wrote: predictions (`x,y_hat`), training logs (`epoch,loss,...`). `-` reads
/// standard input.
pub fn read_columns(path: impl AsRef<Path>, names: &[&str]) -> Result<Vec<Vec<f32>>> {
    read_input(path.as_ref(), |reader, name| {
        parse_columns(reader, name, names)
    })
}

/// [`read_columns`] from `reader`; `name` is the file name used in errors.
pub fn parse_columns(reader: impl BufRead, name: &str, names: &[&str]) -> Result<Vec<Vec<f32>>> {
    let select = Select::columns(names.iter().map(|n| ColumnRef::name(n)).collect());
    Ok(read_rows::<f32>(reader, name, Wanted::Some(&select), &plain())?.columns)
}

/// Reads every column of a CSV file of numbers (a weight matrix, say) with its name.
///
/// Every field must be a finite number; names must be distinct. `-` reads standard input.
pub fn read_table(path: impl AsRef<Path>) -> Result<Table> {
    read_input(path.as_ref(), |reader, name| parse_table(reader, name))
}

/// [`read_table`] from `reader`; `name` is the file name used in errors.
pub fn parse_table(reader: impl BufRead, name: &str) -> Result<Table> {
    let read = read_rows::<f32>(reader, name, Wanted::All, &plain())?;
    Ok(Table {
        names: read.names,
        columns: read.columns,
    })
}

/// The options of the f32 readers: the chapter's own files, `,`-separated.
fn plain() -> ReadOptions {
    ReadOptions {
        delimiter: Some(b','),
        ..ReadOptions::default()
    }
}

/// Runs `parse` on the file at `path`, or on standard input for `-`, with the name errors
/// give it.
fn read_input<T>(
    path: &Path,
    parse: impl FnOnce(&mut dyn BufRead, &str) -> Result<T>,
) -> Result<T> {
    if is_stdin(path) {
        return parse(&mut io::stdin().lock(), STDIN_NAME);
    }
    let mut file = File::open(path)
        .map(BufReader::new)
        .map_err(|source| DataError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    parse(&mut file, &path.display().to_string())
}

/// Which columns [`read_rows`] returns.
#[derive(Clone, Copy)]
enum Wanted<'a> {
    /// These.
    Some(&'a Select),
    /// Every column, each a number, names distinct.
    All,
}

impl Wanted<'_> {
    fn expected(self) -> String {
        match self {
            Wanted::Some(select) => select.expected(),
            Wanted::All => "a header of column names".to_string(),
        }
    }
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters for an error message.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// The error for a failed read at `line`: a runaway line, or the operating system's.
fn read_error(file: &str, line: usize, source: io::Error) -> DataError {
    if let Some(t) = source.get_ref().and_then(|e| e.downcast_ref::<TooLong>()) {
        return DataError::LineTooLong {
            file: file.to_string(),
            line: t.line,
            limit: MAX_LINE_BYTES,
            start: quoted(&String::from_utf8_lossy(&t.start)),
        };
    }
    DataError::Read {
        file: file.to_string(),
        line,
        source,
    }
}

/// The header line: the first non-blank line, without its line ending and byte-order mark,
/// and its number. Blank lines before it are an error, as anywhere before data.
fn header_line(reader: &mut impl BufRead, file: &str) -> Result<Option<(usize, Vec<u8>)>> {
    let mut line = 0;
    let mut first_blank = None;
    loop {
        let mut bytes = Vec::new();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| read_error(file, line + 1, e))?;
        if n == 0 {
            return Ok(None);
        }
        line += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        if line == 1 && bytes.starts_with("\u{feff}".as_bytes()) {
            bytes.drain(.."\u{feff}".len());
        }
        if bytes.trim_ascii().is_empty() {
            first_blank.get_or_insert(line);
            continue;
        }
        if let Some(line) = first_blank {
            return Err(DataError::BlankLine {
                file: file.to_string(),
                line,
            });
        }
        return Ok(Some((line, bytes)));
    }
}

/// The names of a header line, split with `delimiter` (quotes removed) and trimmed.
fn header_names(bytes: &[u8], delimiter: u8, file: &str, line: usize) -> Result<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    // The bytes are in memory and end no record early: one record, or none for `""`.
    let _ = reader
        .read_byte_record(&mut record)
        .map_err(|e| DataError::Read {
            file: file.to_string(),
            line,
            source: io::Error::other(e),
        })?;
    record
        .iter()
        .map(|name| match std::str::from_utf8(name) {
            Ok(text) => Ok(text.trim().to_string()),
            Err(_) => Err(DataError::NotUtf8 {
                file: file.to_string(),
                line,
                text: quoted(&String::from_utf8_lossy(bytes)),
            }),
        })
        .collect()
}

/// Where each wanted column stands in the header, and whether the defaults fell back to
/// positions.
fn locate(
    header: &Header,
    wanted: Wanted<'_>,
    file: &str,
    line: usize,
    text: &str,
) -> Result<(Vec<usize>, bool)> {
    let bad = |problem: String| DataError::BadHeader {
        file: file.to_string(),
        line,
        text: quoted(text),
        problem,
        expected: wanted.expected(),
    };
    let select = match wanted {
        Wanted::All => {
            let mut seen = std::collections::HashMap::new();
            for (i, name) in header.names.iter().enumerate() {
                if seen.insert(name.as_str(), i).is_some() {
                    return Err(bad(format!("column {name:?} appears twice")));
                }
            }
            return Ok(((0..header.names.len()).collect(), false));
        }
        Wanted::Some(select) => select,
    };
    let found: Vec<std::result::Result<usize, Lookup>> =
        select.columns.iter().map(|c| header.find(c)).collect();
    let n = header.names.len();
    // Only when no default name is there: a header `x,b` lacks `y`, it does not rename it.
    let none = found.iter().all(|f| matches!(f, Err(Lookup::NoName(_))));
    let few = n == select.columns.len() || (select.columns.len() == 1 && n == 2);
    if select.by_default && none && few {
        return Ok(((0..select.columns.len()).collect(), true));
    }
    let mut positions = Vec::with_capacity(found.len());
    for (column, f) in select.columns.iter().zip(found) {
        match f {
            Ok(i) => positions.push(i),
            Err(Lookup::NoName(closest)) => {
                return Err(DataError::NoColumn {
                    file: file.to_string(),
                    line,
                    column: column.to_string(),
                    columns: header.listing(),
                    hint: closest.map_or(String::new(), |c| format!("; did you mean {c:?}?")),
                });
            }
            Err(Lookup::NoPosition) => {
                let ColumnRef::Position(number) = column else {
                    unreachable!("only a position can be past the end")
                };
                return Err(DataError::NoColumn {
                    file: file.to_string(),
                    line,
                    column: number.to_string(),
                    columns: header.listing(),
                    hint: format!("; the header has {n} column(s)"),
                });
            }
            Err(Lookup::Twice(a, b)) => {
                return Err(bad(format!(
                    "column {column} appears twice (columns {a} and {b}); choose one by number"
                )));
            }
        }
    }
    for (k, &i) in positions.iter().enumerate() {
        if let Some(j) = positions[..k].iter().position(|&p| p == i) {
            return Err(DataError::SameColumn {
                file: file.to_string(),
                first: select.columns[j].to_string(),
                second: select.columns[k].to_string(),
                name: header.names[i].clone(),
                position: i + 1,
            });
        }
    }
    Ok((positions, false))
}

/// Reads the header and the rows, returning the wanted columns.
fn read_rows<T: Number>(
    reader: impl BufRead,
    file: &str,
    wanted: Wanted<'_>,
    options: &ReadOptions,
) -> Result<Frame<T>> {
    let mut input = BufReader::with_capacity(BUFFER_BYTES, Normalized::new(reader));
    let Some((header_at, header_bytes)) = header_line(&mut input, file)? else {
        return Err(DataError::Empty {
            file: file.to_string(),
            expected: wanted.expected(),
        });
    };
    let header_text = String::from_utf8_lossy(&header_bytes).into_owned();
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| detect_delimiter(&header_bytes));
    if options.decimal_comma && delimiter == b',' {
        return Err(DataError::DecimalCommaDelimiter {
            file: file.to_string(),
        });
    }
    let header = Header {
        names: header_names(&header_bytes, delimiter, file, header_at)?,
    };
    if header.names.iter().all(|n| n.parse::<f64>().is_ok()) {
        return Err(DataError::NoHeader {
            file: file.to_string(),
            line: header_at,
            text: quoted(&header_text),
            expected: wanted.expected(),
        });
    }
    let (positions, by_position) = locate(&header, wanted, file, header_at, &header_text)?;

    let mut columns: Vec<Vec<T>> = vec![Vec::new(); positions.len()];
    let mut fields: Vec<Field<T>> = Vec::with_capacity(positions.len());
    // The header goes through the tokenizer again, first: `csv` strips a byte-order mark at
    // the start of what it reads, and one there would be on line 2, where it is an error.
    let mut header_again = header_bytes;
    header_again.push(b'\n');
    let mut rows = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(io::Read::chain(&header_again[..], input));
    let mut record = csv::ByteRecord::new();
    let (mut dropped, mut first_dropped_line) = (0, None);
    let mut first_blank: Option<usize> = None;
    // Lines as the tokenizer counts them (the header on 1) become the file's own.
    let offset = header_at - 1;
    let mut before = 2;
    let single = header.names.len() == 1;
    while let Some(after) = next_record(&mut rows, &mut record, file, before as usize + offset)? {
        // Every record ends with its own `\n` (see `lines`), so it ends on the line before the
        // tokenizer's position, and starts as many lines earlier as it holds line breaks;
        // lines between `before` and its start were empty, and skipped by the tokenizer. A
        // record whose line breaks all lie inside it, the last one included, ran into the end
        // of the file inside a quote that was never closed.
        let ends_in_break = record
            .get(record.len().saturating_sub(1))
            .is_some_and(|f| f.last() == Some(&b'\n'));
        let start = if after == before + 1 && !ends_in_break {
            before
        } else {
            let breaks = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
            if after - breaks == before {
                return Err(DataError::UnterminatedQuote {
                    file: file.to_string(),
                    line: before as usize + offset,
                });
            }
            after - 1 - breaks
        };
        let line = start as usize + offset;
        if start > before {
            // Empty lines: in a file of one column, empty fields (missing values).
            if single && first_blank.is_none() {
                let skipped = (start - before) as usize;
                if options.missing == Missing::Error {
                    return Err(DataError::Missing {
                        file: file.to_string(),
                        line: before as usize + offset,
                        text: String::new(),
                        column: header.names[0].clone(),
                    });
                }
                dropped += skipped;
                first_dropped_line.get_or_insert(before as usize + offset);
            } else {
                first_blank.get_or_insert(before as usize + offset);
            }
        }
        before = after;
        if record.len() == 1 && record[0].trim_ascii().is_empty() && !single {
            // Spaces only: a blank line.
            first_blank.get_or_insert(line);
            continue;
        }
        if let Some(line) = first_blank {
            return Err(DataError::BlankLine {
                file: file.to_string(),
                line,
            });
        }
        if record.len() != header.names.len() {
            let text = quoted(&row_text(&record, delimiter));
            let (got, expected) = (record.len(), header.names.len());
            let file = file.to_string();
            return Err(if got < expected {
                DataError::MissingFields {
                    file,
                    line,
                    text,
                    got,
                    expected,
                }
            } else {
                DataError::ExtraFields {
                    file,
                    line,
                    text,
                    got,
                    expected,
                }
            });
        }
        // A record knows where each field starts: the wanted ones are picked directly, however
        // many others the row holds.
        fields.clear();
        fields.extend(
            positions
                .iter()
                .map(|&i| number::parse(&record[i], options.decimal_comma)),
        );
        let mut missing = None;
        for (k, field) in fields.iter().enumerate() {
            let bad = match field {
                Field::Value(_) => continue,
                Field::Missing => {
                    missing.get_or_insert(k);
                    continue;
                }
                Field::OutOfRange => DataError::NonFinite {
                    file: file.to_string(),
                    line,
                    text: quoted(&field_text(&record[positions[k]])),
                    column: header.names[positions[k]].clone(),
                },
                Field::NotANumber => DataError::NotANumber {
                    file: file.to_string(),
                    line,
                    text: quoted(&field_text(&record[positions[k]])),
                    column: header.names[positions[k]].clone(),
                },
            };
            return Err(bad);
        }
        if let Some(k) = missing {
            if options.missing == Missing::Error {
                return Err(DataError::Missing {
                    file: file.to_string(),
                    line,
                    text: quoted(&field_text(&record[positions[k]])),
                    column: header.names[positions[k]].clone(),
                });
            }
            dropped += 1;
            first_dropped_line.get_or_insert(line);
            continue;
        }
        for (column, field) in columns.iter_mut().zip(&fields) {
            if let Field::Value(v) = *field {
                column.push(v);
            }
        }
    }
    if columns.first().is_none_or(Vec::is_empty) {
        if dropped > 0 {
            return Err(DataError::AllDropped {
                file: file.to_string(),
                rows: dropped,
            });
        }
        return Err(DataError::NoRows {
            file: file.to_string(),
            line: header_at,
            text: quoted(&header_text),
        });
    }
    Ok(Frame {
        names: positions.iter().map(|&i| header.names[i].clone()).collect(),
        columns,
        dropped,
        first_dropped_line,
        by_position,
        delimiter,
        header: header.names,
    })
}

/// Reads the next record into `record`, returning the tokenizer's line after it, or `None` at
/// the end; `line` names the line being read in an error.
fn next_record<R: io::Read>(
    rows: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    file: &str,
    line: usize,
) -> Result<Option<u64>> {
    match rows.read_byte_record(record) {
        Ok(true) => Ok(Some(rows.position().line())),
        Ok(false) => Ok(None),
        Err(e) => Err(match e.into_kind() {
            csv::ErrorKind::Io(source) => read_error(file, line, source),
            other => DataError::Read {
                file: file.to_string(),
                line,
                source: io::Error::other(format!("{other:?}")),
            },
        }),
    }
}

/// A field's text for a message, trimmed, invalid UTF-8 replaced.
fn field_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.trim_ascii()).into_owned()
}

/// A row's fields joined again, for a message.
fn row_text(record: &csv::ByteRecord, delimiter: u8) -> String {
    let fields: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    fields.join(&char::from(delimiter).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cuts_long_text_on_a_character_boundary() {
        let long = "é".repeat(200);
        let q = quoted(&long);
        assert_eq!(q.chars().count(), MAX_QUOTED_CHARS + 3);
        assert!(q.ends_with("..."));
        assert_eq!(quoted("short"), "short");
    }
}
