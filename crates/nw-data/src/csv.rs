//! Validated CSV files of f32 columns: training files (`x,y`), query files (a column `x`),
//! an atomic writer for named columns, and the same atomic replace for any bytes
//! ([`write_atomic`]).
//!
//! # The format read
//! - Fields are separated by commas and trimmed of surrounding whitespace; there is no
//!   quoting (numbers and our column names never need it).
//! - Line 1 is the header. A training file's header is exactly `x,y`; a query file's header
//!   has a column `x` anywhere, and its other columns are ignored (their values unchecked),
//!   though every row must still have as many fields as the header.
//! - Numbers are parsed by Rust's `str::parse::<f32>`, which rounds correctly, so shortest
//!   round-trip text gives back the exact bits. Values that are not finite in f32 (`nan`,
//!   `inf`, `-Infinity`, and overflow such as `1e39`) are refused.
//! - `\n`, `\r\n` and a lone `\r` (old Mac OS, some spreadsheet exports) each end a line,
//!   and line numbers count them all; a UTF-8 byte-order mark before the header is skipped
//!   (spreadsheet programs write one).
//! - A line holds at most [`MAX_LINE_BYTES`] (16 MiB) before its line ending; a longer one is
//!   an error naming the file, the line, the cap and the line's start. The cap keeps memory
//!   within a small multiple of the data a file holds, whatever the file (`/dev/zero` has no
//!   line ending at all), and is far above any row we write: a weights row of 100,000 keys is
//!   about 1.5 MB.
//! - Blank lines (empty or only whitespace) at the end of the file are skipped. A blank line
//!   with data after it is an error: it usually means two files were pasted together or a
//!   file was cut, and silently skipping it would hide that.
//! - A file with no lines, or a header and no rows, is an error.
//!
//! Every error names the file, the file's own 1-based line number and the offending text.
//!
//! # Standard input
//! The path `-` reads standard input (as [`Outputs`] writes standard output for `-`), and
//! errors name it [`STDIN_NAME`], `<stdin>`; a file named `-` is `./-`. Standard input can be
//! read once: a caller that takes several inputs lets at most one of them be `-`
//! ([`is_stdin`]).
//!
//! # Writing
//! [`write_columns`] checks everything first (names, equal lengths, finite values), then
//! writes to a temporary file in the destination's directory, syncs it and renames it over
//! the destination, so a reader never sees half a file and a failed write leaves the old file
//! as it was; the standard streams, devices and pipes are written in place instead (see
//! [`crate::output`], which also stages several files to be written all or none). Numbers are
//! written as the shortest decimal that parses back to the same bits: Rust's `{}` for f32
//! (`0.1`, `3.1000001`, `-0`), or its `{:e}` (`1e-45`, `3.4028235e38`) below 1e-5 and from
//! 1e16 on in magnitude, where `{}` would spell out every zero.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::output::Outputs;

/// What a training file must start with.
const TRAINING_EXPECTED: &str = "the header \"x,y\"";
/// What a query file must start with.
const QUERIES_EXPECTED: &str = "a header with a column \"x\"";
/// Longest text quoted in an error; a runaway line is cut to this many characters.
const MAX_QUOTED_CHARS: usize = 80;

/// The most bytes a line may hold, not counting its line ending: 16 MiB, ten times a row of
/// `nw predict --weights` for 100,000 training examples.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The path that reads standard input.
pub const STDIN_PATH: &str = "-";

/// How errors name standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether `path` is `-`, standard input to the readers.
pub fn is_stdin(path: impl AsRef<Path>) -> bool {
    path.as_ref().as_os_str() == STDIN_PATH
}

