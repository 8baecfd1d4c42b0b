#!/usr/bin/env python3
"""Writes mac_cr.csv: the first 12 rows of MASS mcycle as x,y with CR-only line endings.

Classic Mac OS (and some old Excel for Mac exports) end lines with a bare CR. The rows are
copied as text from crates/nw-model/tests/data/mcycle.csv; every line, the last included,
ends with "\\r" and there is no "\\n" anywhere in the file.

Run from anywhere: python3 crates/nw-cli/tests/data/scripts/make_mac_cr.py
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[3] / "nw-model" / "tests" / "data" / "mcycle.csv"
OUT = HERE.parent / "mac_cr.csv"


def main():
    lines = SOURCE.read_text().splitlines()[:13]  # header and 12 rows
    assert lines[0] == "x,y"
    data = ("\r".join(lines) + "\r").encode("ascii")
    assert b"\n" not in data
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(lines) - 1} rows)")


if __name__ == "__main__":
    main()
