//! The header line: which delimiter a file uses, and where the chosen columns are.

use std::fmt;
use std::str::FromStr;

/// The delimiters [`detect_delimiter`] chooses from, the most likely first.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// A column of a CSV file: by its header name, or by its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ColumnRef {
    /// The column whose header is this name (after trimming surrounding whitespace).
    Name(String),
    /// The n-th column, counting from 1.
    Position(usize),
}

impl ColumnRef {
    /// A column by name.
    pub fn name(name: &str) -> Self {
        ColumnRef::Name(name.to_string())
    }
}

impl FromStr for ColumnRef {
    type Err = String;

    /// A number (`3`) is a position, anything else a name; a header name that looks like a
    /// number still matches a header name first when the file is read.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("a column name or number must not be empty".to_string());
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<usize>() {
                Ok(0) => Err("column numbers count from 1".to_string()),
                Ok(n) => Ok(ColumnRef::Position(n)),
                Err(_) => Err(format!("column number {text} is too large")),
            };
        }
        Ok(ColumnRef::Name(text.to_string()))
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Name(name) => write!(f, "{name:?}"),
            ColumnRef::Position(n) => write!(f, "column {n}"),
        }
    }
}

/// The delimiter of a file from its header line: the most frequent of `,`, `;` and tab
/// outside quotes, `,` on a tie or when there is none (a file of one column).
///
/// Only the header is looked at: its names hold no decimal commas, where a data row of a
/// European file (`1,5;2,5`) would count more commas than semicolons.
pub fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(k) = DELIMITERS.iter().position(|&d| d == b) {
            counts[k] += 1;
        }
    }
    let mut best = 0;
    for k in 1..DELIMITERS.len() {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    DELIMITERS[best]
}

/// Why a column could not be found.
#[derive(Debug, PartialEq)]
pub(crate) enum Lookup {
    /// No column by that name; the closest name, if one is close.
    NoName(Option<String>),
    /// A position past the last column.
    NoPosition,
    /// The name is the header of two columns (1-based positions).
    Twice(usize, usize),
}

/// The column names of a header, trimmed.
pub(crate) struct Header {
    /// Names in file order.
    pub names: Vec<String>,
}

impl Header {
    /// Where `column` stands (0-based). A position `n` is first looked up as the name `n`,
    /// so in a header `2,y,z` the column typed `2` is the first.
    pub(crate) fn find(&self, column: &ColumnRef) -> Result<usize, Lookup> {
        match column {
            ColumnRef::Name(name) => {
                let mut hits = self.names.iter().enumerate().filter(|(_, n)| *n == name);
                match (hits.next(), hits.next()) {
                    (Some((i, _)), None) => Ok(i),
                    (Some((i, _)), Some((j, _))) => Err(Lookup::Twice(i + 1, j + 1)),
                    (None, _) => Err(Lookup::NoName(self.closest(name))),
                }
            }
            // A header may name a column `2`: typed `2`, that column is meant.
            ColumnRef::Position(n) => match self.find(&ColumnRef::Name(n.to_string())) {
                Ok(i) => Ok(i),
                Err(Lookup::Twice(a, b)) => Err(Lookup::Twice(a, b)),
                Err(_) if (1..=self.names.len()).contains(n) => Ok(n - 1),
                Err(_) => Err(Lookup::NoPosition),
            },
        }
    }

    /// The name closest to `name`: the same but for case, or else the fewest edits away,
    /// if that is at most a third of the name's length (a typo, not another word: `y` is
    /// not a typo of `x`).
    fn closest(&self, name: &str) -> Option<String> {
        if let Some(same) = self.names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            return Some(same.clone());
        }
        let lower = name.to_lowercase();
        let (best, distance) = self
            .names
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| (n, edit_distance(&lower, &n.to_lowercase())))
            .min_by_key(|&(_, d)| d)?;
        (distance * 3 <= name.chars().count()).then(|| best.clone())
    }

    /// The names as a list for a message: `"", "x", "y"`, shortened past 20.
    pub(crate) fn listing(&self) -> String {
        let shown: Vec<String> = self
            .names
            .iter()
            .take(20)
            .map(|n| format!("{n:?}"))
            .collect();
        let more = self.names.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    }
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Header {
        Header {
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn the_delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(detect_delimiter(b"x,y"), b',');
        assert_eq!(detect_delimiter(b"datum;temp;ort"), b';');
        assert_eq!(detect_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter(b"\"a,b\";c"), b';');
        assert_eq!(detect_delimiter(b"x"), b',');
        assert_eq!(detect_delimiter(b"a;b,c"), b',');
    }

    #[test]
    fn columns_are_found_by_name_or_position() {
        let h = header(&["", "speed", "dist", "2"]);
        assert_eq!(h.find(&ColumnRef::name("dist")), Ok(2));
        assert_eq!(h.find(&ColumnRef::name("2")), Ok(3));
        // A header name that is a number is what that number means.
        assert_eq!(h.find(&ColumnRef::Position(2)), Ok(3));
        assert_eq!(header(&["a", "b"]).find(&ColumnRef::Position(2)), Ok(1));
        assert_eq!(h.find(&ColumnRef::Position(5)), Err(Lookup::NoPosition));
        assert_eq!(
            h.find(&ColumnRef::name("sped")),
            Err(Lookup::NoName(Some("speed".into())))
        );
        assert_eq!(
            h.find(&ColumnRef::name("DIST")),
            Err(Lookup::NoName(Some("dist".into())))
        );
        assert_eq!(
            h.find(&ColumnRef::name("weight")),
            Err(Lookup::NoName(None))
        );
        assert_eq!(
            header(&["x", "y", "x"]).find(&ColumnRef::name("x")),
            Err(Lookup::Twice(1, 3))
        );
    }

    #[test]
    fn column_refs_parse_numbers_as_positions() {
        assert_eq!("3".parse(), Ok(ColumnRef::Position(3)));
        assert_eq!(" lstat ".parse(), Ok(ColumnRef::name("lstat")));
        assert_eq!("x1".parse(), Ok(ColumnRef::name("x1")));
        assert!("0".parse::<ColumnRef>().is_err());
        assert!("".parse::<ColumnRef>().is_err());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