/// How the readers name `path` in errors: [`STDIN_NAME`] for `-`, else the path as given.
pub fn input_name(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    if is_stdin(path) {
        STDIN_NAME.to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads a training file (header `x,y`) into a [`Dataset`]; `-` reads standard input.
pub fn read_dataset(path: impl AsRef<Path>) -> Result<Dataset> {
    read_input(path.as_ref(), |reader, name| parse_dataset(reader, name))
}

/// Reads the column `x` of a query file (other columns are ignored); `-` reads standard
/// input.
pub fn read_queries(path: impl AsRef<Path>) -> Result<Vec<f32>> {
    read_input(path.as_ref(), |reader, name| parse_queries(reader, name))
}

/// Reads a training file from `reader`; `name` is the file name used in errors.
pub fn parse_dataset(reader: impl BufRead, name: &str) -> Result<Dataset> {
    let mut columns = read_layout(reader, name, Layout::Training)?.columns;
    let y = columns.pop().unwrap_or_default();
    let x = columns.pop().unwrap_or_default();
    // read_layout checked both columns: equal lengths, finite values.
    Ok(Dataset::from_checked(x, y))
}

/// Reads the column `x` of a query file from `reader`; `name` is the file name used in errors.
pub fn parse_queries(reader: impl BufRead, name: &str) -> Result<Vec<f32>> {
    Ok(read_layout(reader, name, Layout::Queries)?
        .columns
        .pop()
        .unwrap_or_default())
}

/// Reads the named columns of a CSV file, in the order asked for.
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
    Ok(read_layout(reader, name, Layout::Named(names))?.columns)
}

/// Reads every column of a CSV file of numbers (a weight matrix, say) with its name.
///
/// Every field must be a finite number; names must be distinct. `-` reads standard input.
pub fn read_table(path: impl AsRef<Path>) -> Result<Table> {
    read_input(path.as_ref(), |reader, name| parse_table(reader, name))
}

/// [`read_table`] from `reader`; `name` is the file name used in errors.
pub fn parse_table(reader: impl BufRead, name: &str) -> Result<Table> {
    read_layout(reader, name, Layout::All)
}

/// Named columns of f32, all of one length (at least one row).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names, in file order.
    pub names: Vec<String>,
    /// Columns, in the order of `names`.
    pub columns: Vec<Vec<f32>>,
}

/// Writes `data` as a training file (header `x,y`), atomically (see [`write_columns`]).
pub fn write_dataset(path: impl AsRef<Path>, data: &Dataset) -> Result<()> {
    write_columns(path, &["x", "y"], &[data.x(), data.y()])
}

/// Writes named f32 columns of equal length as a CSV file, atomically.
///
/// The columns are checked before anything touches the disk: as many names as columns, at
/// least one column and one row, equal lengths, names that read back as the same header
/// (non-empty, distinct, no comma, quote, line break or surrounding whitespace, not all
/// numbers) and only finite values; a NaN or infinity is an error naming its column and
/// index. Then the text goes to a temporary file beside `path`, which is synced and renamed
/// over `path`; on any failure the temporary file is removed and `path` is untouched.
pub fn write_columns(path: impl AsRef<Path>, names: &[&str], columns: &[&[f32]]) -> Result<()> {
    let mut out = Outputs::new();
    out.stage_columns(path, names, columns)?;
    out.commit().map(|_| ())
}

/// [`write_columns`] for results in which NaN or an infinity marks a value that does not
/// exist (a query the caller chose to leave without an estimate): they are written as `NaN`,
/// `inf` and `-inf`, which spreadsheets and pandas read as such. Our own readers refuse them,
/// as they refuse any non-number in data.
pub fn write_columns_marked(
    path: impl AsRef<Path>,
    names: &[&str],
    columns: &[&[f32]],
) -> Result<()> {
    let mut out = Outputs::new();
    out.stage_columns_marked(path, names, columns)?;
    out.commit().map(|_| ())
}

/// [`write_columns_to`] with the marks of [`write_columns_marked`].
pub fn write_columns_marked_to(
    writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[&[f32]],
) -> Result<()> {
    write_checked_to(writer, name, names, columns, true)
}

/// Writes `bytes` to `path` atomically, for any file format (figures, reports).
///
/// The bytes go to a temporary file beside `path`, which is synced and renamed over `path`:
/// a reader sees the old file or the whole new one, never half of it, and on any failure the
/// temporary file is removed and `path` is left as it was. The error names the path.
/// Standard streams, devices and pipes are written in place (see [`crate::output`]).
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut out = Outputs::new();
    out.stage(path, bytes)?;
    out.commit().map(|_| ())
}

