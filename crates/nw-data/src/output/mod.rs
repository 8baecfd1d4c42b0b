//! Output files written whole or not at all, several at a time.
//!
//! [`Outputs`] stages each file in a temporary file beside its destination (written, flushed
//! and synced), and only when every one is complete puts them all in place. A command that
//! writes a table, a figure and a report either leaves all three or none: after any failure
//! every destination holds what it held before, after success every one holds its new bytes.
//!
//! # Before any work
//! [`check_targets`] refuses, with the arguments' names, two outputs that are one file and an
//! output that is one of the command's inputs. Paths are compared by what they name, not as
//! text: `./w.csv` and `w.csv`, `sub/../w.csv`, a symbolic link and a hard link to a file are
//! all that file. [`Outputs::stage_with`] refuses a destination staged twice the same way,
//! for callers that have no argument names.
//!
//! # Commit: all or none
//! [`Outputs::commit`] moves the old files aside before it replaces any:
//! 1. every destination that exists gets a second name in its own folder (a hard link, the
//!    very same file; where the system refuses a link, as for an immutable file or a bind
//!    mount, a copy with the same permission bits);
//! 2. the temporary files are renamed over their destinations, in the order staged;
//! 3. the streams (standard output and error, devices, pipes) get their bytes;
//! 4. only then are the second names dropped.
//!
//! A failure in step 1, 2 or 3 renames every moved-aside file back over its destination (a
//! rename, so atomic), removes the new files that had no old one and the temporary files, and
//! returns the first error (with any failure to restore, which names the file holding the
//! old content). Checking every destination up front instead could not see what only the
//! rename finds (`EBUSY` on a mount point, `EPERM` on an immutable file, a destination that
//! became a folder). What cannot be undone: bytes a stream took before it failed, and what a
//! reader saw of a new file between its rename and the restore. A stream whose reader has
//! gone (`nw ... | head`, a broken pipe) is the reader's choice, not a failure: the files stay.
//!
//! # Interruption
//! Live temporary files, and during a commit the moved-aside files, are recorded in one
//! registry for the process. [`abandon`] removes the temporary files and restores every
//! commit in progress; a program calls it when it is told to stop (the `nw` binary does on
//! SIGINT, SIGTERM and SIGHUP). Library code installs no signal handler. Commits hold the
//! registry's lock while they rename, so `abandon` never sees half of a rename.
//!
//! # What a replacement keeps
//! The new file gets the old file's permission bits from the moment it is created (never more
//! open in between); a new file gets the usual `0o666 & !umask`. The owner is the writer's.
//! Temporary names (`.NAME.PID.N.tmp`, and `.NAME.PID.N.bak` for moved-aside files) are cut
//! to fit wherever the destination's own name fits. The destination's folder must be
//! writable: a file is replaced by a rename, never rewritten in place.
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

mod journal;
mod target;

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use journal::{RestoreError, mode_of, parent_dir, sync_dir};
pub use target::check_targets;
use target::{Destination, Identity, Stream, destination, resolve_dir};

/// Removes every live temporary file and puts back every destination a commit in progress
/// has replaced; afterwards every stage and commit in this process fails with
/// [`DataError::Interrupted`].
///
/// For a program that is told to stop (SIGINT, SIGTERM, SIGHUP): call it from the thread
/// that waits for the signal, then let the process die. It waits for a rename in progress to
/// finish, and is safe to call from any thread, any number of times.
pub fn abandon() {
    journal::lock().abandon();
}

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
        identity: Identity,
    },
    /// Bytes for a stream; `identity` is `None` for the command's own report on standard
    /// output, which shares it with whatever else goes there and is not listed as written.
    Stream {
        to: Stream,
        bytes: Vec<u8>,
        shown: PathBuf,
        identity: Option<Identity>,
    },
}

impl Staged {
    fn clashes(&self, other: &Identity) -> bool {
        match self {
            Staged::File { identity, .. } => identity.clashes(other),
            Staged::Stream { identity, .. } => identity.as_ref().is_some_and(|i| i.clashes(other)),
        }
    }

    fn shown(&self) -> &Path {
        match self {
            Staged::File { shown, .. } | Staged::Stream { shown, .. } => shown,
        }
    }
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

    /// Stages a program's own report for standard output, written at commit after every
    /// other output (so a failing standard output restores every file). Unlike `stage("-")`
    /// it may share standard output with an output staged there, and it is not listed among
    /// the paths [`commit`](Outputs::commit) returns.
    pub fn stage_stdout(&mut self, bytes: &[u8]) {
        self.staged.push(Staged::Stream {
            to: Stream::Stdout,
            bytes: bytes.to_vec(),
            shown: PathBuf::from("standard output"),
            identity: None,
        });
    }

