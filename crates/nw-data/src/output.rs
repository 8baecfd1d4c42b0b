//! Output files written whole or not at all, several at a time.
//!
//! [`Outputs`] stages each file in a temporary file beside its destination (written, flushed
//! and synced), and only when every one is complete renames them into place, one after
//! another. A failure while staging any of them leaves no file written and every old file as
//! it was; a command that writes a table, a figure and a log either leaves all three or none.
//!
//! # Where a path leads
//! - A regular file (or nothing yet): replaced by rename. A symbolic link is followed, so the
//!   link stays a link and its target is replaced.
//! - The process's standard streams, by any of their names (`-`, `/dev/stdout`, `/dev/fd/1`,
//!   `/proc/self/fd/1`, and the same for stderr): written through the open handle, so a
//!   shell redirection and everything else written to it survive. Renaming over the file
//!   behind `/dev/stdout` would erase the rest of the output.
//! - Another device, pipe or socket (`/dev/null`, a FIFO, `/dev/fd/N`): appended to in place,
//!   never replaced (a rename would put a regular file where `/dev/null` was).
//!
//! Streams get their bytes at commit, after every file is in place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{DataError, Result};

/// Numbers temporary files within this process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Files staged to be written together; see the module docs.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<Staged>,
}

/// One staged output.
#[derive(Debug)]
enum Staged {
    /// A complete temporary file, to be renamed over `target`.
    File {
        tmp: TempFile,
        target: PathBuf,
        shown: PathBuf,
    },
    /// Bytes for a stream.
    Stream {
        to: Stream,
        bytes: Vec<u8>,
        shown: PathBuf,
    },
}

/// A destination that is written in place, not replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
    /// A device, pipe or descriptor path, opened for appending.
    Append(PathBuf),
}

/// Where a write to a path really lands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    /// A regular file (or none yet) at this path: written beside it and renamed over it.
    Replace(PathBuf),
    /// Written in place.
    Stream(Stream),
}

impl Outputs {
    /// Nothing staged yet.
    pub fn new() -> Self {
        Outputs::default()
    }

    /// Stages `bytes` for `path`.
    pub fn stage(&mut self, path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
        self.stage_with(path.as_ref(), |w| w.write_all(bytes))
    }

    /// Stages the output `fill` writes for `path`: into a temporary file beside it, or into
    /// memory for a stream. Refuses a destination already staged (two outputs, one file).
    pub fn stage_with(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let write_err = |source: io::Error| DataError::Write {
            path: path.to_path_buf(),
            source,
        };
        let destination = destination(path);
        if self.staged.iter().any(|s| s.same(path, &destination)) {
            return Err(DataError::SameOutput {
                path: path.to_path_buf(),
            });
        }
        let staged = match destination {
            Destination::Stream(to) => {
                let mut bytes = Vec::new();
                fill(&mut bytes).map_err(write_err)?;
                Staged::Stream {
                    to,
                    bytes,
                    shown: path.to_path_buf(),
                }
            }
            Destination::Replace(target) => {
                // Checked now, not found at commit: a rename onto a folder fails, and by then
                // other files may already be in place.
                if target.is_dir() {
                    return Err(write_err(io::Error::other("it is a folder, not a file")));
                }
                let file_name = target.file_name().ok_or_else(|| {
                    write_err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the path does not name a file",
                    ))
                })?;
                let (tmp_path, file) =
                    create_temp(parent_dir(&target), &file_name.to_string_lossy())
                        .map_err(write_err)?;
                let tmp = TempFile {
                    path: Some(tmp_path),
                };
                let mut w = BufWriter::new(file);
                fill(&mut w).map_err(write_err)?;
                let file = w.into_inner().map_err(|e| write_err(e.into_error()))?;
                // Data on disk before the rename makes it visible, so a crash cannot expose
                // an empty file.
                file.sync_all().map_err(write_err)?;
                Staged::File {
                    tmp,
                    target,
                    shown: path.to_path_buf(),
                }
            }
        };
        self.staged.push(staged);
        Ok(())
    }

    /// Puts every staged output in place, in the order staged, and returns their paths as
    /// given. Each rename is atomic; they start only once every file is complete.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::with_capacity(self.staged.len());
        let mut streams = Vec::new();
        for staged in self.staged {
            match staged {
                Staged::File {
                    mut tmp,
                    target,
                    shown,
                } => {
                    let from = tmp.path.take().unwrap_or_default();
                    if let Err(source) = fs::rename(&from, &target) {
                        tmp.path = Some(from);
                        return Err(DataError::Write {
                            path: shown,
                            source,
                        });
                    }
                    sync_dir(parent_dir(&target));
                    written.push(shown);
                }
                Staged::Stream { to, bytes, shown } => streams.push((to, bytes, shown)),
            }
        }
        for (to, bytes, shown) in streams {
            write_stream(&to, &bytes).map_err(|source| DataError::Write {
                path: shown.clone(),
                source,
            })?;
            written.push(shown);
        }
        Ok(written)
    }
}