/// A column to write: f32 data, or f64 for numbers that outgrow f32 (summed losses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Column<'a> {
    /// f32 values, written as the shortest text that reads back as the same f32.
    F32(&'a [f32]),
    /// f64 values, written as the shortest text that reads back as the same f64.
    F64(&'a [f64]),
}

impl Column<'_> {
    /// True if the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::F32(c) => c.len(),
            Column::F64(c) => c.len(),
        }
    }

    /// The first non-finite value and its index.
    fn first_non_finite(&self) -> Option<(usize, f64)> {
        match self {
            Column::F32(c) => c
                .iter()
                .position(|v| !v.is_finite())
                .map(|i| (i, f64::from(c[i]))),
            Column::F64(c) => c.iter().position(|v| !v.is_finite()).map(|i| (i, c[i])),
        }
    }

    fn write(&self, w: &mut (impl Write + ?Sized), row: usize) -> io::Result<()> {
        match self {
            Column::F32(c) => write_number(w, c[row]),
            Column::F64(c) => write_number64(w, c[row]),
        }
    }
}

impl<'a> From<&'a [f32]> for Column<'a> {
    fn from(values: &'a [f32]) -> Self {
        Column::F32(values)
    }
}

impl<'a> From<&'a [f64]> for Column<'a> {
    fn from(values: &'a [f64]) -> Self {
        Column::F64(values)
    }
}

