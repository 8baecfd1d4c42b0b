#!/usr/bin/env Rscript
# Writes data/boston.csv from MASS::Boston: all 506 rows and 14 columns, a header, no row
# names, R's own write.csv (so the header names are quoted: "crim","zn",...; the numbers
# are not).
#
# Source: Harrison, D. and Rubinfeld, D. L. (1978), Hedonic prices and the demand for
# clean air, J. Environ. Economics and Management 5, 81-102; distributed with R's MASS
# (Venables and Ripley; GPL-2 | GPL-3), Debian package r-cran-mass.
#
# Run from anywhere: Rscript data/scripts/make_boston.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grepl("^--file=", args)])))
out <- file.path(dirname(here), "boston.csv")

stopifnot(dim(MASS::Boston) == c(506L, 14L), !anyNA(MASS::Boston))
write.csv(MASS::Boston, out, row.names = FALSE)
cat(sprintf("wrote %s (MASS %s, %d rows)\n", out, packageVersion("MASS"), nrow(MASS::Boston)))