impl Staged {
    /// Whether this staged output goes where `path` (resolved to `destination`) would.
    fn same(&self, path: &Path, destination: &Destination) -> bool {
        match (self, destination) {
            (Staged::File { target, shown, .. }, Destination::Replace(other)) => {
                shown == path || target == other
            }
            (Staged::Stream { to, .. }, Destination::Stream(other)) => {
                // Several writes to /dev/null are harmless; the standard streams are not
                // files to be given twice.
                to == other && !matches!(other, Stream::Append(p) if p == Path::new("/dev/null"))
            }
            _ => false,
        }
    }
}

/// Writes `bytes` to a stream destination.
fn write_stream(to: &Stream, bytes: &[u8]) -> io::Result<()> {
    match to {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Stream::Stderr => {
            let mut err = io::stderr().lock();
            err.write_all(bytes)?;
            err.flush()
        }
        Stream::Append(path) => {
            let mut file = OpenOptions::new().append(true).open(path)?;
            file.write_all(bytes)?;
            file.flush()
        }
    }
}

/// Resolves `path` for writing (see the module docs).
fn destination(path: &Path) -> Destination {
    match path.to_str() {
        Some("-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1") => {
            return Destination::Stream(Stream::Stdout);
        }
        Some("/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2") => {
            return Destination::Stream(Stream::Stderr);
        }
        _ => {}
    }
    // A descriptor by path (or a link to one): what lies behind it is another open file's,
    // to be added to, not replaced.
    let through_fd = |p: &Path| {
        p.starts_with("/dev/fd")
            || (p.starts_with("/proc") && p.components().any(|c| c.as_os_str() == "fd"))
    };
    let link = fs::read_link(path).ok();
    if through_fd(path) || link.as_deref().is_some_and(through_fd) {
        return Destination::Stream(Stream::Append(path.to_path_buf()));
    }
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            match is_link.then(|| fs::canonicalize(path)) {
                Some(Ok(target)) => Destination::Replace(target),
                _ => Destination::Replace(path.to_path_buf()),
            }
        }
        // A directory is left to the rename, which refuses it with the system's reason.
        Ok(meta) if !meta.is_dir() => Destination::Stream(Stream::Append(path.to_path_buf())),
        _ => Destination::Replace(path.to_path_buf()),
    }
}

/// Removes the temporary file unless it was renamed into place.
#[derive(Debug)]
struct TempFile {
    path: Option<PathBuf>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best effort: the write has already failed and that error is what the caller
            // needs to see; a leftover temporary file is named so it is clearly ours.
            let _ = fs::remove_file(path);
        }
    }
}