impl Outputs {
    /// Stages named columns of f32 or f64 for `path`, with the checks of [`write_columns`].
    pub fn stage_table(
        &mut self,
        path: impl AsRef<Path>,
        names: &[&str],
        columns: &[Column<'_>],
    ) -> Result<()> {
        let path = path.as_ref();
        check_columns(&path.display().to_string(), names, columns, false)?;
        self.stage_with(path, |w| write_body(w, names, columns))
    }

    /// Stages named f32 columns for `path`, with the checks of [`write_columns`].
    pub fn stage_columns(
        &mut self,
        path: impl AsRef<Path>,
        names: &[&str],
        columns: &[&[f32]],
    ) -> Result<()> {
        self.stage_checked(path.as_ref(), names, columns, false)
    }

    /// Stages a row-major matrix for `path` as CSV, row by row straight from `matrix` (no
    /// transposed copy, so memory stays at the matrix itself): a first column `first_name`
    /// holding `first` (one value per row), then one column per matrix column, named
    /// `{prefix}1`, `{prefix}2`, .... Values may carry the marks of [`write_columns_marked`]
    /// (a row of NaN for a query without an estimate).
    pub fn stage_matrix_marked(
        &mut self,
        path: impl AsRef<Path>,
        (first_name, first): (&str, &[f32]),
        prefix: &str,
        matrix: &[f32],
        cols: usize,
    ) -> Result<()> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let bad = |problem: String| DataError::BadColumns {
            file: file.clone(),
            problem,
        };
        if cols == 0 || first.is_empty() {
            return Err(bad(
                "a matrix needs at least one row and one column".to_string()
            ));
        }
        if first.len().checked_mul(cols) != Some(matrix.len()) {
            return Err(bad(format!(
                "{} values do not fill {} rows of {cols}",
                matrix.len(),
                first.len()
            )));
        }
        // The header's names are checked like any columns' (a prefix with a comma would not
        // read back); the first two generated names stand for the rest.
        let sample = [first_name, &format!("{prefix}1")];
        check_columns(
            &file,
            &sample,
            &[Column::F32(&first[..1]), Column::F32(&matrix[..1])],
            true,
        )?;
        self.stage_with(path, |w| {
            write!(w, "{first_name}")?;
            for j in 1..=cols {
                write!(w, ",{prefix}{j}")?;
            }
            w.write_all(b"\n")?;
            for (x, row) in first.iter().zip(matrix.chunks_exact(cols)) {
                write_number(w, *x)?;
                for &v in row {
                    w.write_all(b",")?;
                    write_number(w, v)?;
                }
                w.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    /// Stages named f32 columns for `path` with the marks of [`write_columns_marked`].
    pub fn stage_columns_marked(
        &mut self,
        path: impl AsRef<Path>,
        names: &[&str],
        columns: &[&[f32]],
    ) -> Result<()> {
        self.stage_checked(path.as_ref(), names, columns, true)
    }

    fn stage_checked(
        &mut self,
        path: &Path,
        names: &[&str],
        columns: &[&[f32]],
        marked: bool,
    ) -> Result<()> {
        let columns: Vec<Column<'_>> = columns.iter().map(|&c| c.into()).collect();
        check_columns(&path.display().to_string(), names, &columns, marked)?;
        self.stage_with(path, |w| write_body(w, names, &columns))
    }
}

/// Writes named f32 columns to `writer` with the checks of [`write_columns`] but no temporary
/// file (for standard output, or a buffer); `name` is used in errors.
pub fn write_columns_to(
    writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[&[f32]],
) -> Result<()> {
    write_checked_to(writer, name, names, columns, false)
}

/// The checks, then the text, straight into `writer`.
fn write_checked_to(
    mut writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[&[f32]],
    marked: bool,
) -> Result<()> {
    let columns: Vec<Column<'_>> = columns.iter().map(|&c| c.into()).collect();
    check_columns(name, names, &columns, marked)?;
    write_body(&mut writer, names, &columns)
        .and_then(|()| writer.flush())
        .map_err(|source| DataError::Write {
            path: PathBuf::from(name),
            source,
        })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Which columns a file must have.
#[derive(Clone, Copy)]
enum Layout<'a> {
    /// Exactly `x,y`; both are returned, in that order.
    Training,
    /// A column `x` anywhere; only it is returned.
    Queries,
    /// These columns anywhere, returned in this order; others are ignored.
    Named(&'a [&'a str]),
    /// Every column, each a number.
    All,
}

impl Layout<'_> {
    fn expected(self) -> String {
        match self {
            Layout::Training => TRAINING_EXPECTED.to_string(),
            Layout::Queries => QUERIES_EXPECTED.to_string(),
            Layout::Named(names) => {
                let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
                format!("a header with the columns {}", list.join(", "))
            }
            Layout::All => "a header of column names".to_string(),
        }
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

/// Lines of a file, numbered from 1, without their `\n`, `\r\n` or `\r`, each at most
/// [`MAX_LINE_BYTES`].
struct Lines<'a, R> {
    reader: R,
    file: &'a str,
    line: usize,
    text: String,
    /// The last line ended with `\r`: a `\n` right after it is the rest of that line ending.
    after_cr: bool,
}

impl<'a, R: BufRead> Lines<'a, R> {
    fn new(reader: R, file: &'a str) -> Self {
        Lines {
            reader,
            file,
            line: 0,
            text: String::new(),
            after_cr: false,
        }
    }

    /// Reads the next line into `self.text`; false at the end of the file.
    fn advance(&mut self) -> Result<bool> {
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        bytes.clear();
        // Whether this line has begun: a byte of it, or its line ending, was read.
        let mut begun = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(DataError::Read {
                        file: self.file.to_string(),
                        line: self.line + 1,
                        source,
                    });
                }
            };
            if buf.is_empty() {
                break;
            }
            if std::mem::take(&mut self.after_cr) && buf[0] == b'\n' {
                self.reader.consume(1);
                continue;
            }
            begun = true;
            let end = buf.iter().position(|&b| b == b'\n' || b == b'\r');
            let take = end.unwrap_or(buf.len());
            if bytes.len() + take > MAX_LINE_BYTES {
                // The line's first bytes, enough for the quoted characters (UTF-8 spends at
                // most 4 bytes on one), however the line was split into reads.
                let head = 4 * MAX_QUOTED_CHARS;
                let more = head.saturating_sub(bytes.len()).min(take);
                bytes.extend_from_slice(&buf[..more]);
                let start = String::from_utf8_lossy(&bytes[..bytes.len().min(head)]);
                return Err(DataError::LineTooLong {
                    file: self.file.to_string(),
                    line: self.line + 1,
                    limit: MAX_LINE_BYTES,
                    start: quoted(&start),
                });
            }
            bytes.extend_from_slice(&buf[..take]);
            match end {
                Some(i) => {
                    self.after_cr = buf[i] == b'\r';
                    self.reader.consume(i + 1);
                    break;
                }
                None => {
                    self.reader.consume(take);
                }
            }
        }
        if !begun {
            return Ok(false);
        }
        self.line += 1;
        if self.line == 1 && bytes.starts_with("\u{feff}".as_bytes()) {
            bytes.drain(.."\u{feff}".len());
        }
        self.text = String::from_utf8(bytes).map_err(|e| DataError::NotUtf8 {
            file: self.file.to_string(),
            line: self.line,
            text: quoted(&String::from_utf8_lossy(e.as_bytes())),
        })?;
        Ok(true)
    }

