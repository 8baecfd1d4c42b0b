//! Shared shapes and helpers for the `nw` criterion benches.
//!
//! [`CASES`] is the one table of what is measured: each [`Case`] names its criterion group,
//! its dimensions, the work one iteration does (flops, bytes, pairs) and the peers it is
//! measured beside, and the case whose rate bounds it, if any. The benches in `benches/*.rs`
//! run every case of their group, and `cargo xtask bench` reads the same table to pair each
//! `ours` result with each peer's and with its bound, so adding a shape to an existing group
//! is one entry here. [`DATA_FITS`] names the data files the `bandwidth_nd` cases fit. [`SPLITS`] lists commands whose wall time is
//! split into steps timed on their own (`nw predict`: reading, then pooling), which the report
//! shows as shares of their sum. [`GOALS`] names what issue 12 asks of the local fits and
//! the bands against their baselines (Nadaraya-Watson, the plain prediction). The sorted
//! sweeps' groups (issue 13: [`SWEEP_POOL`], [`SWEEP_VS_DIRECT`], [`SWEEP_CV`]) measure
//! several kernels and bandwidths at one shape, so their cases carry a `variant` that names
//! them ([`sweep_variant`] reads it) in front of the dimensions.
//!
//! The inputs are deterministic: [`uniform`] for the numeric kernels, and
//! [`two_column_csv`] and [`ten_column_csv`] for the reader, files whose sizes the table
//! states (and a test checks).
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

