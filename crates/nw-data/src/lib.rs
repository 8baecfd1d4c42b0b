//! `nw-data`: data sets for `nw` (filled in by the chapter-model issue).
