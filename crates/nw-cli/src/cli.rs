//! The command line, as clap sees it: parsed arguments and their first checks. Each command's
//! module turns them into validated options and does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Nadaraya-Watson kernel regression as attention pooling (after the d2l.ai chapter).
#[derive(Debug, Parser)]
#[command(name = "nw", version, about, long_about = None)]
pub struct Cli {
    /// No progress lines, per-epoch lines or notes of what was written; warnings and errors
    /// still print.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The most memory a command may plan to use (e.g. 512M, 8G) before it refuses to start:
    /// the weight matrix of --weights, the chapter's tensors of --path chapter, generated
    /// data [default: half this machine's memory].
    #[arg(long, value_name = "SIZE", global = true, value_parser = crate::limits::parse_size)]
    pub max_memory: Option<u64>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chapter end to end: data, three poolings, training, six figures (and exercise
    /// 4's adaptive pooling, three more).
    Demo(DemoArgs),
    /// Write the chapter's synthetic data as CSV (`x,y`).
    Generate(GenerateArgs),
    /// Predict query points by attention pooling over a training set.
    Predict(PredictArgs),
    /// Train parametric pooling's scale `w` on the leave-one-out loss, as the chapter does.
    Train(TrainArgs),
    /// Exercise 1: test error of nonparametric pooling as the training set grows.
    Sweep(SweepArgs),
    /// Choose a bandwidth: leave-one-out cross-validation or a rule of thumb.
    Bandwidth(BandwidthArgs),
    /// Draw a figure from CSV files you already have.
    Plot(PlotArgs),
    /// Say which instruction set the kernels run on, and why.
    Info(InfoArgs),
}

/// `nw info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print a JSON object instead of lines of text.
    #[arg(long)]
    pub json: bool,
}

/// Image format of the figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Portable Network Graphics.
    Png,
    /// Scalable Vector Graphics.
    Svg,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// `nw demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the figures (created if missing).
    #[arg(long, value_name = "DIR", default_value = "figures")]
    pub out: PathBuf,
    /// Seed of the training data and of the initial `w`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of training examples.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub n_train: u64,
    /// Use the chapter's own data set (PyTorch's draw, shipped with nw) and w0 = 0.5, the
    /// run PyTorch's reference results come from: prints the chapter's numbers exactly.
    #[arg(long, conflicts_with_all = ["seed", "n_train"])]
    pub reference: bool,
    /// Image format of the figures.
    #[arg(long, value_enum, default_value_t = Format::Png)]
    pub format: Format,
}

/// `nw generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of training examples.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub n_train: u64,
    /// Seed of the generator; the same seed gives the same bits everywhere.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the training set (`x,y`).
    #[arg(long, value_name = "FILE")]
    pub train_out: PathBuf,
    /// Where to write the test grid 0, 0.1, ..., 4.9 with its noise-free truth (`x,y`).
    #[arg(long, value_name = "FILE")]
    pub test_out: Option<PathBuf>,
}

/// The attention kernel, `K(u)` of the scaled distance `u = |q - k| / h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// exp(-u^2/2) / sqrt(2 pi), the chapter's.
    Gaussian,
    /// 3/4 (1 - u^2) on |u| <= 1.
    Epanechnikov,
    /// 1/2 on |u| <= 1 (box).
    Uniform,
    /// 1 - |u| on |u| <= 1.
    Triangular,
    /// 15/16 (1 - u^2)^2 on |u| <= 1 (quartic).
    Biweight,
    /// 35/32 (1 - u^2)^3 on |u| <= 1.
    Triweight,
    /// 70/81 (1 - |u|^3)^3 on |u| <= 1.
    Tricube,
    /// pi/4 cos(pi u / 2) on |u| <= 1.
    Cosine,
    /// exp(-|u|) / 2 (exponential).
    Laplace,
}

impl KernelArg {
    /// The library's kernel.
    pub fn kind(self) -> nw_model::KernelKind {
        use nw_model::KernelKind as K;
        match self {
            KernelArg::Gaussian => K::Gaussian,
            KernelArg::Epanechnikov => K::Epanechnikov,
            KernelArg::Uniform => K::Uniform,
            KernelArg::Triangular => K::Triangular,
            KernelArg::Biweight => K::Biweight,
            KernelArg::Triweight => K::Triweight,
            KernelArg::Tricube => K::Tricube,
            KernelArg::Cosine => K::Cosine,
            KernelArg::Laplace => K::Laplace,
        }
    }
}

