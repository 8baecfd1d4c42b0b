//! `nw predict`: attention pooling of a training set at query points.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use nw_data::{Column, Outputs, input_name};
use nw_model::{
    AdaptivePooling, Attention, AveragePooling, Far, KernelKind, ModelError, NadarayaWatson,
    NonparametricPooling, ParametricPooling, PoolOptions, Pooling, PredictOptions, chapter,
};
use nw_tensor::{Par, Tensor};
use serde_json::{Value, json};

use super::{
    Training, check_paths, check_stdin_inputs, f32_json, f32s_json, json_text, read_queries,
    read_training, report_warnings, resolution_warning, select_bandwidth,
};
use crate::cli::{PathKind, PoolingKind, PredictArgs};

/// Reads, pools, and only then writes: no output file exists unless every result does, and
/// the printed report (JSON, or the predictions without `--out`) is part of that.
pub fn run(args: PredictArgs) -> Result<()> {
    let prints = args.json || args.out.is_none();
    check_stdin_inputs(&[
        ("--train", Some(&args.train)),
        ("--query", Some(&args.query)),
    ])?;
    check_paths(
        &[
            ("--out", args.out.as_deref()),
            ("--weights", args.weights.as_deref()),
            // Its printed report: --weights - beside it would mix two tables in one stream.
            ("standard output", prints.then_some(Path::new("-"))),
        ],
        &[
            ("--train", Some(&args.train)),
            ("--query", Some(&args.query)),
        ],
    )?;
    if args.pooling == PoolingKind::Nonparametric && args.path == PathKind::Fused {
        return run_model(&args);
    }
    if args.degree > 0 || args.slopes || args.band.bands.is_some() || args.fit_stats {
        bail!(
            "--degree, --slopes, --bands and --fit-stats are the estimator's: nonparametric \
             pooling on the fused path (the default --pooling and --path)"
        );
    }
    if args.read.x.len() > 1 {
        bail!(
            "--x names {} input columns: several inputs are fitted by nonparametric pooling \
             on the fused path (the default --pooling and --path)",
            args.read.x.len()
        );
    }
    let algorithm = args.algorithm.kind();
    if args.path == PathKind::Chapter {
        // Before a search with --bandwidth auto, which would sweep for nothing.
        nw_model::algorithm::direct_only(algorithm, "the chapter's tensor path (--path chapter)")?;
    }
    // One status line for the whole run: reading a large file takes seconds too.
    let progress = crate::progress::Progress::new("predict", None);
    progress.set_with(0, "reading the training set".to_string());
    let train = read_training(&args.train, &args.read)?;
    progress.set_with(0, "reading the queries".to_string());
    let query_file = read_queries(&args.query, &args.read, train.origin_x)?;
    // The kernels see inputs measured from the training set's origin.
    let queries = &query_file.shifted;
    let kind = args.kernel.kind();
    // Estimated before any work: the queries x keys matrices these two paths hold.
    let cells = queries.len() as u128 * train.len() as u128;
    // The chapter's tensors serve the kernel poolings of one bandwidth; the others are fused.
    let chapter = matches!(
        args.pooling,
        PoolingKind::Nonparametric | PoolingKind::Parametric
    );
    if args.path == PathKind::Chapter && chapter {
        // Keys and values tiled per query, the repeated queries, two scores in flight, the
        // weights and their copy for bmm.
        crate::limits::check(
            &format!(
                "--path chapter on {} queries x {} keys",
                queries.len(),
                train.len()
            ),
            7 * 4 * cells,
            "drop --path chapter (the fused path needs O(queries + keys))",
        )?;
    } else if args.weights.is_some() {
        crate::limits::check(
            &format!(
                "--weights for {} queries x {} keys",
                queries.len(),
                train.len()
            ),
            4 * cells,
            "drop --weights, or predict fewer queries at a time",
        )?;
    }
    progress.set_with(0, "choosing the pooling".to_string());
    let (pooling, mut params, scale) = pooling(&args, &train)?;
    let options = PoolOptions {
        weights: args.weights.is_some(),
        diagnostics: args.diagnostics,
        far: args.far.policy(),
        par: Par::Rayon,
        algorithm,
    };
    progress.set_with(
        0,
        format!(
            "pooling {} queries over {} keys",
            queries.len(),
            train.len()
        ),
    );
    let out = match (args.path, scale) {
        (PathKind::Chapter, Some(w)) => {
            if kind != KernelKind::Gaussian {
                bail!(
                    "--path chapter is the chapter's tensors, written for the gaussian kernel; \
                     --kernel {} runs on the fused path",
                    kind.name()
                );
            }
            chapter_path(queries, train.x(), train.y(), w, &options)?
        }
        // Average pooling has one way only.
        _ => pooling
            .pool_with(queries, train.x(), train.y(), &options)
            .map_err(|e| match e {
                ModelError::FarQueries { .. } => anyhow!(
                    "{e}; widen --bandwidth, or choose what such queries get with \
                     --far nan|nearest|mean"
                ),
                other => other.into(),
            })?,
    };
    progress.finish();
    // The bandwidth search's warnings (with --bandwidth auto), then this pooling's own.
    let mut warnings: Vec<serde_json::Value> = match params.remove("warnings") {
        Some(serde_json::Value::Array(list)) => list,
        _ => Vec::new(),
    };
    warnings.extend(far_warning(
        out.far.len(),
        queries.len(),
        kind,
        options.far,
        0,
    ));
    if let Some(w) = scale {
        let rounding = train.rounding.max(query_file.rounding);
        warnings.extend(resolution_warning(rounding, 1.0 / w.abs()));
    }
    params.insert("far_queries".into(), json!(out.far.len()));
    // Every report carries its warnings, an empty list when the answer is ordinary.
    params.insert("warnings".into(), json!(warnings));

    // The queries as given (not the f32 the kernels saw), and the predictions in the
    // targets' own units: f32 as computed, or in f64 with the targets' origin added back.
    let y_hat = if train.origin_y.is_zero() {
        Estimates::F32(out.y_hat)
    } else {
        Estimates::F64(
            out.y_hat
                .iter()
                .map(|&v| train.origin_y.shortest(v))
                .collect(),
        )
    };
    let mut head = json!({
        "pooling": pooling.name(),
        "kernel": kind.name(),
        "train": input_name(&args.train),
        "n_train": train.len(),
        "n_query": queries.len(),
        "columns": train.json(),
        "query_dropped_rows": query_file.dropped,
        "queries": query_file.x,
    });
    head.as_object_mut()
        .expect("a JSON object")
        .insert("predictions".into(), y_hat.json());
    let report = Report {
        head,
        params,
        queries: &query_file.x,
        dim: 1,
        names: vec!["x".to_string()],
        y_hat,
        diagnostics: out.diagnostics,
        weights: out.weights,
        n_train: train.len(),
        extra: Vec::new(),
    };
    write(&args, report)
}

