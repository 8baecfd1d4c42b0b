//! Writing CSV files: exact text, bit-exact round trips, refusals that name the column and
//! index, and the atomic replace (no temporary file left, no destination clobbered).

use std::fs;
use std::path::Path;

use nw_data::{
    DataError, Dataset, Synthetic, read_dataset, read_queries, write_atomic, write_columns,
    write_columns_marked, write_columns_marked_to, write_columns_to, write_dataset,
};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every name in `dir` except the ones given.
fn others(dir: &Path, except: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !except.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// Finite f32s from every corner: signed zeros, subnormals, the extremes, decimals that are
/// not exact in binary, and pseudo-random bit patterns across all exponents.
fn awkward_values() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::from_bits(0x007f_ffff),
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        0.1,
        1.0 / 3.0,
        3.1000001,
        16_777_217.0,
        -123_456.79,
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while v.len() < 5000 {
        // splitmix64: enough to spread bit patterns; no need for the crate's generator here.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let f = f32::from_bits((z ^ (z >> 31)) as u32);
        if f.is_finite() {
            v.push(f);
        }
    }
    v
}

#[test]
fn write_then_read_keeps_every_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.csv");
    let x = awkward_values();
    let y: Vec<f32> = x.iter().rev().copied().collect();
    let data = Dataset::new(x, y).unwrap();
    write_dataset(&path, &data).unwrap();
    let back = read_dataset(&path).unwrap();
    assert_eq!(bits(back.x()), bits(data.x()));
    assert_eq!(bits(back.y()), bits(data.y()));
    assert_eq!(others(dir.path(), &["train.csv"]), Vec::<String>::new());
}

#[test]
fn the_generated_data_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.csv");
    let data = Synthetic::new(1000, 5).train().unwrap();
    write_dataset(&path, &data).unwrap();
    let back = read_dataset(&path).unwrap();
    assert_eq!(bits(back.x()), bits(data.x()));
    assert_eq!(bits(back.y()), bits(data.y()));
}

#[test]
fn the_text_is_a_header_and_shortest_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pred.csv");
    write_columns(
        &path,
        &["x", "y_hat"],
        &[
            &[0.0, 0.1, 3.1000001, 1e-5, 9.999999e15],
            &[-0.0, 1e-45, 2.5e10, f32::MAX, -9.9999e-6],
        ],
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "x,y_hat\n0,-0\n0.1,1e-45\n3.1000001,25000000000\n0.00001,3.4028235e38\n\
         9999999000000000,-9.9999e-6\n"
    );
    // A query file with extra columns reads back through its x column.
    assert_eq!(
        bits(&read_queries(&path).unwrap()),
        bits(&[0.0, 0.1, 3.1000001, 1e-5, 9.999999e15])
    );
}

#[test]
fn writing_to_any_writer_gives_the_same_text() {
    let mut out = Vec::new();
    write_columns_to(&mut out, "stdout", &["x"], &[&[1.5, -2.0]]).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "x\n1.5\n-2\n");
    let err = write_columns_to(Vec::new(), "stdout", &["x"], &[&[f32::NAN]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "stdout: refusing to write NaN in column \"x\" at index 0 (would be line 2)"
    );
}

#[test]
fn a_non_finite_value_is_refused_and_the_old_file_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pred.csv");
    fs::write(&path, "x,y_hat\n1,2\n").unwrap();
    for (bad, shown) in [
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (f32::NEG_INFINITY, "-inf"),
    ] {
        let err = write_columns(
            &path,
            &["x", "y_hat"],
            &[&[0.0, 1.0, 2.0], &[5.0, 6.0, bad]],
        )
        .unwrap_err();
        assert!(
            matches!(&err, DataError::WriteNonFinite { index: 2, line: 4, column, .. } if column == "y_hat")
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: refusing to write {shown} in column \"y_hat\" at index 2 (would be line 4)",
                path.display()
            )
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "x,y_hat\n1,2\n");
        assert_eq!(others(dir.path(), &["pred.csv"]), Vec::<String>::new());
    }
}

#[test]
fn a_refused_write_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.csv");
    assert!(write_columns(&path, &["x"], &[&[f32::NAN]]).is_err());
    assert_eq!(others(dir.path(), &[]), Vec::<String>::new());
}

#[test]
fn a_failed_rename_removes_the_temp_file_and_keeps_the_destination() {
    // The destination is a directory: the temporary file is written, then the rename fails.
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.csv");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep"), "mine").unwrap();
    let err = write_columns(&dest, &["x"], &[&[1.0]]).unwrap_err();
    assert!(matches!(err, DataError::Write { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", dest.display())),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dest.join("keep")).unwrap(), "mine");
    assert_eq!(others(dir.path(), &["out.csv"]), Vec::<String>::new());
}

#[test]
fn a_missing_directory_is_a_write_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/out.csv");
    let err = write_columns(&path, &["x"], &[&[1.0]]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", path.display())),
        "{err}"
    );
}

#[test]
fn an_existing_file_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    fs::write(&path, "x,y\n".to_string() + &"9,9\n".repeat(1000)).unwrap();
    write_columns(&path, &["x", "y"], &[&[1.0], &[2.0]]).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "x,y\n1,2\n");
    assert_eq!(others(dir.path(), &["d.csv"]), Vec::<String>::new());
}