/// What a query with no kernel estimate (no training input within a compact kernel's reach)
/// gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FarArg {
    /// Fail, naming the first such query: nothing that could pass for an estimate.
    Error,
    /// NaN in the output (written as `NaN`; `null` in JSON).
    Nan,
    /// The target of the nearest training input.
    Nearest,
    /// The mean of all training targets.
    Mean,
}

impl FarArg {
    /// The library's policy.
    pub fn policy(self) -> nw_model::Far {
        match self {
            FarArg::Error => nw_model::Far::Error,
            FarArg::Nan => nw_model::Far::Nan,
            FarArg::Nearest => nw_model::Far::Nearest,
            FarArg::Mean => nw_model::Far::Mean,
        }
    }
}

/// Bandwidths given (one for every input, or one per input), or `auto` for the
/// cross-validated choice.
#[derive(Clone, Debug, PartialEq)]
pub enum BandwidthArg {
    /// These bandwidths: one, or one per input column.
    Values(Vec<f32>),
    /// Chosen by leave-one-out cross-validation on the training set.
    Auto,
}

impl BandwidthArg {
    /// The one bandwidth of a single input, or an error naming the list.
    pub fn single(&self) -> Result<Option<f32>, String> {
        match self {
            BandwidthArg::Auto => Ok(None),
            BandwidthArg::Values(v) if v.len() == 1 => Ok(Some(v[0])),
            BandwidthArg::Values(v) => Err(format!(
                "--bandwidth gives {} bandwidths, but there is one input column",
                v.len()
            )),
        }
    }
}

/// How Nadaraya-Watson sums over one input (see `nw_model::algorithm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    /// The faster of the two by a cost model where the sweep applies; direct elsewhere.
    #[default]
    Auto,
    /// Every query-key pair within the kernel's reach (the path before sweeps).
    Direct,
    /// Sorted sweeps over prefix sums: one input, degree 0, one bandwidth; an error elsewhere.
    Sweep,
}

impl AlgorithmArg {
    /// The library's choice.
    pub fn kind(self) -> nw_model::Algorithm {
        match self {
            AlgorithmArg::Auto => nw_model::Algorithm::Auto,
            AlgorithmArg::Direct => nw_model::Algorithm::Direct,
            AlgorithmArg::Sweep => nw_model::Algorithm::Sweep,
        }
    }
}

/// Which pooling predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PoolingKind {
    /// The mean of the training targets, for every query.
    Average,
    /// Nadaraya-Watson with a Gaussian kernel of bandwidth `--bandwidth`.
    Nonparametric,
    /// The kernel with scale `--w` (as learned by `nw train`).
    Parametric,
    /// The kernel with bandwidth h(x) = exp(a + b (x - center)) (as learned by `nw train
    /// --model adaptive`): --a, --b, --center.
    Adaptive,
}

/// How data files are read: which columns, and the file's dialect. Shared by every command
/// that reads a training set (and `nw predict`'s queries, which take the same `--x`).
#[derive(Clone, Debug, Args)]
pub struct ReadArgs {
    /// The input column, by name or 1-based number [default: `x`, or the first of a file's
    /// two columns]. A comma-separated list names several inputs (`--x lstat,rm`).
    #[arg(long = "x", value_name = "COLUMN[,...]", value_delimiter = ',', value_parser = column)]
    pub x: Vec<nw_data::ColumnRef>,
    /// The target column, by name or 1-based number [default: `y`, or the second of a
    /// file's two columns].
    #[arg(long = "y", value_name = "COLUMN", value_parser = column)]
    pub y: Option<nw_data::ColumnRef>,
    /// The field delimiter: `,`, `;`, `tab` or another single character [default: the most
    /// frequent of `,`, `;` and tab in the header line].
    #[arg(long, value_name = "CHAR", value_parser = delimiter)]
    pub delimiter: Option<u8>,
    /// Numbers have a decimal comma (`1,5`), as European spreadsheets export them (with `;`
    /// between fields).
    #[arg(long)]
    pub decimal_comma: bool,
    /// What a missing value in a chosen column does: an empty field, NA, NaN, nan, null or
    /// N/A.
    #[arg(long, value_enum, default_value_t = MissingArg::Error)]
    pub missing: MissingArg,
}

