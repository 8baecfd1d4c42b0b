//! The one error type of `nw-data`: every message names the file, the line and the offending
//! text (or, for in-memory data, the column and index), so a user can go straight to the fix.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// What can go wrong building, reading or writing a data set.
///
/// Reading errors carry `file` (the display name given to the reader, for files the path as
/// given) and `line`, the file's own 1-based line number with the header on line 1. Quoted
/// text is shown with Rust's string escapes, so a stray `\r` or tab is visible.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The path as given.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Reading failed part way through the file.
    #[error("{file}:{line}: read failed: {source}")]
    Read {
        /// The file's display name.
        file: String,
        /// The line being read.
        line: usize,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A line that is not UTF-8 text.
    #[error("{file}:{line}: line is not valid utf-8: {text:?}")]
    NotUtf8 {
        /// The file's display name.
        file: String,
        /// The offending line.
        line: usize,
        /// The line with invalid bytes replaced by U+FFFD.
        text: String,
    },
    /// A line longer than [`MAX_LINE_BYTES`](crate::read::MAX_LINE_BYTES): reading on would
    /// let one line (or a device such as `/dev/zero`, which has none) take all memory.
    #[error(
        "{file}:{line}: line is longer than {limit} bytes, the most a line may hold; it starts {start:?}"
    )]
    LineTooLong {
        /// The file's display name.
        file: String,
        /// The line.
        line: usize,
        /// The cap, in bytes.
        limit: usize,
        /// The line's first characters (invalid UTF-8 replaced by U+FFFD).
        start: String,
    },
    /// The file holds nothing but (possibly) blank lines.
    #[error("{file}:1: file is empty, expected {expected}")]
    Empty {
        /// The file's display name.
        file: String,
        /// What the reader wanted, e.g. `a header with the columns "x", "y"`.
        expected: String,
    },
    /// A blank line followed by more data (only trailing blank lines are skipped).
    #[error("{file}:{line}: blank line before more data (only trailing blank lines are allowed)")]
    BlankLine {
        /// The file's display name.
        file: String,
        /// The first blank line of the run.
        line: usize,
    },
    /// The first line holds numbers, not column names.
    #[error("{file}:{line}: header is missing: found {text:?}, expected {expected}")]
    NoHeader {
        /// The file's display name.
        file: String,
        /// The first non-blank line (always 1: leading blank lines are an error of their own).
        line: usize,
        /// The line found.
        text: String,
        /// What the reader wanted, e.g. `a header with the columns "x", "y"`.
        expected: String,
    },
    /// A header without a required column, with a column it does not allow, or with a
    /// repeated column.
    #[error("{file}:{line}: bad header {text:?}: {problem}, expected {expected}")]
    BadHeader {
        /// The file's display name.
        file: String,
        /// The header's line.
        line: usize,
        /// The header found.
        text: String,
        /// What is wrong, e.g. `unexpected column "z"`.
        problem: String,
        /// What the reader wanted, e.g. `a header with the columns "x", "y"`.
        expected: String,
    },
    /// A header and nothing after it.
    #[error("{file}:{line}: no data rows after the header {text:?}")]
    NoRows {
        /// The file's display name.
        file: String,
        /// The header's line.
        line: usize,
        /// The header.
        text: String,
    },
    /// A row with fewer fields than the header.
    #[error(
        "{file}:{line}: missing column: row {text:?} has {got} field(s) but the header has {expected}"
    )]
    MissingFields {
        /// The file's display name.
        file: String,
        /// The row's line.
        line: usize,
        /// The row.
        text: String,
        /// Fields in the row.
        got: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A row with more fields than the header.
    #[error(
        "{file}:{line}: extra column: row {text:?} has {got} field(s) but the header has {expected}"
    )]
    ExtraFields {
        /// The file's display name.
        file: String,
        /// The row's line.
        line: usize,
        /// The row.
        text: String,
        /// Fields in the row.
        got: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A field that does not parse as a number.
    #[error("{file}:{line}: {text:?} is not a number (column {column:?})")]
    NotANumber {
        /// The file's display name.
        file: String,
        /// The row's line.
        line: usize,
        /// The field, trimmed.
        text: String,
        /// The column's name.
        column: String,
    },
    /// A field that parses to an infinity or a number beyond f32's range (`1e39`, or a
    /// coordinate below 1.2e-38 such as `1e-300`), where the kernels compute.
    #[error(
        "{file}:{line}: {text:?} is infinite or beyond f32's range (1.2e-38 to 3.4e38 in size, or 0), where the kernels compute (column {column:?})"
    )]
    NonFinite {
        /// The file's display name.
        file: String,
        /// The row's line.
        line: usize,
        /// The field, trimmed.
        text: String,
        /// The column's name.
        column: String,
    },
    /// A missing value (an empty field, `NA`, `NaN`, ...) in a chosen column.
    #[error("{file}:{line}: missing value {text:?} in column {column:?}")]
    Missing {
        /// The file's display name.
        file: String,
        /// The row's line.
        line: usize,
        /// The field, trimmed.
        text: String,
        /// The column's name.
        column: String,
    },
    /// A quote opened in a field and never closed: the rest of the file would be one field.
    #[error(
        "{file}:{line}: a quoted field starts on this line and is never closed: the rest of the file would be one field"
    )]
    UnterminatedQuote {
        /// The file's display name.
        file: String,
        /// The line of the record the quote opens in.
        line: usize,
    },
    /// Two chosen columns are one (`--x 2 --y y` where column 2 is `y`).
    #[error("{file}: {first} and {second} are the same column ({name:?}, column {position})")]
    SameColumn {
        /// The file's display name.
        file: String,
        /// The first choice, as given.
        first: String,
        /// The second choice, as given.
        second: String,
        /// The column's name.
        name: String,
        /// Its 1-based position.
        position: usize,
    },
    /// A decimal comma in a file whose fields are separated by commas: nothing tells them
    /// apart.
    #[error(
        "{file}: numbers with a decimal comma need another delimiter than `,` (a spreadsheet that writes `1,5` puts `;` between fields)"
    )]
    DecimalCommaDelimiter {
        /// The file's display name.
        file: String,
    },
    /// Every row had a missing value and was dropped.
    #[error("{file}: all {rows} rows had a missing value in a chosen column; nothing is left")]
    AllDropped {
        /// The file's display name.
        file: String,
        /// Rows dropped.
        rows: usize,
    },
    /// A chosen column the header does not have.
    #[error("{file}:{line}: no column {column} (the columns are {columns}){hint}")]
    NoColumn {
        /// The file's display name.
        file: String,
        /// The header's line.
        line: usize,
        /// The column asked for: a quoted name or `column N`.
        column: String,
        /// The header's names, listed.
        columns: String,
        /// The closest name, or how many columns there are, as a phrase to append.
        hint: String,
    },
    /// Column names and columns that cannot be written as a CSV file.
    #[error("{file}: cannot write columns: {problem}")]
    BadColumns {
        /// The destination's display name.
        file: String,
        /// What is wrong, e.g. `column "y" has 49 values but column "x" has 50`.
        problem: String,
    },
    /// A NaN or infinity in a column to be written (we never print one as if it were a result).
    #[error(
        "{file}: refusing to write {value} in column {column:?} at index {index} (would be line {line})"
    )]
    WriteNonFinite {
        /// The destination's display name.
        file: String,
        /// The column's name.
        column: String,
        /// The value's 0-based index in its column.
        index: usize,
        /// The line it would have had in the file (`index + 2`).
        line: usize,
        /// The value.
        value: f64,
    },
    /// Creating, writing or renaming the file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The destination (or the temporary file when that is what failed).
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A destination staged twice in one [`Outputs`](crate::Outputs): one file, two outputs.
    #[error(
        "{} and {} are the same file; each output needs its own file",
        first.display(),
        path.display()
    )]
    SameOutput {
        /// The path staged first.
        first: PathBuf,
        /// The path staged again, as given.
        path: PathBuf,
    },
    /// Two outputs of one command that are one file (see
    /// [`check_targets`](crate::output::check_targets)).
    #[error(
        "{} and {} are the same file{alias}; each output needs its own file",
        argument(first, first_path),
        argument(second, second_path)
    )]
    SameFile {
        /// The first output's argument, as typed (`--out`).
        first: String,
        /// Its path, as given.
        first_path: PathBuf,
        /// The second output's argument.
        second: String,
        /// Its path, as given.
        second_path: PathBuf,
        /// How the two paths reach one file.
        alias: Alias,
    },
    /// An output that would replace one of the command's inputs.
    #[error(
        "{} is the input {}{alias}; refusing to overwrite an input",
        argument(output, output_path),
        argument(input, input_path)
    )]
    OutputIsInput {
        /// The output's argument, as typed (`--weights`).
        output: String,
        /// Its path, as given.
        output_path: PathBuf,
        /// The input's argument (`--train`).
        input: String,
        /// Its path, as given.
        input_path: PathBuf,
        /// How the output's path reaches the input.
        alias: Alias,
    },
    /// The temporary file beside a destination could not be created for lack of permission.
    #[error(
        "cannot write {}: the directory {} must be writable, because the file is replaced \
         atomically (written beside it, then renamed over it): {source}",
        path.display(),
        dir.display()
    )]
    DirNotWritable {
        /// The destination, as given.
        path: PathBuf,
        /// Its folder, resolved.
        dir: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A commit failed and putting a destination back failed too.
    #[error(
        "{error}; and {} could not be put back as it was: {source}{}",
        target.display(),
        backup.as_ref().map_or(String::new(), |b| format!(" (its old content is in {})", b.display()))
    )]
    NotRestored {
        /// Why the commit failed.
        error: Box<DataError>,
        /// The destination left with the new content (or without the old).
        target: PathBuf,
        /// Where its old content is kept, if it had any.
        backup: Option<PathBuf>,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The process is stopping: [`abandon`](crate::output::abandon) was called, every staged
    /// file was removed and every destination left as it was.
    #[error("interrupted: no output was written")]
    Interrupted,
    /// Inputs and targets of different lengths.
    #[error("data set needs as many targets as inputs: x has {x_len} values, y has {y_len}")]
    LengthMismatch {
        /// Inputs.
        x_len: usize,
        /// Targets.
        y_len: usize,
    },
    /// A NaN or infinity handed to [`Dataset::new`](crate::Dataset::new).
    #[error("data set values must be finite: {column}[{index}] is {value}")]
    NotFinite {
        /// `"x"` or `"y"`.
        column: &'static str,
        /// The value's index.
        index: usize,
        /// The value.
        value: f32,
    },
    /// More values than memory can hold.
    #[error("{what}: {len} values do not fit in memory")]
    TooLarge {
        /// What was asked for, e.g. `"synthetic training set"`.
        what: &'static str,
        /// How many values.
        len: usize,
    },
    /// Grid bounds or step that do not describe a finite grid.
    #[error("{op}: {problem}")]
    BadGrid {
        /// The function, e.g. `"arange"`.
        op: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// How a second path reaches a file named already, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alias {
    /// Another spelling of the same folder entry (`./w.csv` and `w.csv`).
    Spelling,
    /// A symbolic link: the last name leads to the file through a link.
    SymbolicLink,
    /// A hard link: another name for the same file.
    HardLink,
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alias::Spelling => "",
            Alias::SymbolicLink => " (through a link)",
            Alias::HardLink => " (through a hard link)",
        })
    }
}

/// An argument with its path (`--out w.csv`); a name that is not an option, such as
/// `standard output`, alone.
fn argument(name: &str, path: &Path) -> String {
    if name.starts_with('-') {
        format!("{name} {}", path.display())
    } else {
        name.to_string()
    }
}

/// `Result` with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;