    /// Stages the output `fill` writes for `path`: into a temporary file beside it, or into
    /// memory for a stream. Refuses a destination already staged, by what it names (two
    /// outputs, one file: see [`check_targets`]).
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
        let identity = target::identity_of(&destination);
        if let Some(first) = self.staged.iter().find(|s| s.clashes(&identity)) {
            return Err(DataError::SameOutput {
                first: first.shown().to_path_buf(),
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
                    identity: Some(identity),
                }
            }
            Destination::Replace(target) => {
                // Checked now, not found at commit: a rename onto a folder fails, and the
                // whole commit would be undone for it.
                if target.is_dir() {
                    return Err(write_err(io::Error::other("it is a folder, not a file")));
                }
                let file_name = target.file_name().ok_or_else(|| {
                    write_err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the path does not name a file",
                    ))
                })?;
                let mode = fs::metadata(&target)
                    .ok()
                    .filter(fs::Metadata::is_file)
                    .and_then(|m| mode_of(&m));
                let dir = parent_dir(&target);
                let (tmp_path, file) = {
                    let mut registry = journal::lock();
                    if registry.abandoned {
                        return Err(DataError::Interrupted);
                    }
                    registry.create_temp(dir, file_name, mode)
                }
                .map_err(|source| create_error(path, dir, source))?;
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
                    identity,
                }
            }
        };
        self.staged.push(staged);
        Ok(())
    }

    /// Puts every staged output in place, all or none (see the module docs), and returns the
    /// paths as given: the files in the order staged, then the streams.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        // Declared before the registry's guard, so their temporary files are removed (which
        // takes the lock) only after the guard is gone.
        let mut files = Vec::new();
        let mut streams = Vec::new();
        for staged in self.staged {
            match staged {
                Staged::File {
                    tmp, target, shown, ..
                } => files.push((tmp, target, shown)),
                Staged::Stream {
                    to,
                    bytes,
                    shown,
                    identity,
                } => streams.push((to, bytes, shown, identity.is_some())),
            }
        }
        let mut written = Vec::with_capacity(files.len() + streams.len());
        let id = {
            let mut registry = journal::lock();
            if registry.abandoned {
                return Err(DataError::Interrupted);
            }
            let id = registry.begin();
            for (_, target, shown) in &files {
                if let Err(source) = registry.add_target(id, target) {
                    let error = DataError::Write {
                        path: shown.clone(),
                        source,
                    };
                    return Err(with_restore(error, registry.roll_back(id)));
                }
            }
            for (index, (tmp, _, shown)) in files.iter_mut().enumerate() {
                let from = tmp.path.clone().unwrap_or_default();
                if let Err(source) = registry.rename_into_place(id, index, &from) {
                    let error = DataError::Write {
                        path: shown.clone(),
                        source,
                    };
                    return Err(with_restore(error, registry.roll_back(id)));
                }
                tmp.path = None;
                written.push(shown.clone());
            }
            id
        };
        let dirs: BTreeSet<&Path> = files.iter().map(|(_, t, _)| parent_dir(t)).collect();
        dirs.into_iter().for_each(sync_dir);
        // Without the lock: a stream can block (a full pipe), and a signal must still be
        // able to restore the files meanwhile.
        for (to, bytes, shown, listed) in streams {
            match write_stream(&to, &bytes) {
                // The reader left (`nw ... | head`): its choice, not a failed write.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(source) => {
                    let mut registry = journal::lock();
                    if !registry.is_live(id) {
                        return Err(DataError::Interrupted);
                    }
                    let error = DataError::Write {
                        path: shown,
                        source,
                    };
                    return Err(with_restore(error, registry.roll_back(id)));
                }
                Ok(()) => {}
            }
            if listed {
                written.push(shown);
            }
        }
        let mut registry = journal::lock();
        if !registry.is_live(id) {
            return Err(DataError::Interrupted);
        }
        registry.finish(id);
        Ok(written)
    }
}

/// The first error of a failed commit, with the restore's failure if there was one.
fn with_restore(error: DataError, restore: Result<(), RestoreError>) -> DataError {
    match restore {
        Ok(()) => error,
        Err(r) => DataError::NotRestored {
            error: Box::new(error),
            target: r.target,
            backup: r.backup,
            source: r.source,
        },
    }
}

/// The error for a temporary file that could not be created in `dir`: a folder we may not
/// write in is named, with the reason it must be writable.
fn create_error(path: &Path, dir: &Path, source: io::Error) -> DataError {
    match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            DataError::DirNotWritable {
                path: path.to_path_buf(),
                dir: resolve_dir(dir),
                source,
            }
        }
        _ => DataError::Write {
            path: path.to_path_buf(),
            source,
        },
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
            let mut registry = journal::lock();
            let _ = fs::remove_file(&path);
            registry.forget_temp(&path);
        }
    }
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
}