/// What `--missing` does with a row whose chosen column has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MissingArg {
    /// Refuse the file, naming the line.
    Error,
    /// Leave the row out, and say how many were left out.
    Drop,
}

impl ReadArgs {
    /// The reader's options.
    pub fn options(&self) -> nw_data::ReadOptions {
        nw_data::ReadOptions {
            delimiter: self.delimiter,
            decimal_comma: self.decimal_comma,
            missing: match self.missing {
                MissingArg::Error => nw_data::Missing::Error,
                MissingArg::Drop => nw_data::Missing::Drop,
            },
        }
    }
}

/// `nw predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Training set: a CSV file with columns `x` and `y` (or see --x, --y; `-`: standard
    /// input).
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Query points: a CSV file with the input column (`x`, or the one --x names; other
    /// columns are ignored; `-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub query: PathBuf,
    /// Columns and dialect of both files.
    #[command(flatten)]
    pub read: ReadArgs,
    /// The pooling.
    #[arg(long, value_enum, default_value_t = PoolingKind::Nonparametric)]
    pub pooling: PoolingKind,
    /// Bandwidth `h` of nonparametric pooling (one for every input, or a comma-separated list
    /// with one per --x input: `0.5,2`), or `auto` for the leave-one-out cross-validated
    /// choice [default: 1, the chapter's].
    #[arg(long, value_name = "H[,...]|auto", value_parser = bandwidth, allow_hyphen_values = true)]
    pub bandwidth: Option<BandwidthArg>,
    /// The kernel.
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    pub kernel: KernelArg,
    /// What a query with no training input within the kernel's reach gets.
    #[arg(long, value_enum, default_value_t = FarArg::Error)]
    pub far: FarArg,
    /// Add per-query diagnostics: the log of the kernel-weight sum, the effective number of
    /// keys, and the distance to the nearest key (JSON fields, or CSV columns with --out). With
    /// several inputs that distance is in bandwidths: Euclidean for the Gaussian, summed for
    /// the Laplace, the largest of the inputs' for the compact kernels.
    #[arg(long)]
    pub diagnostics: bool,
    /// Scale `w` of parametric pooling (its bandwidth is 1/|w|).
    #[arg(long, value_name = "W", value_parser = finite, allow_hyphen_values = true)]
    pub w: Option<f32>,
    /// Adaptive pooling's log-bandwidth at the center, `a`.
    #[arg(long, value_name = "A", value_parser = finite, allow_hyphen_values = true)]
    pub a: Option<f32>,
    /// Adaptive pooling's slope of the log-bandwidth, `b` [default: 0].
    #[arg(long, value_name = "B", value_parser = finite, allow_hyphen_values = true)]
    pub b: Option<f32>,
    /// Adaptive pooling's center `c`, in the input's own units [default: 0].
    #[arg(long, value_name = "C", value_parser = finite64, allow_hyphen_values = true)]
    pub center: Option<f64>,
    /// Write the predictions here as CSV (`x,y_hat`, in query order; with several inputs their
    /// columns, then `y_hat`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the attention weights here as CSV: a row per query (`x`, or with several inputs
    /// the query's number `query`, then one column per training example).
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Print the predictions and the parameters used as JSON.
    #[arg(long)]
    pub json: bool,
    /// How the attention pooling is computed (both give the same numbers to f32 rounding).
    #[arg(long, value_enum, default_value_t = PathKind::Fused)]
    pub path: PathKind,
    /// How the kernel sums over one input: auto (sweep where a cost model says it pays),
    /// direct (every pair in reach) or sweep (sorted prefix sums; one input, degree 0).
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Auto)]
    pub algorithm: AlgorithmArg,
    /// With --bandwidth auto: the largest share of examples that CV may leave out for having
    /// no other within a compact kernel's reach (0: none).
    #[arg(long, value_name = "SHARE", default_value_t = 0.01, value_parser = share)]
    pub max_isolated: f64,
    /// The local polynomial fitted at each query: 0 (Nadaraya-Watson, local constant), 1
    /// (local linear, any number of inputs) or 2 (local quadratic, one input).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub degree: u8,
    /// With --bandwidth auto: the criterion, leave-one-out CV or the corrected AIC.
    #[arg(long, value_enum, default_value_t = CriterionArg::Cv)]
    pub method: CriterionArg,
    /// Add the local fit's slope in each input, `dy_d<input>` (degree 1 or 2).
    #[arg(long)]
    pub slopes: bool,
    /// The confidence band: --bands and its options.
    #[command(flatten)]
    pub band: BandArgs,
    /// Also report the fit's R^2, corrected AIC and effective number of parameters (one
    /// more pass over the training rows): in the JSON, or on stderr.
    #[arg(long)]
    pub fit_stats: bool,
}

