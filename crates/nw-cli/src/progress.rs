//! A progress bar on stderr for long work, drawn only when stderr is a terminal so that
//! logs and pipes stay clean.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redraws at most this often: a bar that redraws every step would cost more than the step.
const REDRAW: Duration = Duration::from_millis(100);
/// Work shorter than this never shows a bar.
const QUIET_FOR: Duration = Duration::from_millis(500);

/// A counter of done steps out of a total, drawn as `label [=====>    ] 3/10`.
pub struct Progress {
    label: &'static str,
    total: u64,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` steps of `label`; silent unless stderr is a terminal.
    pub fn new(label: &'static str, total: u64) -> Self {
        Progress {
            label,
            total,
            start: Instant::now(),
            last: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Records that `done` steps are finished.
    pub fn set(&mut self, done: u64) {
        if !self.enabled || self.start.elapsed() < QUIET_FOR {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now - t < REDRAW) && done < self.total {
            return;
        }
        self.last = Some(now);
        let width = 30;
        let filled = (done * width / self.total.max(1)) as usize;
        let bar: String = (0..width as usize)
            .map(|i| match i.cmp(&filled) {
                std::cmp::Ordering::Less => '=',
                std::cmp::Ordering::Equal => '>',
                std::cmp::Ordering::Greater => ' ',
            })
            .collect();
        let mut err = std::io::stderr().lock();
        // A progress line is best effort: a closed stderr must not fail the command.
        let _ = write!(err, "\r{} [{bar}] {done}/{}", self.label, self.total);
        let _ = err.flush();
    }

    /// Clears the bar, if one was drawn.
    pub fn finish(self) {
        // Dropping clears it.
    }
}

impl Drop for Progress {
    /// Clears the bar, also when the work fails half way and the error is about to print.
    fn drop(&mut self) {
        if self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
