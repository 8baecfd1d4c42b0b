//! The bytes of a file as the CSV tokenizer sees them: every line ending made one `\n`, the
//! last line ended, and no line longer than [`MAX_LINE_BYTES`].
//!
//! The `csv` crate already takes `\r\n`, `\n` and `\r` as record ends, but it counts lines by
//! `\n` only, so in a file with `\r` endings (old Mac OS, some spreadsheet exports) every
//! error would say line 1. Normalizing here keeps line numbers true for every ending, and the
//! final `\n` makes "the line a record ends on" the same for the last record as for the
//! others (see `Rows::next` in the parent module).

use std::io::{self, BufRead, ErrorKind, Read};

/// The most bytes a line may hold, not counting its line ending: 16 MiB, ten times a row of
/// `nw predict --weights` for 100,000 training examples.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// How many of a runaway line's first bytes are kept for its error message (UTF-8 spends at
/// most 4 bytes on a character, and the message quotes 80).
const KEPT_BYTES: usize = 320;

/// A line went past [`MAX_LINE_BYTES`]: the payload of the `io::Error` [`Normalized`] returns,
/// so the reader can tell it from a failing disk.
#[derive(Debug)]
pub(crate) struct TooLong {
    /// The line's 1-based number.
    pub line: usize,
    /// Its first bytes.
    pub start: Vec<u8>,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} is longer than {MAX_LINE_BYTES} bytes",
            self.line
        )
    }
}

impl std::error::Error for TooLong {}

/// A reader whose line endings are all `\n` and whose last line is ended.
pub(crate) struct Normalized<R> {
    inner: R,
    /// The last byte read was `\r`: a `\n` right after it is the rest of that line ending.
    after_cr: bool,
    /// Bytes of the current line so far.
    line_bytes: usize,
    /// Lines ended so far.
    lines: usize,
    /// The current line's first bytes, for the error if it runs away.
    start: Vec<u8>,
    /// Whether the last byte given out was `\n` (true before anything was read: an empty
    /// file gets no line ending).
    ended: bool,
    /// The end of the input was reached.
    done: bool,
}

impl<R: BufRead> Normalized<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Normalized {
            inner,
            after_cr: false,
            line_bytes: 0,
            lines: 0,
            start: Vec::new(),
            ended: true,
            done: false,
        }
    }

    /// Counts bytes given out (line endings already `\n`) into the lines, refusing a line
    /// over the cap. Lines that start and end inside `bytes` are no longer than the buffer the
    /// tokenizer reads into, far below the cap, so only the first and last need counting.
    fn account(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(last) = memchr::memrchr(b'\n', bytes) else {
            return self.extend_line(bytes);
        };
        let first = memchr::memchr(b'\n', bytes).unwrap_or(last);
        self.extend_line(&bytes[..first])?;
        self.lines += memchr::memchr_iter(b'\n', bytes).count();
        self.line_bytes = 0;
        self.start.clear();
        self.extend_line(&bytes[last + 1..])
    }

    /// Counts `bytes` (no line ending among them) into the current line.
    fn extend_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.start.len() < KEPT_BYTES {
            let more = (KEPT_BYTES - self.start.len()).min(bytes.len());
            self.start.extend_from_slice(&bytes[..more]);
        }
        self.line_bytes += bytes.len();
        if self.line_bytes > MAX_LINE_BYTES {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                TooLong {
                    line: self.lines + 1,
                    start: std::mem::take(&mut self.start),
                },
            ));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Normalized<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.done {
            return Ok(0);
        }
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                // The end: end the last line if it was not.
                self.done = true;
                if !self.ended {
                    out[0] = b'\n';
                    self.ended = true;
                    self.lines += 1;
                    return Ok(1);
                }
                return Ok(0);
            }
            // Copy segment by segment between `\r`s, each `\r` given out as `\n` and a `\n`
            // right after it dropped; `written <= read` always, so `out` never overflows.
            let chunk = &buf[..buf.len().min(out.len())];
            let (mut read, mut written) = (0, 0);
            while read < chunk.len() {
                if std::mem::take(&mut self.after_cr) && chunk[read] == b'\n' {
                    read += 1;
                    continue;
                }
                let rest = &chunk[read..];
                let (len, cr) = match memchr::memchr(b'\r', rest) {
                    Some(i) => (i, true),
                    None => (rest.len(), false),
                };
                out[written..written + len].copy_from_slice(&rest[..len]);
                written += len;
                read += len;
                if cr {
                    out[written] = b'\n';
                    written += 1;
                    read += 1;
                    self.after_cr = true;
                }
            }
            self.inner.consume(read);
            if written == 0 {
                // Only the `\n` of a `\r\n` split between two reads.
                continue;
            }
            self.account(&out[..written])?;
            self.ended = out[written - 1] == b'\n';
            return Ok(written);
        }
    }
}