/// A confidence band's flags, shared by `nw predict` and `nw plot regression` so both build
/// the same band from the same words.
#[derive(Clone, Debug, Args)]
pub struct BandArgs {
    /// Add a confidence band (`nw predict`: columns `se`, `lo`, `hi` and JSON fields; `nw
    /// plot regression`: a shaded area).
    #[arg(long, value_enum)]
    pub bands: Option<BandsArg>,
    /// The band's confidence level.
    #[arg(long, default_value_t = 0.95, value_parser = level, requires = "bands")]
    pub level: f64,
    /// Bootstrap replicates of --bands bootstrap.
    #[arg(long, default_value_t = 999, value_parser = clap::value_parser!(u64).range(1..=100_000), requires = "bands")]
    pub replicates: u64,
    /// Seed of the bootstrap's multipliers.
    #[arg(long, default_value_t = 0, requires = "bands")]
    pub seed: u64,
    /// The wild bootstrap's multipliers.
    #[arg(long, value_enum, default_value_t = MultipliersArg::Rademacher, requires = "bands")]
    pub multipliers: MultipliersArg,
    /// A band simultaneous over the queries given (not the curve between them), instead of
    /// one pointwise at each: the bootstrap's sup-t, or Bonferroni's (conservative) for
    /// --bands asymptotic.
    #[arg(long, requires = "bands")]
    pub simultaneous: bool,
    /// The noise variance the band assumes: one for all (homoscedastic), varying with the
    /// inputs (the squared residuals smoothed by the same kernel), or each training row's own
    /// squared residual (the sandwich; with --bands bootstrap, the classical wild bootstrap).
    #[arg(long, value_enum, default_value_t = VarianceArg::Heteroscedastic, requires = "bands")]
    pub variance: VarianceArg,
    /// The smoothing bias: `correct` centers the band on the local quadratic fit at the same
    /// bandwidth (one input; docs/local-polynomial.md says what it covers), `ignore` on the
    /// model's own fit (the band then covers the fit's expectation, not the function)
    /// [default: correct with one input, ignore with several].
    #[arg(long, value_enum, requires = "bands")]
    pub bias: Option<BiasArg>,
}

/// The criterion of `--bandwidth auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CriterionArg {
    /// Leave-one-out cross-validation.
    Cv,
    /// Hurvich, Simonoff and Tsai's corrected AIC.
    Aic,
}

/// `--bands`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BandsArg {
    /// Normal quantiles of the linear smoother's standard error.
    Asymptotic,
    /// The wild bootstrap: every replicate a weighted sum in the same pass, of multipliers
    /// on the noise sd that --variance models (each row's own residual with residuals).
    Bootstrap,
}

/// `--multipliers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MultipliersArg {
    /// +1 or -1, equally likely.
    Rademacher,
    /// Mammen's two-point law (mean 0, variance 1, third moment 1).
    Mammen,
}

/// `--variance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VarianceArg {
    /// One noise variance, from the residuals.
    Homoscedastic,
    /// The squared residuals smoothed by the model's kernel.
    Heteroscedastic,
    /// Each row's own squared residual.
    Residuals,
}

/// `--bias`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BiasArg {
    /// Center the band on the local quadratic fit (one input).
    Correct,
    /// Center it on the model's own fit.
    Ignore,
}

/// The optimizer for `nw train`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerKind {
    /// Plain gradient descent, as in the chapter.
    Sgd,
    /// Adam with PyTorch's default betas.
    Adam,
}

/// How attention pooling is computed, in `nw predict` and in each epoch of `nw train`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathKind {
    /// One fused streaming pass, never building the weight matrix: O(queries + keys) memory,
    /// the fastest.
    Fused,
    /// The chapter's tensors: keys repeated per query, the weight matrix, then bmm;
    /// O(queries x keys) memory.
    Chapter,
}