/// Predictions in the targets' units: the f32 the kernels computed, or f64 with the
/// targets' origin added back (see `Origin::shortest`).
enum Estimates {
    /// Unshifted targets: the kernels' own numbers.
    F32(Vec<f32>),
    /// Shifted targets, back in the file's units.
    F64(Vec<f64>),
}

impl Estimates {
    /// The values as JSON numbers (f32 at their shortest digits).
    fn json(&self) -> Value {
        match self {
            Estimates::F32(v) => f32s_json(v),
            Estimates::F64(v) => json!(v),
        }
    }

    /// The values as a CSV column.
    fn column(&self) -> Column<'_> {
        match self {
            Estimates::F32(v) => Column::F32(v),
            Estimates::F64(v) => Column::F64(v),
        }
    }

    /// The first value that is not finite, as `(index, value)`.
    fn first_not_finite(&self) -> Option<(usize, f64)> {
        match self {
            Estimates::F32(v) => v
                .iter()
                .position(|x| !x.is_finite())
                .map(|i| (i, f64::from(v[i]))),
            Estimates::F64(v) => v.iter().position(|x| !x.is_finite()).map(|i| (i, v[i])),
        }
    }
}

/// Everything a prediction run writes.
struct Report<'a> {
    /// The JSON report's first fields (what was read, the queries, the predictions).
    head: Value,
    /// The pooling's parameters and warnings, after them.
    params: Params,
    /// The queries as given, row-major.
    queries: &'a [f64],
    /// Inputs per query.
    dim: usize,
    /// The output table's names for the query columns.
    names: Vec<String>,
    /// The predictions.
    y_hat: Estimates,
    /// Per-query diagnostics, if asked for.
    diagnostics: Option<nw_model::Diagnostics>,
    /// The weights, if asked for.
    weights: Option<Tensor>,
    /// Keys: columns of the weights.
    n_train: usize,
    /// More columns after the predictions (slopes, a band), by name.
    extra: Vec<(String, Estimates)>,
}

