//! `nw-model`: attention-pooling models for `nw` (filled in by the chapter-model issue).