/// `nw train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training set: a CSV file with columns `x` and `y` (or see --x, --y; `-`: standard
    /// input).
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Columns and dialect of the training file.
    #[command(flatten)]
    pub read: ReadArgs,
    /// What is learned.
    #[arg(long, value_enum, default_value_t = ModelArg::Scale)]
    pub model: ModelArg,
    /// The kernel.
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    pub kernel: KernelArg,
    /// Initial `w` of the scale model [default: uniform on [0, 1) from --seed, like the
    /// chapter's torch.rand].
    #[arg(long, value_name = "W", value_parser = finite, allow_hyphen_values = true, conflicts_with = "seed")]
    pub w0: Option<f32>,
    /// Seed of the initial `w` when --w0 is not given.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of epochs (full-batch gradient steps) [default: 5 for the scale, as in the
    /// chapter; 300 for the others].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub epochs: Option<u64>,
    /// Learning rate [default: 0.5 with sgd, 0.05 with adam].
    #[arg(long, value_parser = positive, allow_hyphen_values = true)]
    pub lr: Option<f32>,
    /// The optimizer [default: sgd for the scale, as in the chapter; adam for the others].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// How each epoch is computed (both give the same numbers).
    #[arg(long, value_enum, default_value_t = PathKind::Fused)]
    pub path: PathKind,
    /// How the kernel sums over one input: auto (sweep where a cost model says it pays),
    /// direct (every pair in reach) or sweep (sorted prefix sums; one input, degree 0).
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Auto)]
    pub algorithm: AlgorithmArg,
    /// Print the epochs and the learned `w` as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the epochs here as CSV (`epoch,loss,grad,w`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Draw the training-loss curve here (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// What `nw train` learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// The chapter's scale `w` of parametric pooling (bandwidth 1/|w|).
    Scale,
    /// One log-bandwidth ln h per input column (exercise 4, for any kernel; with several --x
    /// columns, the only model).
    LogBandwidth,
    /// A bandwidth that varies with x, ln h(x) = a + b (x - mean x) (exercise 4).
    Adaptive,
}

/// `nw sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Training-set sizes, comma-separated.
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_value = "50,500,5000,50000", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub n_train: Vec<u64>,
    /// Bandwidths, comma-separated: one curve each.
    #[arg(long, value_name = "H,...", value_delimiter = ',', default_value = "1", value_parser = bandwidth_value, allow_hyphen_values = true)]
    pub bandwidth: Vec<f32>,
    /// Seed of the training data.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Draw test MSE against training-set size on log-log axes here (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// How `nw bandwidth` chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Leave-one-out cross-validation, searched for its global minimum.
    Cv,
    /// Silverman's rule of thumb, 0.9 min(s, IQR/1.349) n^(-1/5).
    Silverman,
    /// Scott's rule of thumb, 1.06 sd n^(-1/5).
    Scott,
    /// Hurvich, Simonoff and Tsai's corrected AIC, searched as CV is.
    Aic,
}

/// `nw bandwidth`.
#[derive(Debug, Args)]
pub struct BandwidthArgs {
    /// Training set: a CSV file with columns `x` and `y` (or see --x, --y; `-`: standard
    /// input).
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Columns and dialect of the training file.
    #[command(flatten)]
    pub read: ReadArgs,
    /// The kernel.
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    pub kernel: KernelArg,
    /// How to choose.
    #[arg(long, value_enum, default_value_t = MethodArg::Cv)]
    pub method: MethodArg,
    /// The local polynomial whose bandwidth is chosen: 0 (Nadaraya-Watson), 1 (local
    /// linear) or 2 (local quadratic, one input).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub degree: u8,
    /// Print the choice (and, for cv, the whole curve) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Draw CV against the bandwidth on a log axis, the choice marked (.png or .svg; cv
    /// only).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Also report the leave-one-out CV at a rule of thumb's bandwidth (one pass over all
    /// pairs within reach: quadratic in the worst case, so only on request).
    #[arg(long)]
    pub cv: bool,
    /// The largest share of examples that CV may leave out for having no other within a
    /// compact kernel's reach (0: none, the strict rule).
    #[arg(long, value_name = "SHARE", default_value_t = 0.01, value_parser = share)]
    pub max_isolated: f64,
    /// How the kernel sums over one input: auto (sweep where a cost model says it pays),
    /// direct (every pair in reach) or sweep (sorted prefix sums; one input, degree 0).
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Auto)]
    pub algorithm: AlgorithmArg,
}

/// `nw plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Which figure.
    #[command(subcommand)]
    pub figure: Figure,
}