/// Writes the predictions (the table, the weights, the JSON report), all or none.
fn write(args: &PredictArgs, report: Report<'_>) -> Result<()> {
    let Report {
        mut head,
        params,
        queries,
        dim,
        names: query_names,
        y_hat,
        diagnostics,
        weights,
        n_train,
        extra,
    } = report;
    let n_query = queries.len() / dim;
    if args.far != crate::cli::FarArg::Nan {
        // Only --far nan may leave a prediction that is not a number.
        if let Some((i, v)) = y_hat.first_not_finite() {
            bail!(
                "the prediction at query {} ({}) of {} is {v}, not a number that can be \
                 reported",
                i + 1,
                query_text(&query_names, &queries[i * dim..(i + 1) * dim]),
                input_name(&args.query),
            );
        }
    }
    let query_columns: Vec<Vec<f64>> = (0..dim)
        .map(|j| queries.iter().skip(j).step_by(dim).copied().collect())
        .collect();
    let mut names: Vec<&str> = query_names.iter().map(String::as_str).collect();
    names.push("y_hat");
    let mut columns: Vec<Column<'_>> = query_columns.iter().map(|c| Column::F64(c)).collect();
    columns.push(y_hat.column());
    for (name, values) in &extra {
        names.push(name);
        columns.push(values.column());
    }
    if let Some(d) = &diagnostics {
        names.extend(["log_weight_sum", "effective_keys", "nearest_distance"]);
        columns.extend([
            Column::F32(&d.log_weight_sum),
            Column::F32(&d.effective_keys),
            Column::F32(&d.nearest_distance),
        ]);
    }
    // The weights and the predictions: both files or neither. NaN (an estimate the caller
    // chose to leave out) and -inf (a log of an empty sum) appear only where --far nan put
    // them, as marks.
    let mut outputs = Outputs::new();
    let numbers: Vec<f64>;
    if let (Some(path), Some(weights)) = (&args.weights, &weights) {
        // A row per query, streamed from the matrix: no second copy of it. Queries of one
        // input are named by their value, of several by their number.
        let first = if dim == 1 {
            ("x", &query_columns[0][..])
        } else {
            numbers = (1..=n_query).map(|i| i as f64).collect();
            ("query", &numbers[..])
        };
        outputs.stage_matrix_marked(path, first, "k", weights.data(), n_train)?;
    }
    if let Some(path) = &args.out {
        outputs.stage_table_marked(path, &names, &columns)?;
    }
    if args.json {
        let fields = head.as_object_mut().expect("a JSON object");
        fields.extend(params);
        if let Some(d) = &diagnostics {
            fields.insert(
                "diagnostics".into(),
                json!({
                    "log_weight_sum": f32s_json(&d.log_weight_sum),
                    "effective_keys": f32s_json(&d.effective_keys),
                    "nearest_distance": f32s_json(&d.nearest_distance),
                }),
            );
        }
        outputs.stage_stdout(json_text(&head)?.as_bytes());
    } else if args.out.is_none() {
        let mut text = Vec::new();
        nw_data::write_table_marked_to(&mut text, "standard output", &names, &columns)?;
        outputs.stage_stdout(&text);
    }
    outputs.commit()?;
    if let Some(path) = &args.weights {
        note!(
            "wrote the {n_query} x {n_train} attention weights to {}",
            path.display()
        );
    }
    if let Some(path) = &args.out {
        note!("wrote {n_query} predictions to {}", path.display());
    }
    Ok(())
}

