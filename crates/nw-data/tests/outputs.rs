//! `Outputs` and `check_targets`: one file under many names, commits that fail half way,
//! permission bits, long names and read-only folders.

// A test that cannot run here says why on stderr (shown with --nocapture).
#![allow(clippy::print_stderr)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nw_data::{Alias, DataError, Outputs, check_targets, write_atomic};

/// The names in `dir`, sorted: exactly what a write left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

// ---------------------------------------------------------------------------------------------
// Identity

/// A folder with `x` (a file), `sub/` (a folder), `link` (a symbolic link to `x`) and `hard`
/// (a hard link to `x`).
fn names_for_x() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    fs::write(&x, "old").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(&x, dir.path().join("link")).unwrap();
    fs::hard_link(&x, dir.path().join("hard")).unwrap();
    (dir, x)
}

#[test]
fn staging_one_file_under_another_name_is_refused() {
    let (dir, x) = names_for_x();
    let d = dir.path();
    for other in [
        d.join(".").join("x"),
        d.join("sub/../x"),
        d.join("link"),
        d.join("hard"),
    ] {
        let mut out = Outputs::new();
        out.stage(&x, b"1").unwrap();
        let err = out.stage(&other, b"2").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} and {} are the same file; each output needs its own file",
                x.display(),
                other.display()
            )
        );
        drop(out);
        assert_eq!(fs::read_to_string(&x).unwrap(), "old");
    }
    // A file not there yet, under two spellings.
    let new = d.join("new.csv");
    let mut out = Outputs::new();
    out.stage(&new, b"1").unwrap();
    assert!(matches!(
        out.stage(d.join("sub/.././new.csv"), b"2"),
        Err(DataError::SameOutput { .. })
    ));
    drop(out);
    // Several outputs to /dev/null are fine; standard output twice is not.
    let mut out = Outputs::new();
    out.stage("/dev/null", b"1").unwrap();
    out.stage("/dev/null", b"2").unwrap();
    out.stage("-", b"").unwrap();
    assert!(out.stage("/dev/stdout", b"").is_err());
    drop(out);
    assert_eq!(names(d), ["hard", "link", "sub", "x"]);
}

#[test]
fn check_targets_names_both_arguments_and_how_they_meet() {
    let (dir, x) = names_for_x();
    let d = dir.path();
    let spelled = d.join(".").join("x");
    let up = d.join("sub/../x");
    let (link, hard) = (d.join("link"), d.join("hard"));
    for (other, alias, note) in [
        (&spelled, Alias::Spelling, ""),
        (&up, Alias::Spelling, ""),
        (&link, Alias::SymbolicLink, " (through a link)"),
        (&hard, Alias::HardLink, " (through a hard link)"),
    ] {
        let err = check_targets(&[("--out", &x), ("--weights", other)], &[]).unwrap_err();
        assert!(
            matches!(&err, DataError::SameFile { alias: a, .. } if *a == alias),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "--out {} and --weights {} are the same file{note}; each output needs its own file",
                x.display(),
                other.display()
            )
        );
        let err = check_targets(&[("--weights", other)], &[("--train", &x)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "--weights {} is the input --train {}{note}; refusing to overwrite an input",
                other.display(),
                x.display()
            )
        );
    }
    // Files that do not exist yet, in a folder that does not exist yet either.
    let a = d.join("later/a.csv");
    let b = d.join("later/./sub/../a.csv");
    assert!(matches!(
        check_targets(&[("--out", &a), ("--plot", &b)], &[]),
        Err(DataError::SameFile { .. })
    ));
    // Different files, streams, and inputs that are not files are fine.
    let stdout = Path::new("-");
    let null = Path::new("/dev/null");
    check_targets(
        &[
            ("--out", &x),
            ("--plot", &d.join("y")),
            ("--weights", null),
            ("--log", null),
            ("standard output", stdout),
        ],
        &[
            ("--train", stdout),
            ("--query", null),
            ("--truth", &d.join("nope")),
        ],
    )
    .unwrap();
    let err =
        check_targets(&[("--weights", stdout), ("standard output", stdout)], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--weights - and standard output are the same file; each output needs its own file"
    );
    assert!(
        check_targets(
            &[("--out", stdout), ("--plot", Path::new("/dev/stdout"))],
            &[]
        )
        .is_err()
    );
    assert_eq!(fs::read_to_string(&x).unwrap(), "old");
}

// ---------------------------------------------------------------------------------------------
// All or none at commit

#[test]
fn a_failing_stream_restores_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    fs::write(&a, "old a").unwrap();
    let mut out = Outputs::new();
    out.stage(&a, b"new a").unwrap();
    out.stage(&b, b"new b").unwrap();
    out.stage("/dev/full", b"bytes").unwrap();
    let err = out.commit().unwrap_err();
    assert!(
        matches!(&err, DataError::Write { path, .. } if path == Path::new("/dev/full")),
        "{err:?}"
    );
    assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
    assert_eq!(names(dir.path()), ["a.csv"]);
}

