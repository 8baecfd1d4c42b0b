//! Shared shapes and helpers for the `nw` criterion benches.
