//! `nw-viz`: pictures for `nw` (filled in by the command-line issue).