#[test]
fn a_failing_rename_half_way_restores_the_files_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, c) = (d.join("a.csv"), d.join("b.csv"), d.join("c.csv"));
    fs::write(&a, "old a").unwrap();
    let a_inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&a).unwrap());
    let mut out = Outputs::new();
    out.stage(&a, b"new a").unwrap();
    out.stage(&b, b"new b").unwrap();
    out.stage(&c, b"new c").unwrap();
    // Between staging and commit, the third destination becomes a folder with a file in it:
    // only the rename can find out.
    fs::create_dir(&c).unwrap();
    fs::write(c.join("keep"), "mine").unwrap();
    let err = out.commit().unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", c.display())),
        "{err}"
    );
    // The first file is the old file itself (same inode), the second is gone again.
    assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(&a).unwrap()),
        a_inode
    );
    assert_eq!(fs::read_to_string(c.join("keep")).unwrap(), "mine");
    assert_eq!(names(d), ["a.csv", "c.csv"]);
}

#[test]
fn a_commit_that_succeeds_leaves_only_the_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    fs::write(&a, "old a").unwrap();
    let mut out = Outputs::new();
    out.stage(&a, b"new a").unwrap();
    out.stage(&b, b"new b").unwrap();
    out.stage("/dev/null", b"x").unwrap();
    assert_eq!(
        out.commit().unwrap(),
        [a.clone(), b.clone(), PathBuf::from("/dev/null")]
    );
    assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
    assert_eq!(fs::read_to_string(&b).unwrap(), "new b");
    assert_eq!(names(dir.path()), ["a.csv", "b.csv"]);
}

// ---------------------------------------------------------------------------------------------
// What a replacement keeps

#[test]
fn a_replaced_file_keeps_its_permission_bits_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    for bits in [0o600, 0o640, 0o604, 0o755] {
        fs::write(&a, "old").unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(bits)).unwrap();
        let mut out = Outputs::new();
        let dir_path = dir.path().to_path_buf();
        out.stage_with(&a, |w| {
            // The temporary file, while it is being written, is no more open than the old.
            let tmp = names(&dir_path)
                .into_iter()
                .find(|n| n.starts_with(".a.csv."))
                .expect("a temporary file");
            assert_eq!(mode(&dir_path.join(tmp)), bits, "{bits:o}");
            w.write_all(b"new")
        })
        .unwrap();
        out.commit().unwrap();
        assert_eq!(mode(&a), bits, "{bits:o}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
    }
    // A new file gets what any new file gets (0o666 less the umask).
    let reference = dir.path().join("reference");
    fs::File::create(&reference).unwrap();
    let fresh = dir.path().join("fresh.csv");
    write_atomic(&fresh, b"x").unwrap();
    assert_eq!(mode(&fresh), mode(&reference));
    assert_eq!(names(dir.path()), ["a.csv", "fresh.csv", "reference"]);
}

#[test]
fn a_long_name_that_fits_gets_a_temporary_name_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a".repeat(244),
        "b".repeat(255),
        format!("{}{}", "c".repeat(239), "é".repeat(8)),
    ] {
        let path = dir.path().join(&name);
        fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), std::slice::from_ref(&name));
        fs::remove_file(&path).unwrap();
    }
}

/// Makes `dir` unwritable for this process, and undoes it on drop.
enum Locked {
    Mode(PathBuf),
    Immutable(PathBuf),
}

impl Locked {
    fn new(dir: &Path) -> Option<Locked> {
        if !is_root() {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
            return Some(Locked::Mode(dir.to_path_buf()));
        }
        // Root passes mode checks: an immutable folder refuses even root.
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Locked::Immutable(dir.to_path_buf()))
        } else {
            eprintln!("skipped: chattr +i refused here, and root ignores folder modes");
            None
        }
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        match self {
            Locked::Mode(dir) => {
                let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
            }
            Locked::Immutable(dir) => {
                let _ = Command::new("chattr").arg("-i").arg(dir).status();
            }
        }
    }
}

#[test]
fn a_read_only_folder_is_named_with_the_reason_it_must_be_writable() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let a = locked.join("a.csv");
    fs::write(&a, "old").unwrap();
    let Some(_guard) = Locked::new(&locked) else {
        return;
    };
    let err = write_atomic(&a, b"new").unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot write {}: the directory {} must be writable, because the file is replaced \
             atomically",
            a.display(),
            fs::canonicalize(&locked).unwrap().display()
        )),
        "{message}"
    );
    assert_eq!(fs::read_to_string(&a).unwrap(), "old");
}
