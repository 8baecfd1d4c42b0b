//! Writing CSV files of named columns atomically ([`write_columns`]), the same atomic replace
//! for any bytes ([`write_atomic`]), and how readers name standard input (reading itself is
//! in [`crate::read`]).
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

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::output::Outputs;

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
        self.stage_checked(path.as_ref(), names, columns, false)
    }

    /// [`Outputs::stage_table`] with the marks of [`write_columns_marked`].
    pub fn stage_table_marked(
        &mut self,
        path: impl AsRef<Path>,
        names: &[&str],
        columns: &[Column<'_>],
    ) -> Result<()> {
        self.stage_checked(path.as_ref(), names, columns, true)
    }

    /// Stages named f32 columns for `path`, with the checks of [`write_columns`].
    pub fn stage_columns(
        &mut self,
        path: impl AsRef<Path>,
        names: &[&str],
        columns: &[&[f32]],
    ) -> Result<()> {
        let columns: Vec<Column<'_>> = columns.iter().map(|&c| c.into()).collect();
        self.stage_checked(path.as_ref(), names, &columns, false)
    }

    /// Stages a row-major matrix for `path` as CSV, row by row straight from `matrix` (no
    /// transposed copy, so memory stays at the matrix itself): a first column `first_name`
    /// holding `first` (one f64 value per row: the queries as given), then one column per
    /// matrix column, named
    /// `{prefix}1`, `{prefix}2`, .... Values may carry the marks of [`write_columns_marked`]
    /// (a row of NaN for a query without an estimate).
    pub fn stage_matrix_marked(
        &mut self,
        path: impl AsRef<Path>,
        (first_name, first): (&str, &[f64]),
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
            &[Column::F64(&first[..1]), Column::F32(&matrix[..1])],
            true,
        )?;
        self.stage_with(path, |w| {
            write!(w, "{first_name}")?;
            for j in 1..=cols {
                write!(w, ",{prefix}{j}")?;
            }
            w.write_all(b"\n")?;
            for (x, row) in first.iter().zip(matrix.chunks_exact(cols)) {
                write_number64(w, *x)?;
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
        let columns: Vec<Column<'_>> = columns.iter().map(|&c| c.into()).collect();
        self.stage_checked(path.as_ref(), names, &columns, true)
    }

    /// The checks of [`write_columns`] (with or without the marks), then the staged text.
    fn stage_checked(
        &mut self,
        path: &Path,
        names: &[&str],
        columns: &[Column<'_>],
        marked: bool,
    ) -> Result<()> {
        check_columns(&path.display().to_string(), names, columns, marked)?;
        self.stage_with(path, |w| write_body(w, names, columns))
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

/// Writes named f32 or f64 columns to `writer` with the marks of [`write_columns_marked`] and
/// no temporary file; `name` is used in errors.
pub fn write_table_marked_to(
    writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[Column<'_>],
) -> Result<()> {
    write_table_to(writer, name, names, columns, true)
}

/// The checks, then the text, straight into `writer`.
fn write_checked_to(
    writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[&[f32]],
    marked: bool,
) -> Result<()> {
    let columns: Vec<Column<'_>> = columns.iter().map(|&c| c.into()).collect();
    write_table_to(writer, name, names, &columns, marked)
}

/// [`write_checked_to`] for columns of either type.
fn write_table_to(
    mut writer: impl Write,
    name: &str,
    names: &[&str],
    columns: &[Column<'_>],
    marked: bool,
) -> Result<()> {
    check_columns(name, names, columns, marked)?;
    write_body(&mut writer, names, columns)
        .and_then(|()| writer.flush())
        .map_err(|source| DataError::Write {
            path: PathBuf::from(name),
            source,
        })
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

/// [`write_number`] for an f64 (`NaN`, `inf` and `-inf` for the marks, as there).
fn write_number64(w: &mut (impl Write + ?Sized), v: f64) -> io::Result<()> {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(w, "{v}")
    } else {
        write!(w, "{v:e}")
    }
}
