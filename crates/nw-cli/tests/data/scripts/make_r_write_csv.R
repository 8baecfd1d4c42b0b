# Writes r_write_csv.csv: R's own write.csv output of a small real data set.
#
# `cars` (datasets package, base R): speed of cars (mph) and stopping distance (ft),
# 50 rows, recorded in the 1920s (Ezekiel 1930). Renamed to x and y; three distances set
# to NA so the file carries R's missing-value token. write.csv writes the row names as a
# first column with an empty ("") header, quotes the header and the row names, and writes
# numbers unquoted.
#
# Run from anywhere: Rscript crates/nw-cli/tests/data/scripts/make_r_write_csv.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
out <- file.path(dirname(here), "r_write_csv.csv")

d <- data.frame(x = cars$speed, y = cars$dist)
d$y[c(3, 27, 50)] <- NA
write.csv(d, out)
cat("wrote", out, "with", R.version.string, "\n")