use std::io::Write as _;

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
    /// Bytes of CSV text read; reported in MB/s (10^6 bytes per second), since a reader runs
    /// at hundreds of those.
    TextByte,
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
            Unit::TextByte => "MB/s",
        }
    }

    /// The rate in [`Unit::rate_label`]'s unit of one unit of work per nanosecond: 1 for the
    /// G (10^9) rates, 1000 for MB/s.
    pub fn scale(self) -> f64 {
        match self {
            Unit::TextByte => 1e3,
            _ => 1.0,
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

/// One measured shape: ours and its peers, each on every thread count listed.
#[derive(Debug, PartialEq, Eq)]
pub struct Case {
    /// The group this case belongs to.
    pub group: &'static Group,
    /// The dimensions, in the order [`Group::dims`] names them.
    pub dims: &'static [usize],
    /// Work one iteration does, in [`Group::unit`]s.
    pub work: u64,
    /// The implementations measured beside ours (none when none runs in reasonable time
    /// here); the report gives each its own row and ratio.
    pub peers: &'static [&'static Peer],
    /// Thread counts each side is measured on (a rayon pool of exactly this size).
    pub threads: &'static [usize],
    /// The case whose rate bounds ours (measured on the same thread counts), if any: the
    /// report shows ours as a share of it.
    pub bound: Option<&'static Case>,
    /// What tells this case from the others of its group at the same dimensions (a kernel
    /// and bandwidth, such as `epanechnikov-0.1h0`; see [`sweep_variant`]), written before
    /// the dimensions in its ids; empty when the dimensions say it all.
    pub variant: &'static str,
}

impl Case {
    /// The variant, if any, then the dimensions joined by `x`, e.g. `256x64x64x64` or
    /// `gaussian-h0-1000000x1000000`.
    pub fn shape(&self) -> String {
        if self.variant.is_empty() {
            shape(self.dims)
        } else {
            format!("{}-{}", self.variant, shape(self.dims))
        }
    }

    /// The peers' names joined by `, ` (`none` for none), for messages.
    pub fn peer_names(&self) -> String {
        if self.peers.is_empty() {
            return "none".to_owned();
        }
        let names: Vec<&str> = self.peers.iter().map(|p| p.name).collect();
        names.join(", ")
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

/// Attention pooling in `d` dimensions (Gaussian product kernel, `h = 0.5` per dimension).
pub const POOL_ND: Group = Group {
    name: "pool_nd",
    dims: "d x queries x keys",
    unit: Unit::Pair,
    about: "Gaussian attention pooling in d dimensions (product kernel, bandwidth 0.5 in every \
            dimension; queries and keys uniform on [0, 1)^d, values `2 + mean_l sin(2 pi \
            x_l)`), every query against every key; ours is the fused kernel \
            `ops::pool_nd::pool_nd` (including `KeysNd::new`, its sort of the keys), \
            predictions only. With keys at most sqrt(d) from a query, every key scores within \
            64 base-2 orders of the nearest one, so the weighted pass prunes nothing and all \
            queries x keys pairs are weighed (only the first pass, which finds each query's \
            nearest score, skips keys that cannot hold it); work is queries x keys pairs",
};

/// The floor of a fused `d`-dimensional Gaussian pair: one `exp2` and `d` multiply-adds.
pub const POOL_ND_BOUND: Group = Group {
    name: "pool_nd_bound",
    dims: "d x queries x keys",
    unit: Unit::Pair,
    about: "the least a fused Gaussian pair in d dimensions can cost in our kernels: per \
            pair exactly d vector multiply-adds (the score as a dot product of the key with \
            the query's coefficients) and one `kernels::simd::exp2`, added to one vector \
            accumulator, and nothing else (no tiles, no nearest score, no normalizer or \
            weighted values, no masks); keys stored d vectors per block of lanes and \
            resident in L2 (4096 keys, at most 128 KiB), as the `exp` buffer is; on 2 \
            threads each thread takes half the queries; work is queries x keys pairs. This \
            is the bound the `pool_nd` rows of the same d are set against",
};

/// The materialized path in `d` dimensions, in our own kernels, a block of queries at a time.
pub const MATERIALIZED_ND: Peer = Peer {
    name: "materialized",
    about: "the same pooling materialized in our own code: for a block of queries, the full \
            block x keys matrix of scores `-1/2 sum_j ((q_j - k_j) / h_j)^2` in plain Rust \
            (the keys stored as d columns, so the loop over keys vectorizes by itself), \
            `softmax_rows` (our SIMD softmax), then `kernels::simd::dot` of each row with the \
            values. A block holds at most 2^24 scores (64 MiB): all 4096 queries of the \
            4096 x 4096 cases, 83 at a time against 200,000 keys (the whole 2000 x 200,000 \
            matrix would be 1.6 GB); rows spread over the threads",
};

/// Choosing one bandwidth per input by leave-one-out cross-validation on a real data set.
pub const BANDWIDTH_ND: Group = Group {
    name: "bandwidth_nd",
    dims: "rows x inputs",
    unit: Unit::Run,
    about: "`NadarayaWatson::params().par(par).fit(Inputs::new(&x, d)?, &y)` with the \
            defaults (Gaussian product kernel, bandwidths by cross-validation: L-BFGS on the \
            leave-one-out CV in the log-bandwidths from several starts, each CV and its \
            gradient one fused pass) on the workspace's data files, read once outside the \
            timing: `data/boston.csv` (lstat, rm -> medv; 506 rows) and \
            `data/diamonds_10k.csv` (carat, depth, table -> price; 10,000 rows); work is one \
            whole fit (preparing and sorting the data included)",
};

/// Local linear regression in the fused 1-D pass, Gaussian kernel (issue 12).
pub const LOCAL_LINEAR: Group = Group {
    name: "local_linear",
    dims: "queries x keys",
    unit: Unit::Pair,
    about: "local linear regression with the Gaussian kernel (`w = 1`, the `pool` rows' \
            inputs: queries and keys uniform on [0, 5), values in [0, 1)), every query \
            against every key; ours is the fused pass `ops::local_linear::pool_linear` (fits \
            and slopes), on keys sorted once outside the timing; work is queries x keys pairs",
};

/// Local linear regression in the fused 1-D pass, Epanechnikov kernel (issue 12).
pub const LOCAL_LINEAR_EPA: Group = Group {
    name: "local_linear_epa",
    dims: "queries x keys",
    unit: Unit::Pair,
    about: "`local_linear` with the compact Epanechnikov kernel of bandwidth `h = 1` on the \
            same inputs: a query reaches the keys within 1 of it, about 2/5 of them, and the \
            fused passes visit only those; work is still counted as queries x keys pairs, on \
            both sides, so the ratio is that of the times",
};

/// Local quadratic regression in the fused 1-D pass, Gaussian kernel (issue 12).
pub const LOCAL_QUADRATIC: Group = Group {
    name: "local_quadratic",
    dims: "queries x keys",
    unit: Unit::Pair,
    about: "local quadratic regression with the Gaussian kernel on the `local_linear` inputs; \
            ours is the fused pass `ops::local_quadratic::pool_quadratic` (fits and slopes), \
            on keys sorted once outside the timing; work is queries x keys pairs",
};

/// Local linear regression in `d` dimensions (issue 12).
pub const LOCAL_LINEAR_ND: Group = Group {
    name: "local_linear_nd",
    dims: "d x queries x keys",
    unit: Unit::Pair,
    about: "local linear regression in d dimensions with the Gaussian product kernel on the \
            `pool_nd` rows' inputs (bandwidth 0.5 in every dimension, queries and keys uniform \
            on [0, 1)^d, values `2 + mean_l sin(2 pi x_l)`); ours is the fused pass \
            `ops::local_linear_nd::pool_linear_nd` (fits and slopes) on a `KeysNd` built once \
            outside the timing; work is queries x keys pairs",
};

/// Nadaraya-Watson on the same inputs: what the local fits are set against.
pub const NW: Peer = Peer {
    name: "nw",
    about: "Nadaraya-Watson (local constant) on the same queries, keys, kernel and bandwidth \
            in the same run, its fused pass on the same sorted keys: `ops::pool::pool` in one \
            dimension, `ops::pool_nd::pool_nd` (predictions only) in d; the ratio ours/nw is \
            the local fit's pair rate as a share of Nadaraya-Watson's (issue 12 asks for at \
            least 1/3)",
};

/// The bandwidth of the `bands_*` cases: about the asymptotically optimal (AMISE) local
/// linear bandwidth for their data, `[R(K) int sigma^2 / (mu_2^2 n int m''^2 f)]^(1/5)` =
/// `[0.282 x 0.417 / (2.2 x 200,000)]^(1/5)` = 0.048, where cross-validation lands too.
pub const BANDS_H: f64 = 0.05;

/// Wild-bootstrap bands of a fitted local linear model (issue 12).
pub const BANDS_BOOTSTRAP: Group = Group {
    name: "bands_bootstrap",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "`model.bands(queries, BandOptions { kind: Bootstrap { replicates: 999, seed: 0, \
            multipliers: Rademacher }, ..Default::default() })` (pointwise 95%, bias-corrected: \
            the band's smoother is the local quadratic one) on a model fitted with \
            `NadarayaWatson::params().degree(1).bandwidth(Bandwidth::Fixed(0.05))` (Gaussian) \
            to `keys` rows of x uniform on [0, 5), y = 2 sin x + x^0.8 plus noise uniform on \
            [-1/2, 1/2) (the `bandwidth` rows' data); queries an even grid over [0, 5) in \
            order, as a band is drawn. h = 0.05 is about the asymptotically optimal local \
            linear bandwidth for these data (0.048, `nw_bench::BANDS_H`): a query reaches the \
            keys within 9.42 h (2^-64 of the nearest key's weight), about 38,000 of the \
            200,000 inside the span. The model is warmed first (its training fit and \
            residuals are cached after the first band, see `bands_residuals`), so this is the \
            query pass alone",
};

/// Asymptotic bands of the same model (issue 12).
pub const BANDS_ASYMPTOTIC: Group = Group {
    name: "bands_asymptotic",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "`model.bands(queries, &BandOptions::default())` (asymptotic, pointwise 95%, \
            heteroscedastic, bias-corrected) on the `bands_bootstrap` model and queries, \
            warmed (training fit and smoothed squared residuals cached): the query pass alone",
};

/// The one-time training pass of the same model's first band (issue 12).
pub const BANDS_RESIDUALS: Group = Group {
    name: "bands_residuals",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "the one-time cost of a model's first band: on a freshly fitted `bands_bootstrap` \
            model (the fit, with its fixed bandwidth, outside the timing), the bootstrap band \
            of one query, which first computes and caches the training fit at every key (the \
            fused leave-one-out local linear pass: fits and leverages) and the residuals; the \
            one query's band itself is negligible. Paid once per model, whatever the queries",
};

/// The plain prediction of the banded model: what a band's time is set against.
pub const PREDICT_PEER: Peer = Peer {
    name: "predict",
    about: "`model.predict(queries)` on the same model and queries in the same run (the \
            fused local linear pass, `ops::local_linear::pool_linear`); ours/predict is the \
            inverse of how many times the prediction's time the band takes (issue 12 asks \
            for at most 5 times)",
};

/// One prediction of a million queries over a million keys by sorted sweeps (issue 13).
pub const SWEEP_POOL: Group = Group {
    name: "sweep_pool",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "one prediction by sorted sweeps (issue 13), `ops::sweep::pool_sweep` (the ties \
            grouped, the bandwidth's prefix sums built, or for the Gaussian its fast Gauss \
            transform, then each query's sums read from them, queries in sorted order), with \
            each kernel of `KernelKind::ALL`; the variant names the kernel and the bandwidth: \
            `h0` = 1.06 sd(x) n^(-1/5) of the keys (0.0965 here; the same h for every kernel, \
            so the compact ones reach h0 and the Gaussian about 9.4 h0), or `0.1h0`, a tenth \
            of it. Keys uniform on [0, 5) with values 2 sin x + x^0.8 plus noise uniform on \
            [-1/2, 1/2) (the `bandwidth` rows' data), sorted once outside the timing, as a \
            fitted model holds them; queries uniform on [0, 5), in random order. The bench \
            first checks that `Algorithm::Auto` sweeps every case. No peer: the direct path \
            takes from 2 s to 3 minutes per prediction at this size (`cargo run --release -p \
            nw-tensor --example sweep_rate` estimates it from a sample of queries); work is \
            one prediction",
};

/// The sorted sweeps beside the direct path, where the direct path finishes (issue 13).
pub const SWEEP_VS_DIRECT: Group = Group {
    name: "sweep_vs_direct",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "one prediction of 10^4 and of 10^5 queries over 10^5 keys (the direct path \
            takes at most about 0.7 s here), by sorted sweeps (`ops::sweep::pool_sweep`, \
            ours) and by the direct path (peer `direct`), on the `sweep_pool` data at this \
            size with the Gaussian, Epanechnikov and Laplace kernels at `h0` = 1.06 sd(x) \
            n^(-1/5) of these keys (0.153) and at a tenth of it (`0.1h0`); keys sorted once \
            outside the timing, the same for both sides. The bench first checks that both \
            sides give the same predictions within 1e-5 (relative) and says which side \
            `Algorithm::Auto` picks; work is one prediction, so ours/direct is how many \
            times faster the sweep is",
};

/// The whole cross-validated bandwidth search with the sorted sweeps (issue 13).
pub const SWEEP_CV: Group = Group {
    name: "sweep_cv",
    dims: "n",
    unit: Unit::Run,
    about: "the whole bandwidth search by leave-one-out cross-validation as the estimator \
            runs it with the sorted sweeps (issue 13): `bandwidth::select` with \
            `Search::default()` (20 bandwidths per decade from the smallest gap between \
            inputs to 2 spans, extended past an end that holds the minimum, 3 minima refined; \
            `Algorithm::Auto`, so each CV(h) is one `ops::sweep::loo_sweep` where the cost \
            model says the sweep pays at n queries, one direct `ops::pool::loo_cv` elsewhere); \
            the variant names the kernel. Inputs uniform on [0, 5), targets 2 sin x + x^0.8 \
            plus noise uniform on [-1/2, 1/2) (the `bandwidth` rows' data, other seeds); the \
            bench prints how many evaluations each search made and how many it swept; work is \
            one whole search (its sort of the inputs included)",
};

/// The direct path: every query-key pair in reach.
pub const DIRECT: Peer = Peer {
    name: "direct",
    about: "the direct path, every query-key pair within the kernel's reach (all keys within \
            h for a compact kernel; within 2^-64 of the nearest key's weight for the Gaussian \
            and Laplace), on the same sorted keys, kernel and bandwidth: `ops::pool::pool` for \
            a prediction (`sweep_vs_direct`), and the same search with `Algorithm::Direct`, \
            every CV(h) by `ops::pool::loo_cv` as before the sweeps (`sweep_cv`); ours/direct \
            is how many times faster the sweeps are",
};

/// The bandwidths of the `sweep_pool` and `sweep_vs_direct` cases as their variants name them,
/// each with its share of the rule of thumb `h0 = 1.06 sd(x) n^(-1/5)`.
pub const SWEEP_BANDWIDTHS: [(&str, f64); 2] = [("h0", 1.0), ("0.1h0", 0.1)];

/// The kernel's name and the share of `h0` of a `sweep_pool` or `sweep_vs_direct` variant
/// (`laplace-0.1h0` gives `("laplace", 0.1)`), if it is one.
pub fn sweep_variant(variant: &str) -> Option<(&str, f64)> {
    let (kernel, h) = variant.split_once('-')?;
    let &(_, share) = SWEEP_BANDWIDTHS.iter().find(|(name, _)| *name == h)?;
    Some((kernel, share))
}

/// The keys (and queries) of the `sweep_pool` cases, and the inputs of the large `sweep_cv`
/// ones.
pub const SWEEP_N: usize = 1_000_000;

/// A case of one of the sweep groups: one whole run, on 2 threads only (the machine's cores;
/// the large cases take seconds to minutes, so not once more on 1).
const fn sweep_case(
    group: &'static Group,
    dims: &'static [usize],
    peers: &'static [&'static Peer],
    variant: &'static str,
) -> Case {
    Case {
        group,
        dims,
        work: 1,
        peers,
        threads: &[2],
        bound: None,
        variant,
    }
}

/// What issue 12 asks of a group's ratio to its peer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Ours at least this share of the peer's rate.
    RateShare(f64),
    /// Ours at most this multiple of the peer's time.
    TimeMultiple(f64),
}

/// A goal set on a group's rows against one peer.
#[derive(Debug, PartialEq)]
pub struct Goal {
    /// The group whose rows the goal is about.
    pub group: &'static Group,
    /// The peer ours is set against.
    pub peer: &'static Peer,
    /// What is asked (`None`: shown beside the others, nothing asked).
    pub target: Option<Target>,
}

/// Issue 12's goals: local fits at a third of Nadaraya-Watson's pair rate, bootstrap bands
/// within 5 times the plain prediction.
pub const GOALS: &[Goal] = &[
    Goal {
        group: &LOCAL_LINEAR,
        peer: &NW,
        target: Some(Target::RateShare(1.0 / 3.0)),
    },
    Goal {
        group: &LOCAL_LINEAR_EPA,
        peer: &NW,
        target: Some(Target::RateShare(1.0 / 3.0)),
    },
    Goal {
        group: &LOCAL_LINEAR_ND,
        peer: &NW,
        target: Some(Target::RateShare(1.0 / 3.0)),
    },
    Goal {
        group: &LOCAL_QUADRATIC,
        peer: &NW,
        target: None,
    },
    Goal {
        group: &BANDS_BOOTSTRAP,
        peer: &PREDICT_PEER,
        target: Some(Target::TimeMultiple(5.0)),
    },
    Goal {
        group: &BANDS_ASYMPTOTIC,
        peer: &PREDICT_PEER,
        target: None,
    },
    Goal {
        group: &BANDS_RESIDUALS,
        peer: &PREDICT_PEER,
        target: None,
    },
];

/// A `bandwidth_nd` case's data: which file, which columns.
#[derive(Debug, PartialEq, Eq)]
pub struct DataFit {
    /// The case's dimensions: rows, then inputs.
    pub dims: &'static [usize],
    /// The file, relative to the workspace root.
    pub file: &'static str,
    /// The input columns, by header name, in order.
    pub inputs: &'static [&'static str],
    /// The target column.
    pub target: &'static str,
}

