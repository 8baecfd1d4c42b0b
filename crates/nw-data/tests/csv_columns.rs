//! Reading named columns (`read_columns`) and whole tables of numbers (`read_table`): the
//! files `nw plot` takes from other commands or other tools.

use std::io::Cursor;

use nw_data::{Table, parse_columns, parse_table, read_columns, write_columns};

fn columns(text: &str, names: &[&str]) -> Result<Vec<Vec<f32>>, String> {
    parse_columns(Cursor::new(text), "p.csv", names).map_err(|e| e.to_string())
}

fn table(text: &str) -> Result<Table, String> {
    parse_table(Cursor::new(text), "w.csv").map_err(|e| e.to_string())
}

#[test]
fn named_columns_come_back_in_the_order_asked_for_and_others_are_ignored() {
    let text = "y_hat,note,x\n2.5,abc,0\n-1,,0.5\n";
    let got = columns(text, &["x", "y_hat"]).unwrap();
    assert_eq!(got, vec![vec![0.0, 0.5], vec![2.5, -1.0]]);
    // Only the asked-for columns are checked.
    assert_eq!(columns(text, &["x"]).unwrap(), vec![vec![0.0, 0.5]]);
}

#[test]
fn named_column_errors_name_file_line_and_text() {
    assert_eq!(
        columns("x,y\n1,2\n", &["x", "y_hat"]).unwrap_err(),
        "p.csv:1: no column \"y_hat\" (the columns are \"x\", \"y\")"
    );
    assert_eq!(
        columns("x,y_hat\n1,2\n3,four\n", &["x", "y_hat"]).unwrap_err(),
        "p.csv:3: \"four\" is not a number (column \"y_hat\")"
    );
    assert_eq!(
        columns("x,y_hat\n1,2\n3\n", &["x", "y_hat"]).unwrap_err(),
        "p.csv:3: missing column: row \"3\" has 1 field(s) but the header has 2"
    );
    assert_eq!(
        columns("x,y_hat,x\n1,2,3\n", &["x", "y_hat"]).unwrap_err(),
        "p.csv:1: bad header \"x,y_hat,x\": column \"x\" appears twice (columns 1 and 3); choose one by number, expected a header with the columns \"x\", \"y_hat\""
    );
    assert_eq!(
        columns("", &["epoch", "loss"]).unwrap_err(),
        "p.csv:1: file is empty, expected a header with the columns \"epoch\", \"loss\""
    );
    assert_eq!(
        columns("epoch,loss\n1,nan\n", &["epoch", "loss"]).unwrap_err(),
        "p.csv:2: missing value \"nan\" in column \"loss\""
    );
}

#[test]
fn a_table_reads_every_column_with_its_name() {
    let t = table("x,k1,k2\n0,0.25,0.75\n1,0.5,0.5\n").unwrap();
    assert_eq!(t.names, ["x", "k1", "k2"]);
    assert_eq!(
        t.columns,
        vec![vec![0.0, 1.0], vec![0.25, 0.5], vec![0.75, 0.5]]
    );
}

#[test]
fn table_errors_name_file_line_and_text() {
    assert_eq!(
        table("x,k1\n0,0.5\n1,oops\n").unwrap_err(),
        "w.csv:3: \"oops\" is not a number (column \"k1\")"
    );
    assert_eq!(
        table("0.1,0.9\n").unwrap_err(),
        "w.csv:1: header is missing: found \"0.1,0.9\", expected a header of column names"
    );
    assert_eq!(
        table("x,k1,k1\n0,1,2\n").unwrap_err(),
        "w.csv:1: bad header \"x,k1,k1\": column \"k1\" appears twice, expected a header of column names"
    );
    assert_eq!(
        table("x,k1\n").unwrap_err(),
        "w.csv:1: no data rows after the header \"x,k1\""
    );
    assert_eq!(
        table("x,k1\n0,1,2\n").unwrap_err(),
        "w.csv:2: extra column: row \"0,1,2\" has 3 field(s) but the header has 2"
    );
}

#[test]
fn what_write_columns_writes_reads_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pred.csv");
    let x = [0.0f32, 0.1, 4.9];
    let y = [1.0f32 / 3.0, -2.5e-7, 3.1e20];
    write_columns(&path, &["x", "y_hat"], &[&x, &y]).unwrap();
    let back = read_columns(&path, &["y_hat", "x"]).unwrap();
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back[0]), bits(&y));
    assert_eq!(bits(&back[1]), bits(&x));
}
