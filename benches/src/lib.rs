//! Shared shapes and helpers for the `nw` criterion benches.
//!
//! [`CASES`] is the one table of what is measured: each [`Case`] names its criterion group,
//! its dimensions, the work one iteration does (flops or bytes) and the peer it is measured
//! beside. The benches in `benches/*.rs` run every case of their group, and `cargo xtask
//! bench` reads the same table to pair each `ours` result with its peer's, so adding a shape
//! to an existing group is one entry here.
//!
//! ```
//! use nw_bench::{BMM, CASES, OURS};
//!
//! let case = CASES.iter().find(|c| c.group.name == BMM.name).unwrap();
//! assert_eq!(case.full_id(OURS, 1), "bmm/256x64x64x64/ours/1t");
//! ```
//!
//! This library has no dependencies, so `xtask` can read the table without building the
//! numeric core; the benches bring `nw-tensor`, the peers and criterion as dev-dependencies.

/// The name every case gives our own implementation in its benchmark ids.
pub const OURS: &str = "ours";

/// What one iteration's work is counted in, and the unit its rate is reported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Floating-point operations (a fused multiply-add counts as 2); reported in GFLOP/s.
    Flop,
    /// Bytes moved to and from memory; reported in GB/s (10^9 bytes per second).
    Byte,
    /// Query-key pairs pooled (one kernel weight each); reported in G pairs/s.
    Pair,
    /// Exponentials evaluated; reported in G exp/s.
    Exp,
    /// Whole runs of a task (one iteration each); reported as the time of one run.
    Run,
}

impl Unit {
    /// The unit of a rate of this work, as the report prints it.
    pub fn rate_label(self) -> &'static str {
        match self {
            Unit::Flop => "GFLOP/s",
            Unit::Byte => "GB/s",
            Unit::Pair => "G pairs/s",
            Unit::Exp => "G exp/s",
            Unit::Run => "runs/s",
        }
    }
}

/// A criterion group: one operation, measured at the shapes its cases list.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    /// Criterion group name, the first part of every benchmark id in the group.
    pub name: &'static str,
    /// What the dimensions of a case mean, in order, e.g. `batch x m x k x n`.
    pub dims: &'static str,
    /// What the work of one iteration counts.
    pub unit: Unit,
    /// One sentence on what is timed and how the work is counted, for the report.
    pub about: &'static str,
}

/// An implementation that a case is measured beside.
#[derive(Debug, PartialEq, Eq)]
pub struct Peer {
    /// Name used in benchmark ids and in the report.
    pub name: &'static str,
    /// One sentence on what the peer runs and how it is spread over threads, for the report.
    pub about: &'static str,
}

/// One measured shape: ours and a peer, each on every thread count listed.
#[derive(Debug, PartialEq, Eq)]
pub struct Case {
    /// The group this case belongs to.
    pub group: &'static Group,
    /// The dimensions, in the order [`Group::dims`] names them.
    pub dims: &'static [usize],
    /// Work one iteration does, in [`Group::unit`]s.
    pub work: u64,
    /// The implementation measured beside ours, if any runs in reasonable time here.
    pub peer: Option<&'static Peer>,
    /// Thread counts each side is measured on (a rayon pool of exactly this size).
    pub threads: &'static [usize],
}

impl Case {
    /// The dimensions joined by `x`, e.g. `256x64x64x64`.
    pub fn shape(&self) -> String {
        let dims: Vec<String> = self.dims.iter().map(usize::to_string).collect();
        dims.join("x")
    }

    /// Benchmark id inside the group for `who` (`OURS` or the peer's name) on `threads`.
    pub fn bench_id(&self, who: &str, threads: usize) -> String {
        format!("{}/{who}/{threads}t", self.shape())
    }

    /// Criterion's full id (`group/bench_id`), as written in its `benchmark.json`.
    pub fn full_id(&self, who: &str, threads: usize) -> String {
        format!("{}/{}", self.group.name, self.bench_id(who, threads))
    }
}

/// Batched matrix products, `C[t] = A[t] B[t]`.
pub const BMM: Group = Group {
    name: "bmm",
    dims: "batch x m x k x n",
    unit: Unit::Flop,
    about: "`batched_gemm` on row-major f32 inputs in [0, 1); work is 2 m k n flops per product",
};

/// Row softmax of a matrix, in place.
pub const SOFTMAX: Group = Group {
    name: "softmax",
    dims: "rows x cols",
    unit: Unit::Byte,
    about: "`softmax_rows` in place on f32 inputs in [0, 1); work is 4 bytes read + 4 bytes \
            written per element; each iteration starts from a fresh copy of the input, made \
            by criterion's `iter_batched_ref` setup outside the timed region on both sides",
};