/// The data of every `bandwidth_nd` case.
pub const DATA_FITS: &[DataFit] = &[
    DataFit {
        dims: &[506, 2],
        file: "data/boston.csv",
        inputs: &["lstat", "rm"],
        target: "medv",
    },
    DataFit {
        dims: &[10_000, 3],
        file: "data/diamonds_10k.csv",
        inputs: &["carat", "depth", "table"],
        target: "price",
    },
];

/// The data of a `bandwidth_nd` case: the [`DATA_FITS`] entry of its dimensions.
pub fn data_fit(case: &Case) -> Option<&'static DataFit> {
    DATA_FITS.iter().find(|f| f.dims == case.dims)
}

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

/// Reading a CSV file: the bytes of a file in memory to the f64 columns asked for.
pub const READ: Group = Group {
    name: "read",
    dims: "rows x columns x used",
    unit: Unit::TextByte,
    about: "`nw_data::parse_frame` from memory (the reader behind every `nw` input file: the \
            `csv` crate's tokenizer behind the line-ending adapter, `fast-float2` on the \
            chosen columns, every check), delimiter detected, columns `x` and `y` chosen by \
            name and parsed to f64, on files written as `nw` writes numbers (shortest \
            round-trip f32 text; `nw_bench::two_column_csv`, and `nw_bench::ten_column_csv`, \
            whose other eight columns mix integers of 1 to 10 digits, short decimals and \
            17-digit spreadsheet values); one thread, as a file is read in order; work is the \
            file's bytes, and rows/s follow from the row count. The `csv-bytes` ratio is the \
            one that holds across runs and machines: the share of the tokenizer's own speed \
            that the whole reader keeps",
};

