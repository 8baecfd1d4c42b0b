#!/usr/bin/env Rscript
# R's KernSmooth (Wand) as a peer of nw's sorted-sweep local fits: speed and accuracy of
# its binned local polynomial smoother on the chapter's data.
#
# Data: a CSV `x,y` from `nw generate` (x uniform on [0, 5), y = 2 sin x + x^0.8 +
# N(0, 0.5^2) noise), for example
#   nw generate --n-train 1000000 --seed 7 --train-out /tmp/ks/train_1e6.csv -q
#
# For each CSV the script times (wall seconds, system.time elapsed; best of 3 up to 5e6
# rows, one run above, or --repeats=K):
#   - reading the CSV, with scan() and with read.csv() (both give the same doubles);
#   - dpill(x, y): KernSmooth's direct plug-in bandwidth for local linear regression
#     (Ruppert, Sheather and Wand 1995), Gaussian kernel, binned on its default 401 points.
#     It sorts the rows (sort.list, three times over), fits quartics by blocks (Fortran QR
#     on an n x 5 design) for 1 to 5 blocks to choose the block count by Mallows' Cp, fits
#     once more, then smooths the bins twice;
#   - locpoly(x, y, degree = 0 and 1, bandwidth = b, gridsize = M) for (b, M) = (h, 401),
#     (h/10, 401) and (h/10, 4001), h = dpill's answer. locpoly bins x and y linearly onto
#     M equally spaced points over range(x), then convolves the bins with the kernel, so
#     its cost is O(n + M L) with L = floor(4 b / delta), delta = (max x - min x)/(M - 1).
#
# Accuracy: at 50 of locpoly's grid points spread evenly over its grid the script computes
# the exact f64 Nadaraya-Watson (degree 0) and local linear (degree 1) estimates, Gaussian
# kernel exp(-u^2/2) with u = (x_i - g)/b (KernSmooth's bandwidth is the Gaussian's standard
# deviation, as is nw's h), as sums over all n points (vectorized, 1e6 points at a time so
# memory stays bounded; sum() accumulates in long double), and reports locpoly's max and
# median absolute error against them, the max relative error |err| / |exact|, where the
# largest errors sit, and the max errors at the interior points (at least 4 b from both
# ends). Two approximations are in locpoly's answer: the binning, and the kernel, which
# locpoly truncates at tau = 4 standard deviations (hard-coded; L bins each side). The exact
# sums do not truncate; the same sums over |x_i - g| <= L delta only are computed too, and
# the error against them (*_vs_truncated_kernel) is the binning's alone. With L = 0 locpoly
# refuses ("binning grid too coarse"); the JSON then records its message instead of numbers.
#
# Writes one JSON object with a key per n (the row count) to OUT.json; each value holds
# the timings, bandwidths, errors, R and KernSmooth versions, date, machine and CPU model.
# Needs only base R and KernSmooth (apt-get install r-cran-kernsmooth); JSON by hand.
#
# Run: Rscript benches/peers/kernsmooth.R OUT.json TRAIN.csv [TRAIN.csv ...] [--repeats=K]
#   (about 10 s at 1e6 rows and 50 s at 1e7, most of it in the exact sums; peak resident
#    memory 0.4 GB at 1e6 rows and 3.0 GB at 1e7, by /usr/bin/time -v)

suppressPackageStartupMessages(library(KernSmooth))

TAU <- 4            # locpoly's kernel truncation, in standard deviations (fixed in its code)
N_CHECK <- 50       # grid points checked against the exact sums
CHUNK <- 1000000L   # points per block of the exact sums

args <- commandArgs(trailingOnly = TRUE)
repeats_arg <- grep("^--repeats=", args, value = TRUE)
args <- setdiff(args, repeats_arg)
if (length(args) < 2L) {
  stop("usage: Rscript kernsmooth.R OUT.json TRAIN.csv [TRAIN.csv ...] [--repeats=K]")
}
out_path <- args[[1L]]
csv_paths <- args[-1L]
repeats_fixed <- if (length(repeats_arg)) as.integer(sub("^--repeats=", "", repeats_arg)) else NA

# ---- JSON by hand -------------------------------------------------------------------------