#[test]
fn concurrent_writers_never_expose_half_a_file() {
    // Several threads replace one file over and over while another reads it: every read must
    // see one writer's whole file, never a mix or a prefix.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.csv");
    let sets: Vec<Dataset> = (0..4)
        .map(|s| Synthetic::new(2000, s).train().unwrap())
        .collect();
    write_dataset(&path, &sets[0]).unwrap();
    std::thread::scope(|s| {
        for d in &sets {
            let path = &path;
            s.spawn(move || {
                for _ in 0..10 {
                    write_dataset(path, d).unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..40 {
                let got = read_dataset(&path).unwrap();
                assert!(sets.contains(&got), "a read saw a partial file");
            }
        });
    });
    assert_eq!(others(dir.path(), &["shared.csv"]), Vec::<String>::new());
}

#[test]
fn columns_that_cannot_be_written_are_refused_before_any_io() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.csv");
    let p = path.display().to_string();
    // (names, columns, the problem the message must state)
    type Case<'a> = (Vec<&'a str>, Vec<&'a [f32]>, String);
    let cases: Vec<Case> = vec![
        (
            vec!["x", "y"],
            vec![&[1.0, 2.0], &[1.0]],
            "column \"y\" has 1 values but column \"x\" has 2".into(),
        ),
        (
            vec!["x"],
            vec![&[1.0], &[1.0]],
            "1 column names for 2 columns".into(),
        ),
        (vec![], vec![], "no columns".into()),
        (vec!["x"], vec![&[]], "column \"x\" has no values".into()),
        (
            vec!["x", "x"],
            vec![&[1.0], &[1.0]],
            "column name \"x\" appears twice".into(),
        ),
        (
            vec!["1", "2"],
            vec![&[1.0], &[1.0]],
            "header \"1,2\" holds only numbers and would read as a missing header".into(),
        ),
    ];
    for (names, columns, problem) in cases {
        let err = write_columns(&path, &names, &columns).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{p}: cannot write columns: {problem}")
        );
    }
    for bad in ["", "a,b", " x", "x\n", "\"x\""] {
        let err = write_columns(&path, &[bad], &[&[1.0]])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "{p}: cannot write columns: column name {bad:?} would not read back"
            )),
            "{err}"
        );
    }
    assert_eq!(others(dir.path(), &[]), Vec::<String>::new());
}

#[test]
fn write_atomic_replaces_any_bytes_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("figure.png");
    // Not text: the writer must pass bytes through untouched (no newline or UTF-8 handling).
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    fs::write(&path, "old contents, longer than nothing").unwrap();
    write_atomic(&path, &bytes).unwrap();
    assert_eq!(fs::read(&path).unwrap(), bytes);
    write_atomic(&path, b"").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"");
    assert_eq!(others(dir.path(), &["figure.png"]), Vec::<String>::new());

    // A destination that cannot be replaced (a directory) keeps its contents, leaves no
    // temporary file, and the error names the destination.
    let dest = dir.path().join("taken.svg");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep"), "mine").unwrap();
    let err = write_atomic(&dest, b"<svg/>").unwrap_err();
    assert!(
        matches!(&err, DataError::Write { path, .. } if path == &dest),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", dest.display())),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dest.join("keep")).unwrap(), "mine");
    assert_eq!(
        others(dir.path(), &["figure.png", "taken.svg"]),
        Vec::<String>::new()
    );

    let missing = dir.path().join("no/such/dir/out.svg");
    let err = write_atomic(&missing, b"<svg/>").unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", missing.display())),
        "{err}"
    );
}

#[test]
fn marked_columns_write_nan_and_infinities_as_marks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pred.csv");
    write_columns_marked(
        &path,
        &["x", "y_hat", "log_weight_sum"],
        &[&[0.5, 9.0], &[1.25, f32::NAN], &[-0.5, f32::NEG_INFINITY]],
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "x,y_hat,log_weight_sum\n0.5,1.25,-0.5\n9,NaN,-inf\n"
    );
    // The plain writer still refuses them, and our readers never take them as data.
    assert!(write_columns(&path, &["x"], &[&[f32::NAN]]).is_err());
    assert!(read_dataset(&path).is_err());
    let mut out = Vec::new();
    write_columns_marked_to(&mut out, "stdout", &["y"], &[&[f32::INFINITY]]).unwrap();
    assert_eq!(out, b"y\ninf\n");
}
