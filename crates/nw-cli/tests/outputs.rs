//! Output handling through the real `nw` binary (issue 9): one file under two names, commits
//! that fail half way, permission bits, long names, read-only folders and interruption.
//!
//! Every test that runs a command which must fail checks what it leaves: the old files byte
//! for byte and no temporary or backup file. Tests that need root (`chattr`, `mount --bind`)
//! print why they skip when they cannot run.

// A test that cannot run here says why on stderr (shown with --nocapture).
#![allow(clippy::print_stderr)]

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The binary under test, run in `dir` (so tests can spell paths relative to it).
fn nw(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("nw"));
    cmd.current_dir(dir).stdin(Stdio::null());
    cmd
}

/// Runs `cmd` with captured output.
fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("nw runs")
}

/// Expects `out` to be a failure with a message and no panic; returns the message.
fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "expected exit 1: {err}");
    // Warnings about the answer may come first; the error is what ends it.
    assert!(err.lines().any(|l| l.starts_with("error: ")), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
    err
}

fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The names in `dir`, sorted, so a test can say exactly what a command left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const TRAIN: &str = "x,y\n0,1\n1,3\n2,5\n";
const QUERY: &str = "x\n0.5\n1.5\n";

/// A folder with `t.csv` (training set) and `q.csv` (queries).
fn workspace() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("t.csv"), TRAIN).unwrap();
    fs::write(dir.path().join("q.csv"), QUERY).unwrap();
    dir
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a system tool; `Err` says why it did not work.
fn tool(program: &str, args: &[&str], path: &Path) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {args:?} {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `chattr +i PATH`, undone on drop.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Result<Immutable, String> {
        if !is_root() {
            return Err("not root: chattr +i needs CAP_LINUX_IMMUTABLE".into());
        }
        tool("chattr", &["+i"], path)?;
        Ok(Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = tool("chattr", &["-i"], &self.0);
    }
}

/// `mount --bind FROM ONTO`, unmounted on drop.
struct BindMount(PathBuf);

impl BindMount {
    fn new(from: &Path, onto: &Path) -> Result<BindMount, String> {
        if !is_root() {
            return Err("not root: mount --bind needs CAP_SYS_ADMIN".into());
        }
        let out = Command::new("mount")
            .arg("--bind")
            .arg(from)
            .arg(onto)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount --bind refused: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(BindMount(onto.to_path_buf()))
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = tool("umount", &[], &self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Item 1: one file under two spellings, or an output that is an input

#[test]
fn predict_refuses_one_file_given_as_two_outputs() {
    let dir = workspace();
    let out = run(nw(dir.path()).args([
        "predict",
        "--train",
        "t.csv",
        "--query",
        "q.csv",
        "--out",
        "./w.csv",
        "--weights",
        "w.csv",
    ]));
    let err = failed(&out);
    assert!(
        err.contains("--out ./w.csv and --weights w.csv are the same file"),
        "{err}"
    );
    assert_eq!(names(dir.path()), ["q.csv", "t.csv"]);
}

#[test]
fn generate_refuses_one_file_given_as_two_outputs() {
    let dir = TempDir::new().unwrap();
    let d = dir.path().join("d.csv");
    fs::write(&d, "old\n").unwrap();
    let out =
        run(nw(dir.path()).args(["generate", "--train-out", "./d.csv", "--test-out", "d.csv"]));
    let err = failed(&out);
    assert!(
        err.contains("--train-out ./d.csv and --test-out d.csv are the same file"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&d).unwrap(), "old\n");
    assert_eq!(names(dir.path()), ["d.csv"]);
    // The same through a folder and back, and through a hard link.
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::hard_link(&d, dir.path().join("h.csv")).unwrap();
    for other in ["sub/../d.csv", "h.csv"] {
        let out =
            run(nw(dir.path()).args(["generate", "--train-out", "d.csv", "--test-out", other]));
        let err = failed(&out);
        assert!(
            err.contains(&format!(
                "--train-out d.csv and --test-out {other} are the same file"
            )),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&d).unwrap(), "old\n");
    }
    assert_eq!(names(dir.path()), ["d.csv", "h.csv", "sub"]);
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = workspace();
    std::os::unix::fs::symlink("t.csv", dir.path().join("link.csv")).unwrap();
    let out = run(nw(dir.path()).args([
        "predict",
        "--train",
        "t.csv",
        "--query",
        "q.csv",
        "--weights",
        "link.csv",
    ]));
    let err = failed(&out);
    assert!(
        err.contains("--weights link.csv is the input --train t.csv (through a link)"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dir.path().join("t.csv")).unwrap(), TRAIN);
    assert_eq!(names(dir.path()), ["link.csv", "q.csv", "t.csv"]);
    // train and plot too, spelled differently.
    let out = run(nw(dir.path()).args(["train", "--train", "t.csv", "--out", "./t.csv"]));
    let err = failed(&out);
    assert!(
        err.contains("--out ./t.csv is the input --train t.csv"),
        "{err}"
    );
    fs::write(dir.path().join("e.svg"), "epoch,loss\n1,0.5\n2,0.25\n").unwrap();
    let out = run(nw(dir.path()).args(["plot", "loss", "--epochs", "e.svg", "--out", "./e.svg"]));
    let err = failed(&out);
    assert!(
        err.contains("--out ./e.svg is the input --epochs e.svg"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dir.path().join("t.csv")).unwrap(), TRAIN);
    assert_eq!(
        fs::read_to_string(dir.path().join("e.svg")).unwrap(),
        "epoch,loss\n1,0.5\n2,0.25\n"
    );
}

#[test]
fn predict_refuses_an_output_on_the_standard_output_it_prints_to() {
    let dir = workspace();
    // Without --out the predictions go to standard output: --weights there would mix two
    // tables in one stream.
    let out = run(nw(dir.path()).args([
        "predict",
        "--train",
        "t.csv",
        "--query",
        "q.csv",
        "--weights",
        "-",
    ]));
    let err = failed(&out);
    assert!(
        err.contains("--weights - and standard output are the same file"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // Several outputs to /dev/null are fine.
    let out = run(nw(dir.path()).args([
        "predict",
        "--train",
        "t.csv",
        "--query",
        "q.csv",
        "--weights",
        "/dev/null",
        "--out",
        "/dev/null",
    ]));
    succeeded(&out);
}

// ---------------------------------------------------------------------------------------------
// Item 2: all or none at commit

/// `generate --train-out d.csv --test-out SECOND` over old files: fails, and leaves both old
/// files and nothing else.
fn generate_fails_and_keeps(dir: &Path, second: &str) -> String {
    let d = dir.join("d.csv");
    let out = run(nw(dir).args([
        "generate",
        "--n-train",
        "20",
        "--train-out",
        "d.csv",
        "--test-out",
        second,
    ]));
    let err = failed(&out);
    assert_eq!(fs::read_to_string(&d).unwrap(), "old d\n", "{err}");
    err
}

#[test]
fn a_failing_device_output_leaves_every_file_as_it_was() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("d.csv"), "old d\n").unwrap();
    let err = generate_fails_and_keeps(dir.path(), "/dev/full");
    assert!(err.contains("/dev/full"), "{err}");
    assert_eq!(names(dir.path()), ["d.csv"]);
    // predict: --out to the device, --weights to a file that did not exist: it must not
    // exist afterwards either.
    let dir = workspace();
    let out = run(nw(dir.path()).args([
        "predict",
        "--train",
        "t.csv",
        "--query",
        "q.csv",
        "--out",
        "/dev/full",
        "--weights",
        "w.csv",
    ]));
    failed(&out);
    assert_eq!(names(dir.path()), ["q.csv", "t.csv"]);
}

#[test]
fn a_failing_standard_output_leaves_every_file_as_it_was() {
    let dir = workspace();
    fs::write(dir.path().join("p.csv"), "old p\n").unwrap();
    let out = nw(dir.path())
        .args([
            "predict", "--train", "t.csv", "--query", "q.csv", "--out", "p.csv", "--json",
        ])
        .stdout(Stdio::from(File::create("/dev/full").unwrap()))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = failed(&out);
    assert!(err.contains("standard output"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("p.csv")).unwrap(),
        "old p\n"
    );
    assert_eq!(names(dir.path()), ["p.csv", "q.csv", "t.csv"]);
    // train prints its report after writing its epochs: the report failing undoes them.
    let out = nw(dir.path())
        .args([
            "train", "--train", "t.csv", "--w0", "0.5", "--epochs", "2", "--out", "p.csv",
        ])
        .stdout(Stdio::from(File::create("/dev/full").unwrap()))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    failed(&out);
    assert_eq!(
        fs::read_to_string(dir.path().join("p.csv")).unwrap(),
        "old p\n"
    );
    assert_eq!(names(dir.path()), ["p.csv", "q.csv", "t.csv"]);
}

#[test]
fn a_reader_that_stops_early_is_not_a_failure() {
    // `nw ... | head`: the reader's choice; the files are written and the exit is 0.
    let dir = workspace();
    let mut child = nw(dir.path())
        .args([
            "predict", "--train", "t.csv", "--query", "q.csv", "--out", "p.csv", "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    succeeded(&out);
    assert!(
        fs::read_to_string(dir.path().join("p.csv"))
            .unwrap()
            .starts_with("x,y_hat\n")
    );
}

#[test]
fn a_failing_standard_error_does_not_fail_the_command() {
    // Notes on stderr are not results: `2>/dev/full` must not panic or fail the command.
    let dir = TempDir::new().unwrap();
    let out = nw(dir.path())
        .args(["generate", "--n-train", "5", "--train-out", "d.csv"])
        .stderr(Stdio::from(File::create("/dev/full").unwrap()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(
        fs::read_to_string(dir.path().join("d.csv"))
            .unwrap()
            .lines()
            .count(),
        6
    );
}

#[test]
fn an_immutable_second_target_leaves_the_first_as_it_was() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("d.csv"), "old d\n").unwrap();
    let e = dir.path().join("e.csv");
    fs::write(&e, "old e\n").unwrap();
    let _guard = match Immutable::set(&e) {
        Ok(guard) => guard,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let err = generate_fails_and_keeps(dir.path(), "e.csv");
    assert!(err.contains("e.csv"), "{err}");
    assert_eq!(fs::read_to_string(&e).unwrap(), "old e\n");
    assert_eq!(names(dir.path()), ["d.csv", "e.csv"]);
}

#[test]
fn a_bind_mounted_second_target_leaves_the_first_as_it_was() {
    // A container's single-file volume: the rename over a mount point fails with EBUSY.
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("d.csv"), "old d\n").unwrap();
    let volume = TempDir::new().unwrap();
    let source = volume.path().join("source.csv");
    fs::write(&source, "mounted\n").unwrap();
    let e = dir.path().join("e.csv");
    fs::write(&e, "under the mount\n").unwrap();
    let _mount = match BindMount::new(&source, &e) {
        Ok(guard) => guard,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let err = generate_fails_and_keeps(dir.path(), "e.csv");
    assert!(err.contains("e.csv"), "{err}");
    assert_eq!(fs::read_to_string(&e).unwrap(), "mounted\n");
    assert_eq!(names(dir.path()), ["d.csv", "e.csv"]);
    drop(_mount);
    assert_eq!(fs::read_to_string(&e).unwrap(), "under the mount\n");
    assert_eq!(fs::read_to_string(&source).unwrap(), "mounted\n");
}

// ---------------------------------------------------------------------------------------------
// Item 3: permission bits, long names, interruption; item 12: read-only folders

#[test]
fn a_replaced_file_keeps_its_permission_bits() {
    let dir = TempDir::new().unwrap();
    for mode in [0o600, 0o640, 0o755] {
        let d = dir.path().join("d.csv");
        fs::write(&d, "old\n").unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(mode)).unwrap();
        succeeded(&run(nw(dir.path()).args([
            "generate",
            "--n-train",
            "5",
            "--train-out",
            "d.csv",
        ])));
        let meta = fs::metadata(&d).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{mode:o}");
        assert!(fs::read_to_string(&d).unwrap().starts_with("x,y\n"));
    }
}

#[test]
fn a_long_file_name_that_the_system_allows_is_written() {
    let dir = TempDir::new().unwrap();
    // 244 bytes, and in another run 250 with two-byte characters near the end.
    for name in [
        format!("{}.csv", "a".repeat(240)),
        format!("{}{}.csv", "b".repeat(236), "é".repeat(5)),
    ] {
        fs::write(dir.path().join(&name), "old\n").unwrap();
        succeeded(&run(nw(dir.path()).args([
            "generate",
            "--n-train",
            "5",
            "--train-out",
            &name,
        ])));
        assert!(
            fs::read_to_string(dir.path().join(&name))
                .unwrap()
                .starts_with("x,y\n")
        );
        assert_eq!(names(dir.path()), std::slice::from_ref(&name));
        fs::remove_file(dir.path().join(&name)).unwrap();
    }
}

/// Makes a folder unwritable, undone on drop.
enum ReadOnly {
    /// `chmod 0555`, for a user.
    Mode(PathBuf),
    /// `chattr +i`, for root, whom modes do not stop.
    Immutable(#[allow(dead_code)] Immutable),
}

impl ReadOnly {
    /// `None` (saying why) when neither works here.
    fn set(dir: &Path) -> Option<ReadOnly> {
        if !is_root() {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
            return Some(ReadOnly::Mode(dir.to_path_buf()));
        }
        match Immutable::set(dir) {
            Ok(guard) => Some(ReadOnly::Immutable(guard)),
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if let ReadOnly::Mode(dir) = self {
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_read_only_folder_is_named_with_the_reason() {
    let dir = TempDir::new().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let d = locked.join("d.csv");
    fs::write(&d, "old\n").unwrap();
    let Some(_guard) = ReadOnly::set(&locked) else {
        return;
    };
    let out = run(nw(dir.path()).args(["generate", "--train-out", "locked/d.csv"]));
    let err = failed(&out);
    let canonical = fs::canonicalize(&locked).unwrap();
    assert!(
        err.contains(&format!(
            "cannot write locked/d.csv: the directory {} must be writable",
            canonical.display()
        )) && err.contains("replaced atomically"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&d).unwrap(), "old\n");
}

/// Starts a long `nw generate` over an old `d.csv`, sends `signal` once its temporary file
/// exists, and checks that it died of the signal and left only the old file.
fn interrupt(signal: &str, number: i32) {
    let dir = TempDir::new().unwrap();
    let d = dir.path().join("d.csv");
    fs::write(&d, "old\n").unwrap();
    let mut child = nw(dir.path())
        .args(["generate", "--n-train", "30000000", "--train-out", "d.csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if names(dir.path()).iter().any(|n| n.starts_with(".d.csv.")) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "nw ended before its temporary file was seen"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.signal() == Some(number) || out.status.code() == Some(128 + number),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(dir.path()), ["d.csv"]);
    assert_eq!(fs::read_to_string(&d).unwrap(), "old\n");
}

#[test]
fn sigint_removes_the_temporary_file() {
    interrupt("INT", 2);
}

#[test]
fn sigterm_removes_the_temporary_file() {
    interrupt("TERM", 15);
}

#[test]
fn sighup_removes_the_temporary_file() {
    interrupt("HUP", 1);
}