    /// The next non-blank line and its number, or `None` if only blank lines remain. A blank
    /// line followed by a non-blank one is an error naming the blank line.
    fn next_content(&mut self) -> Result<Option<(usize, &str)>> {
        let mut first_blank = None;
        while self.advance()? {
            if self.text.trim().is_empty() {
                first_blank.get_or_insert(self.line);
                continue;
            }
            if let Some(line) = first_blank {
                return Err(DataError::BlankLine {
                    file: self.file.to_string(),
                    line,
                });
            }
            return Ok(Some((self.line, &self.text)));
        }
        Ok(None)
    }
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters for an error message.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Reads the header and rows, returning the wanted columns (`x, y` or `x`).
fn read_layout(reader: impl BufRead, file: &str, layout: Layout<'_>) -> Result<Table> {
    let mut lines = Lines::new(reader, file);
    let (header_line, header) = match lines.next_content()? {
        Some((line, text)) => (line, text.to_string()),
        None => {
            return Err(DataError::Empty {
                file: file.to_string(),
                expected: layout.expected(),
            });
        }
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let wanted = wanted_columns(&names, layout).map_err(|problem| match problem {
        HeaderProblem::Missing => DataError::NoHeader {
            file: file.to_string(),
            line: header_line,
            text: quoted(&header),
            expected: layout.expected(),
        },
        HeaderProblem::Bad(problem) => DataError::BadHeader {
            file: file.to_string(),
            line: header_line,
            text: quoted(&header),
            problem,
            expected: layout.expected(),
        },
    })?;

    let mut columns: Vec<Vec<f32>> = vec![Vec::new(); wanted.len()];
    // slot[i]: where column i goes among the wanted ones, so a row's fields are picked in one
    // pass without a list of all of them (a row may hold millions of ignored fields).
    let mut slot: Vec<Option<usize>> = vec![None; names.len()];
    for (k, &i) in wanted.iter().enumerate() {
        slot[i] = Some(k);
    }
    while let Some((line, text)) = lines.next_content()? {
        let got = text.bytes().filter(|&b| b == b',').count() + 1;
        if got != names.len() {
            let (file, text) = (file.to_string(), quoted(text));
            let expected = names.len();
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
        let mut picked = vec![""; wanted.len()];
        for (field, k) in text.split(',').zip(&slot) {
            if let Some(k) = *k {
                picked[k] = field;
            }
        }
        for ((column, &index), field) in columns.iter_mut().zip(&wanted).zip(&picked) {
            column.push(parse_number(field, file, line, names[index])?);
        }
    }
    if columns.first().is_none_or(Vec::is_empty) {
        return Err(DataError::NoRows {
            file: file.to_string(),
            line: header_line,
            text: quoted(&header),
        });
    }
    let names = wanted.iter().map(|&i| names[i].to_string()).collect();
    Ok(Table { names, columns })
}

/// Why a header was refused.
enum HeaderProblem {
    /// The line holds only numbers: it is data, and the header is missing.
    Missing,
    /// A header, but not the right one.
    Bad(String),
}

/// Indices of the wanted columns in the header: `[x, y]` for training, `[x]` for queries.
fn wanted_columns(
    names: &[&str],
    layout: Layout<'_>,
) -> std::result::Result<Vec<usize>, HeaderProblem> {
    if names.iter().all(|n| n.parse::<f32>().is_ok()) {
        return Err(HeaderProblem::Missing);
    }
    let allowed: &[&str] = match layout {
        Layout::Training => &["x", "y"],
        Layout::Queries => &["x"],
        Layout::Named(wanted) => wanted,
        Layout::All => names,
    };
    // Where each name the layout takes stands, in one pass: a header may hold millions of
    // columns, and comparing each with every one before it would take hours.
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for (i, &name) in names.iter().enumerate() {
        let taken = matches!(layout, Layout::All) || allowed.contains(&name);
        if taken && positions.insert(name, i).is_some() {
            return Err(HeaderProblem::Bad(format!("column {name:?} appears twice")));
        }
        if matches!(layout, Layout::Training) && !taken {
            return Err(HeaderProblem::Bad(format!("unexpected column {name:?}")));
        }
    }
    let mut wanted = Vec::with_capacity(allowed.len());
    for want in allowed {
        match positions.get(want) {
            Some(&i) => wanted.push(i),
            None => return Err(HeaderProblem::Bad(format!("no column {want:?}"))),
        }
    }
    if matches!(layout, Layout::Training) && !wanted.is_sorted() {
        return Err(HeaderProblem::Bad("columns are out of order".to_string()));
    }
    Ok(wanted)
}

/// One field as a finite f32.
fn parse_number(field: &str, file: &str, line: usize, column: &str) -> Result<f32> {
    let text = field.trim();
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(DataError::NonFinite {
            file: file.to_string(),
            line,
            text: quoted(text),
            column: column.to_string(),
        }),
        Err(_) => Err(DataError::NotANumber {
            file: file.to_string(),
            line,
            text: quoted(text),
            column: column.to_string(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Everything [`write_columns`] promises to check before it writes.
fn check_columns(file: &str, names: &[&str], columns: &[Column<'_>], marked: bool) -> Result<()> {
    let bad = |problem: String| DataError::BadColumns {
        file: file.to_string(),
        problem,
    };
    if names.len() != columns.len() {
        return Err(bad(format!(
            "{} column names for {} columns",
            names.len(),
            columns.len()
        )));
    }
    let (Some(first_name), Some(first)) = (names.first(), columns.first()) else {
        return Err(bad("no columns".to_string()));
    };
    if first.is_empty() {
        // Our readers refuse a header without rows, so we do not write one.
        return Err(bad(format!("column {first_name:?} has no values")));
    }
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() || name.trim() != *name || name.contains([',', '"', '\n', '\r']) {
            return Err(bad(format!(
                "column name {name:?} would not read back (empty, surrounding whitespace, comma, quote or line break)"
            )));
        }
        if names[..i].contains(name) {
            return Err(bad(format!("column name {name:?} appears twice")));
        }
    }
    if names.iter().all(|n| n.parse::<f32>().is_ok()) {
        return Err(bad(format!(
            "header {:?} holds only numbers and would read as a missing header",
            names.join(",")
        )));
    }
    for (name, column) in names.iter().zip(columns) {
        if column.len() != first.len() {
            return Err(bad(format!(
                "column {name:?} has {} values but column {first_name:?} has {}",
                column.len(),
                first.len()
            )));
        }
    }
    for (name, column) in names.iter().zip(columns) {
        if marked {
            break;
        }
        if let Some((index, value)) = column.first_non_finite() {
            return Err(DataError::WriteNonFinite {
                file: file.to_string(),
                column: name.to_string(),
                index,
                line: index + 2,
                value,
            });
        }
    }
    Ok(())
}

/// The header and rows, checked already.
fn write_body(
    w: &mut (impl Write + ?Sized),
    names: &[&str],
    columns: &[Column<'_>],
) -> io::Result<()> {
    writeln!(w, "{}", names.join(","))?;
    let rows = columns.first().map_or(0, |c| c.len());
    for row in 0..rows {
        for (j, column) in columns.iter().enumerate() {
            if j > 0 {
                w.write_all(b",")?;
            }
            column.write(w, row)?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// One value as the shortest decimal that parses back to the same bits (`NaN`, `inf` and
/// `-inf` for the marks [`write_columns_marked`] allows).
fn write_number(w: &mut (impl Write + ?Sized), v: f32) -> io::Result<()> {
    if v.is_nan() {
        return w.write_all(b"NaN");
    }
    // Both `{}` and `{:e}` print the fewest digits that round-trip; `{}` never uses an
    // exponent, so f32::MAX would take 39 characters and the smallest subnormal 47.
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(w, "{v}")
    } else {
        write!(w, "{v:e}")
    }
}

/// [`write_number`] for an f64 (finite: checked before).
fn write_number64(w: &mut (impl Write + ?Sized), v: f64) -> io::Result<()> {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(w, "{v}")
    } else {
        write!(w, "{v:e}")
    }
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