/// A vector exponential over a buffer: the bound of the fused pooling kernel, whose every
/// pair costs one.
pub const EXP: Group = Group {
    name: "exp",
    dims: "values",
    unit: Unit::Exp,
    about: "the vector exponential over a buffer of f32 inputs in [-64, 0] (a pooling \
            kernel's weights), results stored to a second buffer; both buffers fit in L2; on \
            2 threads each thread takes half. Ours is `kernels::simd::exp2`; work is one \
            exponential per value. This is the bound the `pool` and `loo` rows are set against",
};

/// Attention pooling of every query over every key (Gaussian kernel, `w = 1`).
pub const POOL: Group = Group {
    name: "pool",
    dims: "queries x keys",
    unit: Unit::Pair,
    about: "Gaussian attention pooling (`w = 1`, inputs and queries uniform on [0, 5), \
            values in [0, 1)), every query against every key; ours is the fused streaming \
            kernel `ops::pool::pool` (including its sort of the keys); work is queries x keys \
            pairs",
};

/// One epoch of the chapter's leave-one-out training: loss and gradient at one `w`.
pub const LOO: Group = Group {
    name: "loo",
    dims: "n",
    unit: Unit::Pair,
    about: "one epoch of leave-one-out training of parametric pooling (`w = 1`, inputs \
            uniform on [0, 5)): the summed squared loss and its gradient in `w`; ours is the \
            fused kernel `ops::pool::loo` (keys sorted once, outside the timing, as training \
            does); work is n (n - 1) pairs",
};

/// `wide`'s own `exp` on the same vectors.
pub const WIDE_EXP: Peer = Peer {
    name: "wide-exp",
    about: "`wide::f32x16::exp` (the `wide` crate's accurate exp, what a user of `wide` \
            would call) on the same buffer, the same way",
};

/// The chapter's way in our own code: the full weight matrix, softmax, then a product.
pub const MATERIALIZED: Peer = Peer {
    name: "materialized",
    about: "the chapter's formulation with our own kernels: the full queries x keys score \
            matrix (allocated each time, as the chapter does), `softmax_rows`, then `gemm` \
            with the values (a matrix-vector product), rows spread over the threads",
};

/// The chapter's leave-one-out tensors and the hand-derived backward pass.
pub const CHAPTER: Peer = Peer {
    name: "chapter",
    about: "`nw_model`'s chapter path: the `(n, n - 1)` leave-one-out keys and values (built \
            once, outside the timing), `forward_rows` (repeat, scores, softmax, `bmm`), the \
            summed squared loss and `ParametricTape::backward`",
};

/// Choosing a bandwidth by leave-one-out cross-validation, the whole search.
pub const BANDWIDTH: Group = Group {
    name: "bandwidth",
    dims: "n",
    unit: Unit::Run,
    about: "`nw_model::bandwidth::select` with the Gaussian kernel on n examples (inputs \
            uniform on [0, 5), targets 2 sin x + x^0.8 plus uniform noise): the CV curve on \
            20 bandwidths per decade from the smallest gap between inputs to 2 spans (extended \
            past an end that holds the minimum) and the golden-section refinement of its 3 \
            best minima, each CV(h) one fused leave-one-out pass; work is one whole search",
};

/// The same search with each CV(h) computed through the dense `n x n` weight matrix.
pub const DENSE_CV: Peer = Peer {
    name: "dense-cv",
    about: "the same search (same grid, same refinement) with every CV(h) computed as \
            statsmodels and the chapter compute it: the `n x n` score matrix with the diagonal \
            left out, `softmax_rows`, a matrix-vector product, in our own kernels. At \
            n = 20000 that matrix is 1.6 GB per evaluation and the search takes minutes, so \
            it is not run",
};

/// The `matrixmultiply` crate's `sgemm`.
pub const MATRIXMULTIPLY: Peer = Peer {
    name: "matrixmultiply",
    about: "`matrixmultiply::sgemm` 0.3 (single-threaded build). Its own threading reads \
            `MATMUL_NUM_THREADS` once per process, so it cannot switch between 1 and 2 threads \
            in one run; on 2 threads rayon splits the batch (or, for one product, the rows of \
            A and C) into two halves and each half calls single-threaded `sgemm`",
};

/// A plain scalar softmax loop, as a user would write it: [`plain_softmax_row`].
pub const PLAIN_LOOP: Peer = Peer {
    name: "plain-loop",
    about: "a scalar loop per row (max with `f32::max`, `(x - m).exp()` with std's `exp`, \
            sum, divide), see `nw_bench::plain_softmax_row`; on 2 threads rayon's \
            `par_chunks_mut` spreads the rows",
};

/// `2 batch m k n`: the flops of a batch of `m x k` by `k x n` products.
pub const fn bmm_flops(batch: usize, m: usize, k: usize, n: usize) -> u64 {
    2 * (batch * m * k * n) as u64
}

/// `2 * 4 rows cols`: an in-place f32 pass that reads and writes every element once.
pub const fn softmax_bytes(rows: usize, cols: usize) -> u64 {
    2 * 4 * (rows * cols) as u64
}

