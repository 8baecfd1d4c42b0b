#!/usr/bin/env python3
"""Writes missing_tokens.csv: x,y,note with one row per missing-value token in y.

The tokens are the ones files in the wild use for a missing number: an empty field, R's NA,
numpy/pandas' NaN and nan, JSON/SQL null, and spreadsheets' N/A. The other rows are
ordinary. The note column is free text; some notes are quoted and hold commas or doubled
quotes (RFC 4180), one is empty. The rows are written by hand, not drawn from a data set.

Run from anywhere: python3 crates/nw-cli/tests/data/scripts/make_missing_tokens.py
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "missing_tokens.csv"

# (x, y field as written, note field as written)
ROWS = [
    ("1", "2.5", "plain"),
    ("2", "", "empty field"),
    ("3", "3.25", '"a, b"'),
    ("4", "NA", "R's token"),
    ("5", "4.5", '"quoted, with ""inner"" quotes"'),
    ("6", "NaN", "numpy and pandas"),
    ("7", "5", "ordinary"),
    ("8", "nan", '"python, lower case"'),
    ("9", "6.75", ""),
    ("10", "null", "JSON and SQL"),
    ("11", "7.5", '"x, y, z"'),
    ("12", "N/A", '"spreadsheet, N/A"'),
    ("13", "8", "last row"),
]


def main():
    lines = ["x,y,note"] + [",".join(r) for r in ROWS]
    OUT.write_bytes(("\n".join(lines) + "\n").encode("ascii"))
    for number, line in enumerate(lines, start=1):
        print(f"{number:2}: {line}")


if __name__ == "__main__":
    main()