/// The figures `nw plot` draws.
#[derive(Debug, Subcommand)]
pub enum Figure {
    /// Truth and prediction curves over the training points, as in the chapter; or a fit
    /// nw makes itself, with a confidence band and a second fit to compare.
    ///
    /// With --pred, the file's predictions are drawn as they are. Without it, nw fits the
    /// local polynomial of --degree on --train (bandwidth --bandwidth, cross-validated by
    /// default) and draws it at --truth's inputs, or at 400 points across the training
    /// inputs; --bands shades its confidence band, and --compare-degree draws a second local
    /// polynomial on the same data, with its own bandwidth and its own band, beside it
    /// (`--degree 1 --compare-degree 0`: local linear against Nadaraya-Watson).
    ///
    /// The axes are the chapter's (x from 0 to 5, y from -1 to 5) when every point fits in
    /// them, so its data give its figures; otherwise both follow the data (training points,
    /// predictions, bands and truth) with a 5% margin. Tick labels of a narrow range far from
    /// zero (Unix seconds) are written relative to an offset the axis label names
    /// (`x − 1.7e9`).
    Regression {
        /// Training points: CSV with columns `x` and `y` (or see --x, --y; `-`: standard
        /// input).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// Columns and dialect of the training file (and of --truth).
        #[command(flatten)]
        read: ReadArgs,
        /// Predictions: CSV with columns `x` and `y_hat` (as `nw predict --out` writes; `-`:
        /// standard input). Without it, nw fits the model itself (--degree, --bandwidth).
        #[arg(long, value_name = "FILE")]
        pred: Option<PathBuf>,
        /// Without --pred: bandwidth `h` of the fit, or `auto` for the leave-one-out
        /// cross-validated choice, made for each fit on its own [default: auto].
        #[arg(long, value_name = "H|auto", value_parser = bandwidth, allow_hyphen_values = true, conflicts_with = "pred")]
        bandwidth: Option<BandwidthArg>,
        /// Without --pred: the kernel.
        #[arg(long, value_enum, default_value_t = KernelArg::Gaussian, conflicts_with = "pred")]
        kernel: KernelArg,
        /// Without --pred: the local polynomial fitted, 0 (Nadaraya-Watson), 1 (local linear)
        /// or 2 (local quadratic).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2), conflicts_with = "pred")]
        degree: u8,
        /// Without --pred: also fit the local polynomial of this degree and draw it (solid
        /// green) beside the --degree fit (dashed magenta), at its own bandwidth (with
        /// --bandwidth auto its own CV choice) and, with --bands, with its own band.
        #[arg(long, value_name = "DEGREE", value_parser = clap::value_parser!(u8).range(0..=2), conflicts_with = "pred")]
        compare_degree: Option<u8>,
        /// Without --pred: the confidence band of each fit, shaded in its colour.
        #[command(flatten)]
        band: BandArgs,
        /// The true curve: CSV with the training file's columns (as `nw generate --test-out`
        /// writes; `-`: standard input).
        #[arg(long, value_name = "FILE")]
        truth: Option<PathBuf>,
        /// Description of the x axis (default: the name of the training file's x column).
        #[arg(long, value_name = "TEXT")]
        xlabel: Option<String>,
        /// Description of the y axis (default: the name of the training file's y column).
        #[arg(long, value_name = "TEXT")]
        ylabel: Option<String>,
        /// Title above the plot.
        #[arg(long)]
        title: Option<String>,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Attention weights as a heatmap: queries down, keys across.
    ///
    /// An axis is called sorted only when its inputs are: the queries when the weights'
    /// column `x` never decreases, the keys when `--train` is given and its x never decreases.
    /// Otherwise the axes say the rows and columns are in file order.
    Heatmap {
        /// Weights: CSV with one column per key and a row per query; a column `x` (as
        /// `nw predict --weights` writes) is taken as the queries and not drawn (`-`: standard
        /// input).
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// The training file the weights came from (columns `x` and `y`, a row per key column, in
        /// the columns' order): tells whether the keys are sorted (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        train: Option<PathBuf>,
        /// Title above the plot.
        #[arg(long)]
        title: Option<String>,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// A fitted surface over two inputs: the predictions on a grid over the inputs' range as
    /// a heatmap, the training points on top (grey where there is no estimate).
    Surface {
        /// Training set: CSV with the two --x columns and the --y column (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// Columns and dialect of the training file: --x names the two inputs (`--x lstat,rm`).
        #[command(flatten)]
        read: ReadArgs,
        /// Bandwidths (one for both inputs, or one each: `2,0.5`), or `auto` for the
        /// leave-one-out cross-validated choice [default: auto].
        #[arg(long, value_name = "H[,H]|auto", value_parser = bandwidth, allow_hyphen_values = true)]
        bandwidth: Option<BandwidthArg>,
        /// The kernel.
        #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
        kernel: KernelArg,
        /// Grid points along each input.
        #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(u32).range(2..=2000))]
        grid: u32,
        /// Title above the plot.
        #[arg(long)]
        title: Option<String>,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The prediction along one input, the others held at their medians (a partial
    /// dependence slice), over the training points.
    Partial {
        /// Training set: CSV with the --x columns and the --y column (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// Columns and dialect of the training file: --x names every input of the model.
        #[command(flatten)]
        read: ReadArgs,
        /// The input to vary: one of the --x columns by name, or by its place in the --x
        /// list counting from 1 [default: the first].
        #[arg(long, value_name = "COLUMN", value_parser = column)]
        along: Option<nw_data::ColumnRef>,
        /// Bandwidths (one for every input, or one each), or `auto` for the leave-one-out
        /// cross-validated choice [default: auto].
        #[arg(long, value_name = "H[,...]|auto", value_parser = bandwidth, allow_hyphen_values = true)]
        bandwidth: Option<BandwidthArg>,
        /// The kernel.
        #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
        kernel: KernelArg,
        /// Title above the plot.
        #[arg(long)]
        title: Option<String>,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Summed training loss against epoch.
    Loss {
        /// Epochs: CSV with columns `epoch` and `loss` (as `nw train --out` writes; `-`:
        /// standard input).
        #[arg(long, value_name = "FILE")]
        epochs: PathBuf,
        /// Title above the plot.
        #[arg(long)]
        title: Option<String>,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// A positive finite f32 (bandwidths, learning rates).
fn positive(s: &str) -> Result<f32, String> {
    match s.trim().parse::<f32>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        Ok(_) => Err("must be a positive finite number".to_string()),
        Err(_) => Err("not a number".to_string()),
    }
}

/// A bandwidth: positive, finite and at least `f32::MIN_POSITIVE` (below it `1 / h` is not a
/// finite f32, which the library refuses; refused here, it is a flag error like the others),
/// or `auto`.
fn bandwidth(s: &str) -> Result<BandwidthArg, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(BandwidthArg::Auto);
    }
    s.split(',')
        .map(bandwidth_value)
        .collect::<Result<Vec<f32>, String>>()
        .map(BandwidthArg::Values)
        .map_err(|e| {
            format!("{e} (give one bandwidth, one per input separated by commas, or `auto`)")
        })
}

/// A bandwidth value: positive, finite and at least `f32::MIN_POSITIVE`.
fn bandwidth_value(s: &str) -> Result<f32, String> {
    match positive(s) {
        Ok(h) if h >= f32::MIN_POSITIVE => Ok(h),
        Ok(_) => Err(format!(
            "must be at least {:e}, the smallest bandwidth whose inverse is a finite f32",
            f32::MIN_POSITIVE
        )),
        Err(e) => Err(e),
    }
}

/// A share in [0, 1).
fn share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        Ok(_) => Err("must be at least 0 and below 1".to_string()),
        Err(_) => Err("not a number".to_string()),
    }
}

/// A confidence level, strictly between 0 and 1.
fn level(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        Ok(_) => Err("must be above 0 and below 1 (0.95 for a 95% band)".to_string()),
        Err(_) => Err("not a number".to_string()),
    }
}

/// A column by name or 1-based number.
fn column(s: &str) -> Result<nw_data::ColumnRef, String> {
    s.parse()
}

/// A field delimiter: one ASCII character other than a quote or a line break; `tab` or `\t`
/// for a tab.
fn delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && !matches!(s, "\"" | "\n" | "\r") => {
            Ok(s.as_bytes()[0])
        }
        _ => Err("must be one ASCII character (`,`, `;`, `|`), or `tab`".to_string()),
    }
}

/// A finite f64.
fn finite64(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("must be a finite number".to_string()),
        Err(_) => Err("not a number".to_string()),
    }
}

/// A finite f32.
fn finite(s: &str) -> Result<f32, String> {
    match s.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("must be a finite number".to_string()),
        Err(_) => Err("not a number".to_string()),
    }
}