/// The warning of `count` queries of `n_query` without a kernel estimate (a weak answer,
/// never silenced), if any.
fn far_warning(
    count: usize,
    n_query: usize,
    kind: KernelKind,
    far: Far,
    degree: usize,
) -> Option<Value> {
    if count == 0 {
        return None;
    }
    let what = match far {
        Far::Nan => "NaN",
        Far::Nearest => "the target of the nearest training input",
        Far::Mean => "the mean of the training targets",
        // Error never gets here: the pooling refused.
        Far::Error => "an error",
    };
    let why = if degree == 0 {
        format!(
            "no kernel estimate (no training input within the {} kernel's reach)",
            kind.name()
        )
    } else {
        format!(
            "no local polynomial fit (too few distinct training inputs within the {} kernel's \
             reach, or all on one side of the query)",
            kind.name()
        )
    };
    let message = format!(
        "{count} of {n_query} queries had {why}; they got {what} (--far {})",
        far.name()
    );
    Some(super::warn("far_queries", &message))
}

/// A query row as text: `x = 1.5`, or `lstat = 5, rm = 6.2`.
fn query_text(names: &[String], row: &[f64]) -> String {
    names
        .iter()
        .zip(row)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Nonparametric pooling on the fused path, through the estimator: one input or several.
fn run_model(args: &PredictArgs) -> Result<()> {
    if args.w.is_some() {
        bail!("--w is the scale of parametric pooling; nonparametric pooling takes --bandwidth");
    }
    if args.a.is_some() || args.b.is_some() || args.center.is_some() {
        bail!("--a, --b and --center are adaptive pooling's (--pooling adaptive)");
    }
    // One status line for the whole run: reading a large file takes seconds too.
    let progress = crate::progress::Progress::new("predict", None);
    progress.set_with(0, "reading the training set".to_string());
    let table = super::read_table(&args.train, &args.read)?;
    progress.set_with(0, "reading the queries".to_string());
    let (queries, query_dropped) = super::read_query_rows(&args.query, &args.read)?;
    let dim = table.dim;
    let n_query = queries.len() / dim;
    if args.weights.is_some() {
        crate::limits::check(
            &format!("--weights for {n_query} queries x {} keys", table.len()),
            4 * n_query as u128 * table.len() as u128,
            "drop --weights, or predict fewer queries at a time",
        )?;
    }
    let kind = args.kernel.kind();
    let choice = super::bandwidth_choice(
        args.bandwidth.as_ref(),
        nw_model::Bandwidth::Fixed(1.0),
        dim,
    )?;
    let choice = match (choice, args.method) {
        (nw_model::Bandwidth::Cv, crate::cli::CriterionArg::Aic) => nw_model::Bandwidth::Aic,
        (nw_model::Bandwidth::Cv, _) => nw_model::Bandwidth::Cv,
        (_, crate::cli::CriterionArg::Aic) => {
            bail!("--method aic chooses the bandwidth: it needs --bandwidth auto")
        }
        (fixed, _) => fixed,
    };
    let auto = matches!(choice, nw_model::Bandwidth::Cv | nw_model::Bandwidth::Aic);
    let degree = usize::from(args.degree);
    if args.slopes && degree == 0 {
        bail!(
            "--slopes needs a local linear or quadratic fit (--degree 1 or 2): Nadaraya-Watson \
             has no slope of its own"
        );
    }
    if args.weights.is_some() && degree > 0 {
        bail!(
            "--weights writes Nadaraya-Watson's attention weights (--degree 0); a local \
             polynomial's weights are not those"
        );
    }
    let settings = NadarayaWatson::params()
        .kernel(kind)
        .degree(degree)
        .bandwidth(choice)
        .far(args.far.policy())
        .algorithm(args.algorithm.kind())
        .search(nw_model::bandwidth::Search {
            max_isolated: args.max_isolated,
            ..Default::default()
        });
    progress.set_with(0, "choosing the bandwidth".to_string());
    let model = super::fit_model(&table, &settings)?;
    let names = table.name_refs();
    let mut params = Params::new();
    params.insert("path".into(), json!("fused"));
    params.insert("algorithm".into(), json!(model.algorithm().name()));
    let mut warnings = Vec::new();
    params.insert("degree".into(), json!(degree));
    if let Some(aic) = model.chosen().aic {
        note!(
            "bandwidth{} {} chosen by the corrected AIC ({aic})",
            if dim == 1 { "" } else { "s" },
            bandwidths_text(&model, &names)
        );
        params.insert("bandwidth_method".into(), json!("aic"));
        params.insert("aic".into(), json!(aic));
        params.insert("cv_isolated".into(), json!(model.chosen().isolated));
        warnings = super::report_fit_warnings(&model, &names);
    } else if auto {
        let cv = model.cv().unwrap_or(f64::NAN);
        note!(
            "bandwidth{} {} chosen by leave-one-out cross-validation (CV {cv})",
            if dim == 1 { "" } else { "s" },
            bandwidths_text(&model, &names)
        );
        params.insert("bandwidth_method".into(), json!("cv"));
        params.insert("cv".into(), json!(cv));
        params.insert("cv_isolated".into(), json!(model.chosen().isolated));
        warnings = super::report_fit_warnings(&model, &names);
    }
    if args.fit_stats {
        progress.set_with(0, "fitting the training rows".to_string());
        let stats = model.fit_stats().map_err(|e| table.name_error(e))?;
        if !args.json {
            note!(
                "fit to the training rows: R^2 {:.6} (1 - RSS/TSS), corrected AIC {:.6}, {:.2} \
                 effective parameters (the smoother's trace)",
                stats.r_squared,
                stats.aic,
                stats.trace
            );
        }
        params.insert("fit".into(), super::fit_stats_json(&stats));
    }
    if dim == 1 {
        params.insert("bandwidth".into(), f32_json(model.bandwidths()[0] as f32));
    }
    params.insert("bandwidths".into(), super::bandwidths_json(&model));
    progress.set_with(
        0,
        format!("pooling {n_query} queries over {} keys", table.len()),
    );
    let options = PredictOptions {
        diagnostics: args.diagnostics,
        weights: args.weights.is_some(),
        slopes: args.slopes,
    };
    let query_inputs = nw_model::Inputs::new(&queries, dim)?;
    let out = model.predict_with(query_inputs, &options).map_err(|e| {
        let at = match e {
            ModelError::FarRows { index, .. } | ModelError::NoLocalFit { index, .. } => format!(
                " ({}) of {}",
                query_text(&table.names, &queries[index * dim..(index + 1) * dim]),
                input_name(&args.query)
            ),
            _ => String::new(),
        };
        match e {
            ModelError::NoLocalFit { .. } => anyhow!(
                "{e}{at}; widen --bandwidth, lower --degree, or choose what such queries get \
                 with --far nan|nearest|mean"
            ),
            ModelError::FarQueries { .. } | ModelError::FarRows { .. } => anyhow!(
                "{e}{at}; widen --bandwidth, or choose what such queries get with \
                     --far nan|nearest|mean"
            ),
            other => other.into(),
        }
    })?;
    warnings.extend(far_warning(
        out.far.len(),
        n_query,
        kind,
        model.far(),
        model.degree(),
    ));
    // How far the f32 queries the kernels see are from the file's, per input.
    let query_rounding: Vec<f64> = model
        .origins()
        .iter()
        .enumerate()
        .map(|(j, origin)| {
            let column: Vec<f64> = queries.iter().skip(j).step_by(dim).copied().collect();
            origin.rounding(&column, &origin.to_f32(&column))
        })
        .collect();
    warnings.extend(super::model_resolution_warnings(
        &model,
        model.bandwidths(),
        &names,
        &query_rounding,
    ));
    let column_names: Vec<String> = if dim == 1 {
        vec!["x".to_string()]
    } else {
        table.names.clone()
    };
    let mut extra: Vec<(String, Estimates)> = Vec::new();
    if let Some(slopes) = &out.slopes {
        // Each slope is the kernels' f32 over a power of two: an f32 exactly, so printed at
        // its shortest digits.
        let mut json_slopes = serde_json::Map::new();
        for (j, name) in column_names.iter().enumerate() {
            let column: Vec<f32> = slopes
                .iter()
                .skip(j)
                .step_by(dim)
                .map(|&b| b as f32)
                .collect();
            json_slopes.insert(name.clone(), f32s_json(&column));
            extra.push((format!("dy_d{name}"), Estimates::F32(column)));
        }
        params.insert("slopes".into(), Value::Object(json_slopes));
    }
    if let Some(kind) = args.band.bands {
        progress.set_with(0, "computing the band".to_string());
        let (band, band_json, band_warnings) =
            super::band::compute(&args.band, &model, query_inputs, kind)?;
        warnings.extend(band_warnings);
        params.insert("band".into(), band_json);
        // The band holds about f32's digits (it is made from the f32 fit's residuals): the
        // table prints them so, and in f64 only where the targets were shifted, as `y_hat`.
        let digits = |v: Vec<f64>, shifted: bool| {
            if shifted {
                Estimates::F64(v)
            } else {
                Estimates::F32(v.iter().map(|&x| x as f32).collect())
            }
        };
        let shifted = !model.target_origin().is_zero();
        // The band's own centre: the local quadratic's fit when the bias is corrected, which
        // can differ from y_hat (and put y_hat outside [lo, hi] where the fit is biased).
        extra.push(("center".into(), digits(band.center, shifted)));
        extra.push(("se".into(), digits(band.se, false)));
        extra.push(("lo".into(), digits(band.lo, shifted)));
        extra.push(("hi".into(), digits(band.hi, shifted)));
    }
    progress.finish();
    params.insert("far_queries".into(), json!(out.far.len()));
    params.insert("warnings".into(), json!(warnings));
    // The kernels' f32 where nothing was shifted, so the chapter's numbers print as before.
    let y_hat = if model.target_origin().is_zero() {
        Estimates::F32(out.y.iter().map(|&v| v as f32).collect())
    } else {
        Estimates::F64(out.y)
    };
    let query_json = if dim == 1 {
        json!(queries)
    } else {
        json!(queries.chunks_exact(dim).collect::<Vec<_>>())
    };
    let mut head = json!({
        "pooling": "nonparametric",
        "kernel": kind.name(),
        "train": input_name(&args.train),
        "n_train": table.len(),
        "n_query": n_query,
        "columns": table.json(&model),
        "query_dropped_rows": query_dropped,
        "queries": query_json,
    });
    head.as_object_mut()
        .expect("a JSON object")
        .insert("predictions".into(), y_hat.json());
    let report = Report {
        head,
        params,
        queries: &queries,
        dim,
        names: column_names,
        y_hat,
        diagnostics: out.diagnostics,
        weights: out.weights,
        n_train: table.len(),
        extra,
    };
    write(args, report)
}

/// A model's bandwidths as text: the one number, or each with its input's name.
fn bandwidths_text(model: &NadarayaWatson, names: &[&str]) -> String {
    match model.bandwidths() {
        [h] => (*h as f32).to_string(),
        many => many
            .iter()
            .zip(names)
            .map(|(&h, n)| format!("{n} {}", super::number_text(h as f32)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The chapter's formulation: every query gets its own row of keys and values, the weight
/// matrix, then `bmm` (Gaussian kernel, no far queries).
fn chapter_path(
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    w: f32,
    options: &PoolOptions,
) -> Result<Attention> {
    if options.diagnostics {
        bail!("--diagnostics come from the fused path; drop --path chapter to get them");
    }
    let n = queries.len();
    let (y_hat, weights) = chapter::forward(
        &Tensor::from_slice(queries),
        &chapter::tile(keys, n)?,
        &chapter::tile(values, n)?,
        w,
        options.par,
    )?;
    Ok(Attention {
        y_hat: y_hat.into_vec(),
        weights: options.weights.then_some(weights),
        diagnostics: None,
        far: Vec::new(),
    })
}

/// The pooling the flags ask for, its parameters for the JSON report, and its scale `w`
/// (`1 / h` for nonparametric pooling; none for average pooling). `--bandwidth auto` runs
/// the cross-validation search on the training set here.
fn pooling(
    args: &PredictArgs,
    train: &Training,
) -> Result<(Box<dyn Pooling>, Params, Option<f32>)> {
    let (x, y) = (train.x(), train.y());
    let kind = args.kernel.kind();
    let mut params = Params::new();
    params.insert(
        "path".into(),
        json!(format!("{:?}", args.path).to_lowercase()),
    );
    params.insert("algorithm".into(), json!(args.algorithm.kind().name()));
    if args.pooling != PoolingKind::Adaptive
        && (args.a.is_some() || args.b.is_some() || args.center.is_some())
    {
        bail!("--a, --b and --center are adaptive pooling's (--pooling adaptive)");
    }
    let (pooling, scale): (Box<dyn Pooling>, _) = match args.pooling {
        PoolingKind::Average => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!("average pooling takes neither --bandwidth nor --w");
            }
            (Box::new(AveragePooling), None)
        }
        PoolingKind::Adaptive => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!(
                    "adaptive pooling takes --a, --b and --center (its bandwidth is \
                     exp(a + b (x - center))), not --bandwidth or --w"
                );
            }
            let Some(a) = args.a else {
                bail!("adaptive pooling needs --a (learn it with `nw train --model adaptive`)");
            };
            let (b, c) = (args.b.unwrap_or(0.0), args.center.unwrap_or(0.0));
            params.insert("a".into(), f32_json(a));
            params.insert("b".into(), f32_json(b));
            params.insert("center".into(), json!(c));
            // The kernels measure inputs from the training set's origin; so is the center.
            let c = train.origin_x.shift(c);
            (Box::new(AdaptivePooling::new(kind, a, b, c)?), None)
        }
        PoolingKind::Nonparametric => {
            if args.w.is_some() {
                bail!(
                    "--w is the scale of parametric pooling; nonparametric pooling takes --bandwidth"
                );
            }
            let given = match &args.bandwidth {
                None => Some(1.0),
                Some(b) => b.single().map_err(|e| anyhow!(e))?,
            };
            let h = match given {
                Some(h) => h,
                None => {
                    let found =
                        select_bandwidth(kind, x, y, args.max_isolated, args.algorithm.kind())?;
                    note!(
                        "bandwidth {} chosen by leave-one-out cross-validation (CV {})",
                        found.h,
                        found.cv
                    );
                    params.insert("bandwidth_method".into(), json!("cv"));
                    params.insert("cv".into(), json!(found.cv));
                    params.insert("cv_isolated".into(), json!(found.isolated));
                    params.insert("warnings".into(), report_warnings(&found.warnings));
                    found.h
                }
            };
            params.insert("bandwidth".into(), f32_json(h));
            (
                Box::new(NonparametricPooling::with_kernel(kind, h)?),
                Some(1.0 / h),
            )
        }
        PoolingKind::Parametric => {
            if args.bandwidth.is_some() {
                bail!("parametric pooling takes --w (its bandwidth is 1/|w|), not --bandwidth");
            }
            let Some(w) = args.w else {
                bail!("parametric pooling needs --w (learn one with `nw train`)");
            };
            let p = ParametricPooling::with_kernel(kind, w)?;
            params.insert("w".into(), f32_json(w));
            params.insert("bandwidth".into(), f32_json(p.bandwidth()));
            (Box::new(p), Some(w))
        }
    };
    Ok((pooling, params, scale))
}

/// Fields of the JSON report.
type Params = serde_json::Map<String, Value>;
