//! Parallelism as an explicit argument, so a caller can ask for exact sequential behaviour.

/// How an operation may use threads.
///
/// Every operation splits its work the same way whatever this says and combines partial
/// results in a fixed order, so `Seq` and `Rayon` on any number of threads give the same bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Par {
    /// On the calling thread only.
    Seq,
    /// On the current rayon pool (install a pool with `ThreadPool::install` to bound it): the
    /// default, as the results are the same bits either way.
    #[default]
    Rayon,
}

impl Par {
    /// Whether work may be spread over threads.
    #[inline]
    pub fn is_parallel(self) -> bool {
        matches!(self, Par::Rayon)
    }

    /// Threads the work may use: 1 for `Seq`, the current rayon pool's size for `Rayon`.
    #[inline]
    pub fn threads(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon => rayon::current_num_threads(),
        }
    }
}