/// The directory holding `path`, where its temporary file goes: the same file system, so the
/// rename is atomic. A bare file name's parent is "", which means the current directory.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new, empty temporary file in `dir`, named after the destination.
fn create_temp(dir: &Path, file_name: &str) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last_err = None;
    // `create_new` never opens an existing file, so two writers cannot share a temporary;
    // a clash (a stale file from a crashed run with our pid) just moves to the next name.
    for _ in 0..64 {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{file_name}.{pid}.{n}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Makes the rename itself durable where the platform allows it.
fn sync_dir(dir: &Path) {
    // Best effort: the file is complete and in place already; some file systems (and Windows)
    // cannot sync a directory, and that is no reason to report the write as failed.
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.png"));
        fs::write(&a, "old").unwrap();
        // The second file's folder does not exist: staging fails, the first is untouched and
        // no temporary file is left.
        let mut out = Outputs::new();
        out.stage(&a, b"new").unwrap();
        let err = out.stage(dir.path().join("no/such.csv"), b"x").unwrap_err();
        assert!(err.to_string().contains("no/such.csv"), "{err}");
        drop(out);
        assert_eq!(fs::read_to_string(&a).unwrap(), "old");
        assert_eq!(files_in(dir.path()), ["a.csv"]);
        // A failing fill is the same.
        let mut out = Outputs::new();
        out.stage(&a, b"new").unwrap();
        assert!(
            out.stage_with(&b, |w| {
                w.write_all(b"half")?;
                Err(io::Error::other("disk full"))
            })
            .is_err()
        );
        drop(out);
        assert_eq!(files_in(dir.path()), ["a.csv"]);
        // All staged: all written, in order.
        let mut out = Outputs::new();
        out.stage(&a, b"new").unwrap();
        out.stage(&b, b"png").unwrap();
        assert_eq!(out.commit().unwrap(), [a.clone(), b.clone()]);
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(files_in(dir.path()), ["a.csv", "b.png"]);
    }

    #[test]
    fn one_file_is_not_two_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let mut out = Outputs::new();
        out.stage(&a, b"1").unwrap();
        let err = out.stage(&a, b"2").unwrap_err();
        assert!(matches!(err, DataError::SameOutput { .. }), "{err}");
        // The same file by another name, through a link, too.
        #[cfg(unix)]
        {
            fs::write(&a, "x").unwrap();
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(&a, &link).unwrap();
            let mut out = Outputs::new();
            out.stage(&a, b"1").unwrap();
            assert!(out.stage(&link, b"2").is_err());
        }
    }

    #[cfg(unix)]
    #[test]
    fn streams_are_written_in_place_and_links_through_to_their_target() {
        // Only the decisions are tested on the machine's own devices: a wrong answer must
        // never replace /dev/null or the file behind /dev/stdout.
        for (path, want) in [
            ("/dev/stdout", Stream::Stdout),
            ("-", Stream::Stdout),
            ("/proc/self/fd/1", Stream::Stdout),
            ("/dev/stderr", Stream::Stderr),
            ("/dev/null", Stream::Append(PathBuf::from("/dev/null"))),
            ("/dev/fd/7", Stream::Append(PathBuf::from("/dev/fd/7"))),
        ] {
            assert_eq!(
                destination(Path::new(path)),
                Destination::Stream(want),
                "{path}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut out = Outputs::new();
        out.stage(&link, b"x\n1\n").unwrap();
        out.commit().unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "x\n1\n");
        let plain = dir.path().join("plain.csv");
        assert_eq!(destination(&plain), Destination::Replace(plain.clone()));
    }

    #[test]
    fn a_path_without_a_file_name_or_naming_a_folder_is_refused() {
        let err = Outputs::new()
            .stage(Path::new("no-such-folder/.."), b"")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot write no-such-folder/..: the path does not name a file"
        );
        let err = Outputs::new().stage(Path::new("/"), b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot write /: it is a folder, not a file"
        );
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        assert_eq!(parent_dir(Path::new("out.csv")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/out.csv")), Path::new("a"));
        assert_eq!(parent_dir(Path::new("/out.csv")), Path::new("/"));
    }
}
