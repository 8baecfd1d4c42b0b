//! What the bench targets share: their thread pools and criterion's timing.

use std::time::Duration;

use criterion::Criterion;

/// A rayon pool of exactly `threads` threads; the benches run inside its `install`.
pub(crate) fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a rayon pool of {threads} threads: {e}"))
}

/// 1 s of warm-up and 3 s of measurement per benchmark; command-line flags override these.
pub(crate) fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}
