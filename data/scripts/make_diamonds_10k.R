#!/usr/bin/env Rscript
# Writes data/diamonds_10k.csv: 10,000 rows of ggplot2::diamonds drawn without replacement,
# columns carat,depth,table,price and nothing else, rows in the order sample() drew them
# (so any leading block, e.g. the first 2,000 rows, is itself a random sample).
#
#   set.seed(11); idx <- sample(nrow(ggplot2::diamonds), 10000)
#
# R's default RNG (Mersenne-Twister, Inversion, Rejection sampling since R 3.6.0); the
# script refuses to run under any other. write.csv without row names; the header names
# are quoted as R writes them.
#
# Source: ggplot2::diamonds (prices and attributes of 53,940 round-cut diamonds, collected
# by Hadley Wickham from diamondse.info in 2008), R package ggplot2 (MIT licence), Debian
# package r-cran-ggplot2.
#
# Run from anywhere: Rscript data/scripts/make_diamonds_10k.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grepl("^--file=", args)])))
out <- file.path(dirname(here), "diamonds_10k.csv")

stopifnot(identical(RNGkind(), c("Mersenne-Twister", "Inversion", "Rejection")))
d <- as.data.frame(ggplot2::diamonds)[, c("carat", "depth", "table", "price")]
stopifnot(nrow(d) == 53940L, !anyNA(d))
set.seed(11)
idx <- sample(nrow(d), 10000)
write.csv(d[idx, ], out, row.names = FALSE)
cat(sprintf("wrote %s (ggplot2 %s, %s, rows %s ...)\n", out, packageVersion("ggplot2"),
            R.version.string, paste(head(idx, 5), collapse = " ")))
