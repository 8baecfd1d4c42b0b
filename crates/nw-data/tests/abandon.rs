//! `abandon`, as a signal watcher calls it while the main thread writes. Its own test binary:
//! after `abandon` nothing more can be written in the process.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nw_data::{DataError, Outputs, abandon};

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn abandon_removes_temporary_files_and_restores_a_commit_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let (a, b) = (d.join("a.csv"), d.join("b.csv"));
    fs::write(&a, "old a").unwrap();
    let fifo = d.join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // One commit that will block on the pipe after it has replaced a.csv, and one set of
    // staged files that is never committed.
    let mut blocked = Outputs::new();
    blocked.stage(&a, b"new a").unwrap();
    blocked.stage(&fifo, b"to the pipe").unwrap();
    let mut pending = Outputs::new();
    pending.stage(&b, b"new b").unwrap();
    assert_eq!(names(&d).len(), 4, "{:?}", names(&d)); // a.csv, pipe and two temporaries
    let commit = std::thread::spawn(move || blocked.commit());
    let start = Instant::now();
    while fs::read_to_string(&a).unwrap() != "new a" {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "a.csv never replaced"
        );
        std::thread::sleep(Duration::from_millis(1));
    }

    abandon();
    assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
    assert_eq!(names(&d), ["a.csv", "pipe"]);
    // Let the blocked commit go on: it must see it was abandoned and leave a.csv alone.
    let mut reader = fs::File::open(&fifo).unwrap();
    let mut got = String::new();
    reader.read_to_string(&mut got).unwrap();
    let result = commit.join().unwrap();
    assert!(matches!(result, Err(DataError::Interrupted)), "{result:?}");
    assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
    // Nothing more is written in this process.
    assert!(matches!(pending.commit(), Err(DataError::Interrupted)));
    assert!(matches!(
        Outputs::new().stage(d.join("c.csv"), b"c"),
        Err(DataError::Interrupted)
    ));
    assert_eq!(names(&d), ["a.csv", "pipe"]);
    abandon();
}