json_str <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  sprintf("\"%s\"", s)
}

json_num <- function(v) {
  if (is.null(v) || length(v) == 0L || is.na(v) || !is.finite(v)) return("null")
  if (is.integer(v) || (v == round(v) && abs(v) < 2^53)) return(sprintf("%.0f", v))
  # The shortest of 15 or 17 significant digits that reads back as the same double.
  short <- sprintf("%.15g", v)
  if (as.numeric(short) == v) short else sprintf("%.17g", v)
}

# A named list -> object, an unnamed list -> array, a string -> string, else a number;
# a numeric vector longer than one -> array of numbers.
to_json <- function(v, indent = 0L) {
  pad <- strrep("  ", indent + 1L)
  end <- strrep("  ", indent)
  if (is.null(v)) return("null")
  if (is.list(v)) {
    if (length(v) == 0L) return(if (is.null(names(v))) "[]" else "{}")
    items <- vapply(v, to_json, "", indent = indent + 1L)
    if (is.null(names(v))) {
      return(sprintf("[\n%s%s\n%s]", pad, paste(items, collapse = sprintf(",\n%s", pad)), end))
    }
    keyed <- sprintf("%s: %s", vapply(names(v), json_str, ""), items)
    return(sprintf("{\n%s%s\n%s}", pad, paste(keyed, collapse = sprintf(",\n%s", pad)), end))
  }
  if (is.character(v)) return(json_str(v))
  if (is.logical(v)) return(if (is.na(v)) "null" else if (v) "true" else "false")
  if (length(v) > 1L) return(sprintf("[%s]", paste(vapply(v, json_num, ""), collapse = ", ")))
  json_num(v)
}

# ---- machine -------------------------------------------------------------------------------

cpu_model <- function() {
  out <- tryCatch(system2("lscpu", stdout = TRUE, stderr = FALSE), error = function(e) character())
  line <- grep("^Model name:", out, value = TRUE)
  if (length(line)) trimws(sub("^Model name:", "", line[[1L]])) else "unknown"
}

load_avg <- function() {
  s <- tryCatch(readLines("/proc/loadavg", warn = FALSE), error = function(e) "")
  as.numeric(strsplit(s, " ")[[1L]][1L])
}

# ---- timing --------------------------------------------------------------------------------

# Runs expr `repeats` times; returns the value of the last run and the best elapsed time.
best_of <- function(repeats, expr) {
  f <- function() NULL
  body(f) <- substitute(expr)
  environment(f) <- parent.frame()
  times <- numeric(repeats)
  for (r in seq_len(repeats)) {
    value <- NULL
    times[r] <- system.time(value <- f())[["elapsed"]]
  }
  list(value = value, seconds = round(min(times), 3), all_seconds = round(times, 3))
}

# ---- the exact reference -------------------------------------------------------------------

# Exact Gaussian-kernel Nadaraya-Watson and local linear estimates at the points g, summed
# over all n points in blocks of CHUNK. With d = x_i - g and w = exp(-(d/b)^2 / 2):
#   NW = sum w y / sum w,
#   LL = (S2 T0 - S1 T1) / (S0 S2 - S1^2), S_k = sum w d^k, T_k = sum w d^k y,
# the intercept of the weighted least-squares line centred at g. The same sums over only
# |d| <= cut (the kernel truncated where locpoly truncates it, unbinned) go into nw_cut and
# ll_cut, so the error against them is locpoly's binning alone; cut = NA skips them.
exact_fits <- function(x, y, g, b, cut = NA) {
  m <- length(g)
  sums <- function() list(s0 = numeric(m), s1 = numeric(m), s2 = numeric(m),
                          t0 = numeric(m), t1 = numeric(m))
  full <- sums()
  part <- sums()
  add <- function(acc, j, w, d, yc) {
    wd <- w * d
    acc$s0[j] <- acc$s0[j] + sum(w)
    acc$s1[j] <- acc$s1[j] + sum(wd)
    acc$s2[j] <- acc$s2[j] + sum(wd * d)
    acc$t0[j] <- acc$t0[j] + sum(w * yc)
    acc$t1[j] <- acc$t1[j] + sum(wd * yc)
    acc
  }
  n <- length(x)
  for (start in seq(1L, n, by = CHUNK)) {
    idx <- start:min(n, start + CHUNK - 1L)
    xc <- x[idx]
    yc <- y[idx]
    for (j in seq_len(m)) {
      d <- xc - g[j]
      w <- exp(-0.5 * (d / b)^2)
      full <- add(full, j, w, d, yc)
      if (!is.na(cut)) {
        inside <- abs(d) <= cut
        part <- add(part, j, w[inside], d[inside], yc[inside])
      }
    }
  }
  fits <- function(a) list(nw = a$t0 / a$s0,
                           ll = (a$s2 * a$t0 - a$s1 * a$t1) / (a$s0 * a$s2 - a$s1^2))
  out <- fits(full)
  if (!is.na(cut)) {
    cf <- fits(part)
    out$nw_cut <- cf$nw
    out$ll_cut <- cf$ll
  }
  out
}