/// The `csv` crate's tokenizer alone: the ceiling of any reader built on it.
pub const CSV_BYTES: Peer = Peer {
    name: "csv-bytes",
    about: "the `csv` crate's `ByteRecord` pass over the same bytes (`,`, flexible rows, the \
            same 64 KiB buffer), every record tokenized, no number parsed, nothing checked: the \
            ceiling of a reader built on `csv`, which ours cannot pass; ours/peer is the share \
            of it ours keeps, and the rest is what the line-ending adapter, the checks and \
            the parsing cost",
};

/// The reader `nw` had before issue 10.
pub const SPLIT_PARSE: Peer = Peer {
    name: "split-parse",
    about: "the reader `nw` had before issue 10, in outline: a line at a time into a reused \
            buffer, checked as UTF-8, its commas counted, split at `,`, the chosen fields \
            trimmed and parsed with `str::parse::<f32>`; ours/peer is what the rewrite gained",
};

/// `nw predict`'s wall time step by step: reading its two files, then pooling.
pub const PREDICT: Group = Group {
    name: "predict",
    dims: "queries x keys",
    unit: Unit::Run,
    about: "`nw predict --bandwidth 0.5` (Gaussian kernel) in its two steps, each timed on its \
            own in the same process: a training file of `keys` rows as `nw generate` writes \
            it (`nw_data::Synthetic`, x on [0, 5)) and a query file of `queries` points \
            uniform on [0, 5) in one column `x`, both written by `nw_data`'s writers to \
            cargo's target tmp folder and read from disk (the page cache)",
};

/// Reading a command's input files, as the command does.
pub const READ_STEP: Step = Step {
    name: "read",
    parallel: false,
    about: "both files through `nw_data::read_frame` as `nw predict` reads them (the default \
            columns, delimiter detected), each column measured from its `nw_data::Origin` \
            and made f32",
};

/// Pooling the queries over the keys, as `nw predict` calls it.
pub const POOL_STEP: Step = Step {
    name: "pool",
    parallel: true,
    about: "`NonparametricPooling::with_kernel(Gaussian, 0.5)` and its `pool_with` (predictions \
            only, far queries refused), as `nw predict` calls it: the keys sorted, then the \
            fused pass; `Par::Seq` on 1 thread, `Par::Rayon` on 2 (the binary uses every \
            core)",
};