/// `queries * keys`: the pairs one pooling pass weighs.
pub const fn pairs(queries: usize, keys: usize) -> u64 {
    (queries * keys) as u64
}

/// Every measured case. Adding a shape to a group is one entry; the benches and the report
/// pick it up from here.
pub const CASES: &[Case] = &[
    Case {
        group: &BMM,
        dims: &[256, 64, 64, 64],
        work: bmm_flops(256, 64, 64, 64),
        peer: Some(&MATRIXMULTIPLY),
        threads: &[1, 2],
    },
    Case {
        group: &BMM,
        dims: &[1, 512, 512, 512],
        work: bmm_flops(1, 512, 512, 512),
        peer: Some(&MATRIXMULTIPLY),
        threads: &[1, 2],
    },
    Case {
        group: &SOFTMAX,
        dims: &[4096, 4096],
        work: softmax_bytes(4096, 4096),
        peer: Some(&PLAIN_LOOP),
        threads: &[1, 2],
    },
    Case {
        group: &EXP,
        dims: &[EXP_BUFFER],
        work: EXP_BUFFER as u64,
        peer: Some(&WIDE_EXP),
        threads: &[1, 2],
    },
    Case {
        group: &POOL,
        dims: &[4096, 4096],
        work: pairs(4096, 4096),
        peer: Some(&MATERIALIZED),
        threads: &[1, 2],
    },
    Case {
        group: &POOL,
        dims: &[2000, 200_000],
        work: pairs(2000, 200_000),
        peer: Some(&MATERIALIZED),
        threads: &[1, 2],
    },
    Case {
        group: &LOO,
        dims: &[2000],
        work: pairs(2000, 1999),
        peer: Some(&CHAPTER),
        threads: &[1, 2],
    },
    Case {
        group: &BANDWIDTH,
        dims: &[2000],
        work: 1,
        peer: Some(&DENSE_CV),
        threads: &[1, 2],
    },
    Case {
        group: &BANDWIDTH,
        dims: &[20_000],
        work: 1,
        peer: None,
        threads: &[1, 2],
    },
    Case {
        group: &LOO,
        dims: &[8000],
        work: pairs(8000, 7999),
        peer: Some(&CHAPTER),
        threads: &[1, 2],
    },
];

/// Values in the `exp` bench's buffer: 256 KiB in and 256 KiB out, resident in L2.
pub const EXP_BUFFER: usize = 1 << 16;

/// The cases of the group named `group`, in table order.
pub fn cases_in(group: &str) -> impl Iterator<Item = &'static Case> + use<'_> {
    CASES.iter().filter(move |c| c.group.name == group)
}

/// `len` deterministic pseudo-random values in `[0, 1)` from splitmix64 seeded with `seed`.
///
/// Each value is the top 24 bits of a splitmix64 output times 2^-24, so every value is an
/// exact f32 and the same seed gives the same values on every machine.
pub fn uniform(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
        })
        .collect()
}

/// Softmax of one row in place, written the way a user would: max with `f32::max`, std's
/// `exp` of the shifted values with their sum, then a division by the sum.
pub fn plain_softmax_row(row: &mut [f32]) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in row.iter_mut() {
        *x = (*x - m).exp();
        sum += *x;
    }
    for x in row.iter_mut() {
        *x /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_deterministic_and_in_range() {
        let a = uniform(10_000, 7);
        assert_eq!(a, uniform(10_000, 7));
        assert_ne!(a, uniform(10_000, 8));
        assert!(a.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn ids_are_unique_and_pair_up() {
        let mut ids = Vec::new();
        for case in CASES {
            assert!(
                !case.threads.is_empty(),
                "{} lists no thread counts",
                case.shape()
            );
            for &t in case.threads {
                ids.push(case.full_id(OURS, t));
                if let Some(peer) = case.peer {
                    ids.push(case.full_id(peer.name, t));
                }
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "two cases share a benchmark id");
        assert!(ids.contains(&"bmm/1x512x512x512/matrixmultiply/2t".to_owned()));
        assert!(ids.contains(&"softmax/4096x4096/ours/1t".to_owned()));
    }

    #[test]
    fn work_counts() {
        assert_eq!(bmm_flops(256, 64, 64, 64), 2 * 256 * 64 * 64 * 64);
        assert_eq!(softmax_bytes(4096, 4096), 8 * 4096 * 4096);
        assert_eq!(cases_in("bmm").count(), 2);
        assert_eq!(pairs(2000, 200_000), 400_000_000);
        assert_eq!(cases_in("pool").count(), 2);
    }

    #[test]
    fn plain_softmax_row_sums_to_one() {
        let mut row = vec![1234.0, 0.0, 1233.0];
        plain_softmax_row(&mut row);
        let e = (-1.0f32).exp();
        assert!((row[0] - 1.0 / (1.0 + e)).abs() < 1e-6);
        assert_eq!(row[1], 0.0);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