error_stats <- function(est, exact, gx, interior) {
  err <- abs(est - exact)
  rel <- err / abs(exact)
  k <- which.max(err)
  kr <- which.max(rel)
  list(
    max_abs_err = max(err),
    median_abs_err = median(err),
    max_rel_err = max(rel),
    x_at_max_abs_err = gx[k],
    exact_at_max_abs_err = exact[k],
    x_at_max_rel_err = gx[kr],
    exact_at_max_rel_err = exact[kr],
    max_abs_err_interior = if (any(interior)) max(err[interior]) else NA,
    max_rel_err_interior = if (any(interior)) max(rel[interior]) else NA
  )
}

count_rows <- function(path) {
  con <- file(path, "rb")
  on.exit(close(con))
  lines <- 0
  repeat {
    b <- readBin(con, "raw", 2^24)
    if (length(b) == 0L) break
    lines <- lines + sum(b == as.raw(10L))
  }
  lines - 1  # the header
}

# ---- one data set --------------------------------------------------------------------------

run_one <- function(path) {
  load_start <- load_avg()
  started <- format(Sys.time(), "%Y-%m-%dT%H:%M:%S%z")
  # Count rows first (newlines, 16 MB at a time), so the repeats are known before timing.
  n_guess <- count_rows(path)
  repeats <- if (!is.na(repeats_fixed)) repeats_fixed else if (n_guess <= 5e6) 3L else 1L
  message(sprintf("%s: %d rows, %d repeat(s)", path, n_guess, repeats))

  rs <- best_of(repeats, scan(path, what = list(x = 0, y = 0), sep = ",", skip = 1L,
                              quiet = TRUE))
  rc <- best_of(repeats, read.csv(path, colClasses = c("numeric", "numeric")))
  x <- rs$value$x
  y <- rs$value$y
  rs_seconds <- rs$seconds
  stopifnot(identical(x, rc$value$x), identical(y, rc$value$y))
  read_csv_seconds <- rc$seconds
  rm(rc, rs)
  n <- length(x)
  message(sprintf("  read: scan %.3f s, read.csv %.3f s", rs_seconds, read_csv_seconds))

  dp <- best_of(repeats, dpill(x, y))
  h <- dp$value
  message(sprintf("  dpill: h = %.6g in %.3f s", h, dp$seconds))

  settings <- list(
    list(label = "h", bandwidth = h, gridsize = 401L),
    list(label = "h/10", bandwidth = h / 10, gridsize = 401L),
    list(label = "h/10", bandwidth = h / 10, gridsize = 4001L)
  )
  fits <- list()
  exact_seconds <- list()
  for (s in settings) {
    grid <- seq(min(x), max(x), length = s$gridsize)  # locpoly's own grid
    delta <- (max(x) - min(x)) / (s$gridsize - 1L)
    check <- unique(round(seq(1, s$gridsize, length.out = N_CHECK)))
    halfwidth_bins <- floor(TAU * s$bandwidth / delta)
    cut <- if (halfwidth_bins > 0) halfwidth_bins * delta else NA
    # Check points at least tau bandwidths inside the data's range: away from the edges.
    edge <- TAU * s$bandwidth
    interior <- grid[check] - min(x) >= edge & max(x) - grid[check] >= edge
    ex <- NULL
    ex_seconds <- system.time(
      ex <- exact_fits(x, y, grid[check], s$bandwidth, cut))[["elapsed"]]
    exact_seconds[[length(exact_seconds) + 1L]] <- list(
      bandwidth_label = s$label, gridsize = s$gridsize, seconds = round(ex_seconds, 3))
    for (degree in 0:1) {
      lp <- tryCatch(
        best_of(repeats, locpoly(x, y, degree = degree, bandwidth = s$bandwidth,
                                 gridsize = s$gridsize)),
        error = function(e) e)
      rec <- list(
        degree = degree,
        bandwidth_label = s$label,
        bandwidth = s$bandwidth,
        gridsize = s$gridsize,
        grid_step = delta,
        bandwidth_over_grid_step = s$bandwidth / delta,
        kernel_halfwidth_bins = halfwidth_bins,
        kernel_halfwidth_sd = halfwidth_bins * delta / s$bandwidth,
        n_checked = length(check),
        n_checked_interior = sum(interior)
      )
      if (inherits(lp, "error")) {
        rec$error <- conditionMessage(lp)
        message(sprintf("  locpoly degree %d, %s, M = %d: error: %s", degree, s$label,
                        s$gridsize, rec$error))
      } else {
        stopifnot(isTRUE(all.equal(lp$value$x, grid, tolerance = 0)))
        est <- lp$value$y[check]
        exact <- if (degree == 0L) ex$nw else ex$ll
        exact_cut <- if (degree == 0L) ex$nw_cut else ex$ll_cut
        rec$seconds <- lp$seconds
        rec <- c(rec, error_stats(est, exact, grid[check], interior))
        rec$max_abs_err_vs_truncated_kernel <- max(abs(est - exact_cut))
        rec$median_abs_err_vs_truncated_kernel <- median(abs(est - exact_cut))
        message(sprintf(paste("  locpoly degree %d, %s, M = %d: %.4f s, max |err| %.3g",
                              "(interior %.3g), median %.3g; vs truncated kernel max %.3g"),
                        degree, s$label, s$gridsize, rec$seconds, rec$max_abs_err,
                        rec$max_abs_err_interior, rec$median_abs_err,
                        rec$max_abs_err_vs_truncated_kernel))
      }
      fits[[length(fits) + 1L]] <- rec
    }
  }

  list(
    n = n,
    csv = basename(path),
    date = started,
    repeats = repeats,
    timing = "wall seconds, system.time elapsed (1 ms resolution), best of `repeats` runs",
    read_scan_seconds = rs_seconds,
    read_csv_seconds = read_csv_seconds,
    dpill_seconds = dp$seconds,
    h_dpill = h,
    h_small = h / 10,
    locpoly = fits,
    exact_reference = list(
      method = paste("f64 sums over all n points, Gaussian exp(-u^2/2) untruncated,",
                     "blocks of 1e6 points, at", N_CHECK, "of locpoly's grid points",
                     "spread evenly over the grid"),
      seconds = exact_seconds
    ),
    kernel_truncation = sprintf(paste(
      "locpoly truncates the Gaussian at tau = %g standard deviations (floor(tau b / delta)",
      "bins each side, kernel_halfwidth_bins); the exact sums do not. *_vs_truncated_kernel",
      "compares with exact sums over |x_i - g| <= kernel_halfwidth_bins * grid_step only,",
      "which leaves locpoly's binning error alone"), TAU),
    interior = sprintf(
      "*_interior: check points at least tau = %g bandwidths from both ends of range(x)", TAU),
    r_version = R.version.string,
    kernsmooth_version = as.character(packageVersion("KernSmooth")),
    machine = Sys.info()[["machine"]],
    cpu_model = cpu_model(),
    cpu_count = parallel::detectCores(),
    load_average_start = load_start,
    load_average_end = load_avg()
  )
}

results <- list()
for (p in csv_paths) {
  r <- run_one(p)
  results[[as.character(r$n)]] <- r
}
# Keys are the row counts, written as integers ("1000000", not "1e+06").
names(results) <- vapply(results, function(r) sprintf("%.0f", r$n), "")
writeLines(to_json(results), out_path)
message("wrote ", out_path)