/// One step of a command, timed on its own.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    /// Name used in benchmark ids and in the report.
    pub name: &'static str,
    /// Whether the step uses the thread pool; a sequential step is timed on 1 thread only.
    pub parallel: bool,
    /// One sentence on what is timed, for the report.
    pub about: &'static str,
}

/// A command's wall time split into its steps, each timed on its own in the same run, so the
/// report can say what share of the time each step takes.
#[derive(Debug, PartialEq, Eq)]
pub struct Split {
    /// The group the steps' benchmark ids live in.
    pub group: &'static Group,
    /// The dimensions, in the order [`Group::dims`] names them.
    pub dims: &'static [usize],
    /// The command whose time is split, as a user types it.
    pub command: &'static str,
    /// The folder, under cargo's target tmp folder, where the bench leaves the command's
    /// input files (so the binary can be timed on the same files).
    pub folder: &'static str,
    /// The steps, in the order the command runs them.
    pub steps: &'static [&'static Step],
    /// Thread counts the command is timed on (its parallel steps on each, the others on 1).
    pub threads: &'static [usize],
}

impl Split {
    /// The dimensions joined by `x`, e.g. `2000x200000`.
    pub fn shape(&self) -> String {
        shape(self.dims)
    }

    /// Benchmark id inside the group of `step` when the command runs on `threads` threads: a
    /// sequential step's is the 1-thread one whatever `threads` is.
    pub fn bench_id(&self, step: &Step, threads: usize) -> String {
        let threads = if step.parallel { threads } else { 1 };
        format!("{}/{}/{threads}t", self.shape(), step.name)
    }

    /// Criterion's full id (`group/bench_id`), as written in its `benchmark.json`.
    pub fn full_id(&self, step: &Step, threads: usize) -> String {
        format!("{}/{}", self.group.name, self.bench_id(step, threads))
    }
}

/// Every command split into steps.
pub const SPLITS: &[Split] = &[Split {
    group: &PREDICT,
    dims: &[2000, 200_000],
    command: "nw predict --train train.csv --query queries.csv --bandwidth 0.5 --out p.csv",
    folder: "nw-bench-predict",
    steps: &[&READ_STEP, &POOL_STEP],
    threads: &[1, 2],
}];

/// The bytes of [`two_column_csv`]`(1_000_000)`, checked by a test.
pub const TWO_COLUMN_BYTES: u64 = 20_508_403;

