//! A live status line on stderr for long work, drawn only when stderr is a terminal (so logs
//! and pipes stay clean) and `--quiet` was not given.
//!
//! A ticker thread redraws it a few times a second with the elapsed time, so a single step
//! that takes minutes (one cross-validation pass over a million examples, say) still shows
//! that the work goes on; the work itself only records how far it got.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Redraws this often.
const REDRAW: Duration = Duration::from_millis(200);
/// Work shorter than this never shows a line.
const QUIET_FOR: Duration = Duration::from_millis(500);

/// Set once by `main` from `--quiet`.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Lines alive now: a line started inside another's work (a CV search inside a prediction)
/// draws, and the outer one waits, so two tickers never fight over one terminal line.
static DEPTH: AtomicUsize = AtomicUsize::new(0);

/// Silences progress lines (and the other chatter that `--quiet` silences).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// What the line shows.
struct State {
    label: &'static str,
    done: u64,
    total: Option<u64>,
    detail: String,
    start: Instant,
    drawn: bool,
    stop: bool,
    /// How many lines were alive when this one started.
    depth: usize,
}

impl State {
    fn draw(&mut self) {
        let elapsed = self.start.elapsed().as_secs();
        let count = match self.total {
            Some(total) => {
                let width = 30;
                let filled = (self.done.min(total) * width / total.max(1)) as usize;
                let bar: String = (0..width as usize)
                    .map(|i| match i.cmp(&filled) {
                        std::cmp::Ordering::Less => '=',
                        std::cmp::Ordering::Equal => '>',
                        std::cmp::Ordering::Greater => ' ',
                    })
                    .collect();
                format!(" [{bar}] {}/{total}", self.done)
            }
            // A single long step: the elapsed time is the progress.
            None if self.done == 0 => String::new(),
            None => format!(" {}", self.done),
        };
        let mut err = std::io::stderr().lock();
        // A progress line is best effort: a closed stderr must not fail the command.
        let _ = write!(
            err,
            "\r\x1b[2K{}{count}{}{} ({}:{:02})",
            self.label,
            if self.detail.is_empty() { "" } else { ", " },
            self.detail,
            elapsed / 60,
            elapsed % 60
        );
        let _ = err.flush();
        self.drawn = true;
    }
}

/// A status line: `label [=====>    ] 3/10, detail (0:42)`, or without a total
/// `label 37, detail (1:05)`.
pub struct Progress {
    state: Option<Arc<(Mutex<State>, Condvar)>>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// A line for `total` steps of `label` (`None`: a count without an end).
    pub fn new(label: &'static str, total: Option<u64>) -> Self {
        if quiet() || !std::io::stderr().is_terminal() {
            return Progress {
                state: None,
                ticker: None,
            };
        }
        let state = Arc::new((
            Mutex::new(State {
                label,
                done: 0,
                total,
                detail: String::new(),
                start: Instant::now(),
                drawn: false,
                stop: false,
                depth: DEPTH.fetch_add(1, Ordering::Relaxed),
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        let ticker = std::thread::spawn(move || {
            let (lock, wake) = &*shared;
            let Ok(mut s) = lock.lock() else { return };
            loop {
                let Ok((next, _)) = wake.wait_timeout(s, REDRAW) else {
                    return;
                };
                s = next;
                if s.stop {
                    return;
                }
                let innermost = DEPTH.load(Ordering::Relaxed) == s.depth + 1;
                if innermost && s.start.elapsed() >= QUIET_FOR {
                    s.draw();
                }
            }
        });
        Progress {
            state: Some(state),
            ticker: Some(ticker),
        }
    }

    /// Records that `done` steps are finished.
    pub fn set(&self, done: u64) {
        self.update(|s| s.done = done);
    }

    /// Records `done` steps and what the latest was.
    pub fn set_with(&self, done: u64, detail: String) {
        self.update(|s| {
            s.done = done;
            s.detail = detail;
        });
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        if let Some(state) = &self.state
            && let Ok(mut s) = state.0.lock()
        {
            f(&mut s);
        }
    }

    /// Clears the line, if one was drawn.
    pub fn finish(self) {
        // Dropping clears it.
    }
}

impl Drop for Progress {
    /// Stops the ticker and clears the line, also when the work fails half way and the
    /// error is about to print.
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let drawn = match state.0.lock() {
            Ok(mut s) => {
                s.stop = true;
                s.drawn
            }
            Err(_) => false,
        };
        state.1.notify_all();
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
        DEPTH.fetch_sub(1, Ordering::Relaxed);
        if drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