/// The bytes of [`ten_column_csv`]`(1_000_000)`, checked by a test.
pub const TEN_COLUMN_BYTES: u64 = 65_710_996;

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
        peers: &[&MATRIXMULTIPLY],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BMM,
        dims: &[1, 512, 512, 512],
        work: bmm_flops(1, 512, 512, 512),
        peers: &[&MATRIXMULTIPLY],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &SOFTMAX,
        dims: &[4096, 4096],
        work: softmax_bytes(4096, 4096),
        peers: &[&PLAIN_LOOP],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    EXP_CASE,
    Case {
        group: &POOL,
        dims: &[4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&MATERIALIZED],
        threads: &[1, 2],
        bound: Some(&EXP_CASE),
        variant: "",
    },
    Case {
        group: &POOL,
        dims: &[2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&MATERIALIZED],
        threads: &[1, 2],
        bound: Some(&EXP_CASE),
        variant: "",
    },
    Case {
        group: &LOO,
        dims: &[2000],
        work: pairs(2000, 1999),
        peers: &[&CHAPTER],
        threads: &[1, 2],
        bound: Some(&EXP_CASE),
        variant: "",
    },
    Case {
        group: &BANDWIDTH,
        dims: &[2000],
        work: 1,
        peers: &[&DENSE_CV],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BANDWIDTH,
        dims: &[20_000],
        work: 1,
        peers: &[],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOO,
        dims: &[8000],
        work: pairs(8000, 7999),
        peers: &[&CHAPTER],
        threads: &[1, 2],
        bound: Some(&EXP_CASE),
        variant: "",
    },
    Case {
        group: &READ,
        dims: &[1_000_000, 2, 2],
        work: TWO_COLUMN_BYTES,
        peers: &[&CSV_BYTES, &SPLIT_PARSE],
        threads: &[1],
        bound: None,
        variant: "",
    },
    Case {
        group: &READ,
        dims: &[1_000_000, 10, 2],
        work: TEN_COLUMN_BYTES,
        peers: &[&CSV_BYTES, &SPLIT_PARSE],
        threads: &[1],
        bound: None,
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[2, 4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_2),
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[2, 2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_2),
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[4, 4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_4),
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[4, 2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_4),
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[8, 4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_8),
        variant: "",
    },
    Case {
        group: &POOL_ND,
        dims: &[8, 2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&MATERIALIZED_ND],
        threads: &[1, 2],
        bound: Some(&POOL_ND_BOUND_8),
        variant: "",
    },
    POOL_ND_BOUND_2,
    POOL_ND_BOUND_4,
    POOL_ND_BOUND_8,
    Case {
        group: &BANDWIDTH_ND,
        dims: &[506, 2],
        work: 1,
        peers: &[],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BANDWIDTH_ND,
        dims: &[10_000, 3],
        work: 1,
        peers: &[],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_LINEAR,
        dims: &[4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_LINEAR,
        dims: &[2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_LINEAR_EPA,
        dims: &[2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_QUADRATIC,
        dims: &[2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_LINEAR_ND,
        dims: &[2, 4096, 4096],
        work: pairs(4096, 4096),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &LOCAL_LINEAR_ND,
        dims: &[2, 2000, 200_000],
        work: pairs(2000, 200_000),
        peers: &[&NW],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BANDS_BOOTSTRAP,
        dims: &[2000, 200_000],
        work: 1,
        peers: &[&PREDICT_PEER],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BANDS_ASYMPTOTIC,
        dims: &[2000, 200_000],
        work: 1,
        peers: &[&PREDICT_PEER],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    Case {
        group: &BANDS_RESIDUALS,
        dims: &[2000, 200_000],
        work: 1,
        peers: &[&PREDICT_PEER],
        threads: &[1, 2],
        bound: None,
        variant: "",
    },
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "gaussian-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "gaussian-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "epanechnikov-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "epanechnikov-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "uniform-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "uniform-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "triangular-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "triangular-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "biweight-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "biweight-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "triweight-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "triweight-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "tricube-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "tricube-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "cosine-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "cosine-0.1h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "laplace-h0"),
    sweep_case(&SWEEP_POOL, &[SWEEP_N, SWEEP_N], &[], "laplace-0.1h0"),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "gaussian-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "gaussian-0.1h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "epanechnikov-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "epanechnikov-0.1h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "laplace-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[10_000, 100_000],
        &[&DIRECT],
        "laplace-0.1h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "gaussian-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "gaussian-0.1h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "epanechnikov-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "epanechnikov-0.1h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "laplace-h0",
    ),
    sweep_case(
        &SWEEP_VS_DIRECT,
        &[100_000, 100_000],
        &[&DIRECT],
        "laplace-0.1h0",
    ),
    sweep_case(&SWEEP_CV, &[SWEEP_N], &[], "epanechnikov"),
    sweep_case(&SWEEP_CV, &[SWEEP_N], &[], "gaussian"),
    sweep_case(&SWEEP_CV, &[10_000], &[&DIRECT], "epanechnikov"),
    sweep_case(&SWEEP_CV, &[10_000], &[&DIRECT], "gaussian"),
    sweep_case(&SWEEP_CV, &[10_000], &[&DIRECT], "uniform"),
];

/// [`POOL_ND_BOUND`] in 2 dimensions: the bound of the `pool_nd` cases of d = 2.
pub const POOL_ND_BOUND_2: Case = Case {
    group: &POOL_ND_BOUND,
    dims: &[2, ND_BOUND_QUERIES, ND_BOUND_KEYS],
    work: pairs(ND_BOUND_QUERIES, ND_BOUND_KEYS),
    peers: &[],
    threads: &[1, 2],
    bound: None,
    variant: "",
};

/// [`POOL_ND_BOUND`] in 4 dimensions: the bound of the `pool_nd` cases of d = 4.
pub const POOL_ND_BOUND_4: Case = Case {
    group: &POOL_ND_BOUND,
    dims: &[4, ND_BOUND_QUERIES, ND_BOUND_KEYS],
    work: pairs(ND_BOUND_QUERIES, ND_BOUND_KEYS),
    peers: &[],
    threads: &[1, 2],
    bound: None,
    variant: "",
};

/// [`POOL_ND_BOUND`] in 8 dimensions: the bound of the `pool_nd` cases of d = 8.
pub const POOL_ND_BOUND_8: Case = Case {
    group: &POOL_ND_BOUND,
    dims: &[8, ND_BOUND_QUERIES, ND_BOUND_KEYS],
    work: pairs(ND_BOUND_QUERIES, ND_BOUND_KEYS),
    peers: &[],
    threads: &[1, 2],
    bound: None,
    variant: "",
};

/// Queries of the `pool_nd_bound` cases: enough work per iteration (4M pairs) to time well.
pub const ND_BOUND_QUERIES: usize = 1024;
/// Keys of the `pool_nd_bound` cases: `8 x 4096` f32 are 128 KiB, resident in L2.
pub const ND_BOUND_KEYS: usize = 4096;
// The bound's keys stay in L2 at the largest d.
const _: () = assert!(8 * ND_BOUND_KEYS * 4 <= 128 * 1024);

/// The vector exponential on its buffer: the bound of the one-dimensional fused kernels.
pub const EXP_CASE: Case = Case {
    group: &EXP,
    dims: &[EXP_BUFFER],
    work: EXP_BUFFER as u64,
    peers: &[&WIDE_EXP],
    threads: &[1, 2],
    bound: None,
    variant: "",
};

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
    (0..len).map(|_| unit_f32(&mut state)).collect()
}

/// The next splitmix64 output.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in `[0, 1)` from the top 24 bits of the next output: an exact f32.
fn unit_f32(state: &mut u64) -> f32 {
    (splitmix(state) >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// A value in `[0, 1)` from the top 53 bits of the next output: an exact f64.
fn unit_f64(state: &mut u64) -> f64 {
    (splitmix(state) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `dims` joined by `x`, e.g. `256x64x64x64`.
fn shape(dims: &[usize]) -> String {
    let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
    dims.join("x")
}

/// A CSV file in memory and the values of its columns `x` and `y`, to check a reader with.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvFile {
    /// The file's bytes: a header line, then one line per row, each ended by `\n`.
    pub bytes: Vec<u8>,
    /// Column `x`, as written (the text parses back to these bits).
    pub x: Vec<f32>,
    /// Column `y`, as written.
    pub y: Vec<f32>,
}

/// A training file as `nw` writes one: a header `x,y`, then `rows` rows of `x` uniform on
/// `[0, 5)` and `y = x (3 - x) / 2` plus noise uniform on `[-0.5, 0.5)`, each in the text
/// `nw_data` writes (see [`push_f32`]). About 20 bytes a row.
///
/// Only exactly rounded arithmetic goes into the values (no `sin`, whose last bit depends on
/// the platform's maths library), so the bytes are the same on every machine.
pub fn two_column_csv(rows: usize) -> CsvFile {
    let (x, y) = xy(rows, 61);
    let mut bytes = Vec::with_capacity(rows * 21 + 4);
    bytes.extend_from_slice(b"x,y\n");
    for (&x, &y) in x.iter().zip(&y) {
        push_f32(&mut bytes, x);
        bytes.push(b',');
        push_f32(&mut bytes, y);
        bytes.push(b'\n');
    }
    CsvFile { bytes, x, y }
}

/// A file of ten columns of which a model uses two, with the mixed widths of a real export
/// (a weather station's log): `id,time,x,hour,temp,y,humid,wind,count,flag`, where `x` and
/// `y` are [`two_column_csv`]'s, `id` the row number from 1 (1 to 7 digits), `time` Unix
/// seconds 600 apart (10 digits), `hour` 0 to 23, `temp` one decimal in `[-20, 40)`, `humid`
/// two decimals in `[0, 100)`, `wind` a whole number of mph in m/s as a spreadsheet computes
/// it (shortest f64 text: `4.4704` or `10.281920000000001`), `count` 0 to 999 and `flag` 0
/// or 1. About 75 bytes a row; the same bytes on every machine.
pub fn ten_column_csv(rows: usize) -> CsvFile {
    let (x, y) = xy(rows, 61);
    let mut state = 62;
    let mut bytes = Vec::with_capacity(rows * 76 + 48);
    bytes.extend_from_slice(b"id,time,x,hour,temp,y,humid,wind,count,flag\n");
    for (i, (&x, &y)) in x.iter().zip(&y).enumerate() {
        let temp = (unit_f32(&mut state) * 600.0).floor() - 200.0;
        let humid = (unit_f32(&mut state) * 10_000.0).floor();
        let mph = (unit_f64(&mut state) * 35.0).floor();
        let count = (unit_f32(&mut state) * 1000.0) as u32;
        let flag = u8::from(unit_f32(&mut state) < 0.1);
        let _ = write!(bytes, "{},{},", i + 1, 1_700_000_000 + 600 * i);
        push_f32(&mut bytes, x);
        let _ = write!(bytes, ",{},", i / 6 % 24);
        push_f32(&mut bytes, temp / 10.0);
        bytes.push(b',');
        push_f32(&mut bytes, y);
        bytes.push(b',');
        push_f32(&mut bytes, humid / 100.0);
        let _ = writeln!(bytes, ",{},{count},{flag}", mph * 0.44704);
    }
    CsvFile { bytes, x, y }
}

/// `rows` inputs uniform on `[0, 5)` and targets `x (3 - x) / 2 + (u - 1/2)`.
fn xy(rows: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut state = seed;
    (0..rows)
        .map(|_| {
            let x = 5.0 * unit_f32(&mut state);
            (x, x * (3.0 - x) / 2.0 + (unit_f32(&mut state) - 0.5))
        })
        .unzip()
}

/// Appends `v` as `nw_data`'s writers write an f32: the shortest text that parses back to the
/// same bits, Rust's `{}` (`0.1`, `3.1000001`), or its `{:e}` (`1e-7`) below `1e-5` and from
/// `1e16` on in magnitude.
pub fn push_f32(bytes: &mut Vec<u8>, v: f32) {
    let a = v.abs();
    let _ = if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(bytes, "{v}")
    } else {
        write!(bytes, "{v:e}")
    };
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
                for peer in case.peers {
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
    fn bounds_are_measured_cases_on_the_same_threads() {
        for case in CASES {
            let Some(bound) = case.bound else { continue };
            assert!(CASES.contains(bound), "{} bound not measured", case.shape());
            assert_eq!(bound.threads, case.threads, "{}", case.shape());
            assert!(bound.bound.is_none(), "a bound has no bound");
            if case.group == &POOL_ND {
                assert_eq!(bound.group, &POOL_ND_BOUND);
                assert_eq!(bound.dims[0], case.dims[0], "the same d");
            } else {
                assert_eq!(bound, &EXP_CASE);
            }
        }
        assert_eq!(cases_in(POOL_ND.name).count(), 6);
        let bound = |d: usize| {
            cases_in(POOL_ND.name)
                .filter(|c| c.dims[0] == d)
                .all(|c| c.bound.is_some_and(|b| b.dims[0] == d))
        };
        assert!(bound(2) && bound(4) && bound(8));
        assert_eq!(pairs(ND_BOUND_QUERIES, ND_BOUND_KEYS), 1 << 22);
    }

    /// Every goal's group is measured, and against the goal's peer.
    #[test]
    fn goals_name_measured_groups_and_their_peers() {
        for goal in GOALS {
            let cases: Vec<&Case> = cases_in(goal.group.name).collect();
            assert!(!cases.is_empty(), "{} is not measured", goal.group.name);
            assert!(
                cases.iter().all(|c| c.peers.contains(&goal.peer)),
                "{} is not measured beside {}",
                goal.group.name,
                goal.peer.name
            );
        }
        let counted = |g: &Group| {
            cases_in(g.name)
                .all(|c| c.work == pairs(c.dims[c.dims.len() - 2], c.dims[c.dims.len() - 1]))
        };
        assert!(counted(&LOCAL_LINEAR) && counted(&LOCAL_LINEAR_ND) && counted(&LOCAL_QUADRATIC));
    }

    /// Each `bandwidth_nd` case names a file of the workspace with as many rows as the case
    /// says, and the columns it fits.
    #[test]
    fn data_fits_match_their_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(cases_in(BANDWIDTH_ND.name).count(), DATA_FITS.len());
        for case in cases_in(BANDWIDTH_ND.name) {
            let fit = data_fit(case).expect("data for every case");
            assert_eq!(fit.inputs.len(), case.dims[1], "{}", case.shape());
            let text = std::fs::read_to_string(root.join(fit.file)).expect(fit.file);
            let mut lines = text.lines();
            let header: Vec<&str> = lines
                .next()
                .expect("a header")
                .split(',')
                .map(|c| c.trim_matches('"'))
                .collect();
            for column in fit.inputs.iter().chain([&fit.target]) {
                assert!(header.contains(column), "{}: no {column}", fit.file);
            }
            let rows = lines.filter(|l| !l.trim().is_empty()).count();
            assert_eq!(rows, case.dims[0], "{}", fit.file);
        }
    }

    /// The sweep cases name kernels as the library names them: `sweep_pool` every kernel at
    /// both bandwidths, the others a few, and each comparison has its peer.
    #[test]
    fn sweep_variants_name_the_library_kernels() {
        use nw_tensor::kernels::radial::KernelKind;
        let names: Vec<&str> = KernelKind::ALL.iter().map(|k| k.name()).collect();
        let variant = |c: &Case| {
            sweep_variant(c.variant).unwrap_or_else(|| panic!("{}: no kernel-bandwidth", c.shape()))
        };
        let pool: Vec<(&str, f64)> = cases_in(SWEEP_POOL.name).map(variant).collect();
        assert_eq!(pool.len(), 2 * names.len());
        for name in &names {
            for (_, share) in SWEEP_BANDWIDTHS {
                assert!(pool.contains(&(name, share)), "{name} at {share} h0");
            }
        }
        for case in cases_in(SWEEP_VS_DIRECT.name) {
            assert!(names.contains(&variant(case).0), "{}", case.shape());
            assert_eq!(case.peers, [&DIRECT]);
        }
        for case in cases_in(SWEEP_CV.name) {
            assert!(names.contains(&case.variant), "{}", case.shape());
        }
        assert!(cases_in(SWEEP_CV.name).any(|c| c.peers == [&DIRECT]));
        // Only the sweep groups have variants.
        assert!(
            CASES
                .iter()
                .all(|c| c.variant.is_empty() != c.group.name.starts_with("sweep"))
        );
        assert_eq!(sweep_variant("laplace-0.1h0"), Some(("laplace", 0.1)));
        assert_eq!(sweep_variant("laplace"), None);
        assert_eq!(sweep_variant("laplace-h1"), None);
        let first = cases_in(SWEEP_POOL.name).next().expect("a sweep_pool case");
        assert_eq!(
            first.full_id(OURS, 2),
            "sweep_pool/gaussian-h0-1000000x1000000/ours/2t"
        );
    }

    #[test]
    fn split_ids_name_the_step_and_its_threads() {
        let split = &SPLITS[0];
        assert_eq!(
            split.full_id(&READ_STEP, 2),
            "predict/2000x200000/read/1t",
            "reading is sequential: one id whatever the threads"
        );
        assert_eq!(split.full_id(&POOL_STEP, 2), "predict/2000x200000/pool/2t");
        let mut ids: Vec<String> = SPLITS
            .iter()
            .flat_map(|s| {
                s.threads
                    .iter()
                    .flat_map(move |&t| s.steps.iter().map(move |step| s.full_id(step, t)))
            })
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        let case_ids: Vec<String> = CASES.iter().map(|c| c.full_id(OURS, 1)).collect();
        assert!(ids.iter().all(|id| !case_ids.contains(id)));
    }

    #[test]
    fn read_files_are_the_size_the_table_says() {
        for case in cases_in(READ.name) {
            let &[rows, columns, used] = case.dims else {
                panic!("read case {} must have 3 dims", case.shape())
            };
            let file = match columns {
                2 => two_column_csv(rows),
                10 => ten_column_csv(rows),
                _ => panic!("no file of {columns} columns"),
            };
            assert_eq!(used, 2);
            assert_eq!(file.bytes.len() as u64, case.work, "{}", case.shape());
            let lines = file.bytes.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(lines, rows + 1);
        }
    }

    /// Every field of both files is what its column promises, and `x` and `y` parse back
    /// (with the standard library, an independent reader) to the values returned.
    #[test]
    fn read_files_hold_what_they_promise() {
        let rows = 20_000;
        let two = two_column_csv(rows);
        let ten = ten_column_csv(rows);
        assert_eq!((&two.x, &two.y), (&ten.x, &ten.y));
        let text = std::str::from_utf8(&ten.bytes).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id,time,x,hour,temp,y,humid,wind,count,flag")
        );
        let mut widths = [(usize::MAX, 0); 10];
        for (i, line) in lines.enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 10, "{line}");
            for (w, field) in widths.iter_mut().zip(&f) {
                *w = (w.0.min(field.len()), w.1.max(field.len()));
            }
            assert_eq!(f[0].parse::<usize>().unwrap(), i + 1);
            assert_eq!(f[1].parse::<usize>().unwrap(), 1_700_000_000 + 600 * i);
            assert_eq!(f[2].parse::<f32>().unwrap(), ten.x[i]);
            assert!(f[3].parse::<u32>().unwrap() < 24);
            let temp: f64 = f[4].parse().unwrap();
            assert!(
                (-20.0..40.0).contains(&temp) && (temp * 10.0 - (temp * 10.0).round()).abs() < 1e-3
            );
            assert_eq!(f[5].parse::<f32>().unwrap(), ten.y[i]);
            let humid: f64 = f[6].parse().unwrap();
            assert!((0.0..100.0).contains(&humid));
            let mph = f[7].parse::<f64>().unwrap() / 0.44704;
            assert!((mph - mph.round()).abs() < 1e-9 && mph < 35.0, "{}", f[7]);
            assert!(f[8].parse::<u32>().unwrap() < 1000);
            assert!(f[9] == "0" || f[9] == "1");
        }
        // Mixed widths, as promised: id 1 to 5 digits here, time 10, wind up to 18.
        assert_eq!(widths[0], (1, 5));
        assert_eq!(widths[1], (10, 10));
        assert!(widths[7].1 >= 17, "{:?}", widths[7]);
        assert_eq!(widths[9], (1, 1));
        for (i, line) in std::str::from_utf8(&two.bytes).unwrap().lines().enumerate() {
            if i == 0 {
                assert_eq!(line, "x,y");
                continue;
            }
            let (x, y) = line.split_once(',').unwrap();
            assert_eq!(x.parse::<f32>().unwrap(), two.x[i - 1]);
            assert_eq!(y.parse::<f32>().unwrap(), two.y[i - 1]);
            let x = two.x[i - 1];
            assert!((0.0..5.0).contains(&x));
            assert!((two.y[i - 1] - x * (3.0 - x) / 2.0).abs() <= 0.5);
        }
    }

    #[test]
    fn numbers_are_written_as_nw_writes_them() {
        let text = |v: f32| {
            let mut b = Vec::new();
            push_f32(&mut b, v);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(-0.0), "-0");
        assert_eq!(text(3.1000001), "3.1000001");
        assert_eq!(text(1e-7), "1e-7");
        assert_eq!(text(3.4028235e38), "3.4028235e38");
        assert_eq!(text(123456.0), "123456");
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
