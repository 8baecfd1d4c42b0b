//! Where a path really leads, and when two paths are one file.
//!
//! Paths are compared by what they name, never as strings: `./w.csv`, `w.csv`, `sub/../w.csv`,
//! a symbolic link to `w.csv` and a hard link to it are all one file. A file that exists is
//! known by its device and inode (through links); one that does not exist yet by its folder,
//! resolved through links, and its name.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{Alias, DataError, Result};

/// A destination that is written in place, not replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stream {
    Stdout,
    Stderr,
    /// A device, pipe or descriptor path, opened for appending.
    Append(PathBuf),
}

/// Where a write to a path really lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Destination {
    /// A regular file (or none yet) at this path: written beside it and renamed over it.
    Replace(PathBuf),
    /// Written in place.
    Stream(Stream),
}

/// What a path names, for telling whether two paths are one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Identity {
    /// An existing file: its device and inode, the same through any link.
    Inode { dev: u64, ino: u64 },
    /// A file not there yet: its folder resolved through links, joined with its name.
    Name(PathBuf),
    /// A stream written in place.
    Stream(Stream),
}

impl Identity {
    /// Whether two outputs with these identities would write one file. Several writes to
    /// `/dev/null` are harmless; the standard streams are not files to be given twice.
    pub(super) fn clashes(&self, other: &Identity) -> bool {
        match (self, other) {
            (Identity::Stream(Stream::Append(p)), _) if p == Path::new("/dev/null") => false,
            _ => self == other,
        }
    }
}

/// Resolves `path` for writing (see the module docs of [`crate::output`]).
pub(super) fn destination(path: &Path) -> Destination {
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

/// What an output to `destination` would write.
pub(super) fn identity_of(destination: &Destination) -> Identity {
    match destination {
        Destination::Stream(to) => Identity::Stream(to.clone()),
        Destination::Replace(target) => file_identity(target),
    }
}

/// What an input at `path` reads, when that is a file an output could replace: standard
/// input (`-`), devices, pipes and paths that do not exist are never in the way.
fn input_identity(path: &Path) -> Option<Identity> {
    if path == Path::new("-") {
        return None;
    }
    let meta = fs::metadata(path).ok()?;
    meta.is_file().then(|| file_identity(path))
}

/// The identity of a regular file (or of a name with nothing behind it yet).
fn file_identity(path: &Path) -> Identity {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        return Identity::Inode {
            dev: meta.dev(),
            ino: meta.ino(),
        };
    }
    #[cfg(not(unix))]
    if let Ok(real) = fs::canonicalize(path) {
        return Identity::Name(real);
    }
    Identity::Name(resolve_entry(path))
}

/// `path` with its folder resolved through links and its last name kept as it is: which
/// folder entry it names (a link there stays the link).
pub(super) fn resolve_entry(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => resolve_dir(dir).join(name),
        // `..` or `/`: no name of its own; the whole path is a folder.
        _ => resolve_dir(&absolute),
    }
}

/// A folder resolved through links, also when its last parts do not exist yet: the part that
/// exists is resolved by the system, the rest by its text (a folder that does not exist
/// cannot be a link, so `..` after it just drops it).
pub(super) fn resolve_dir(dir: &Path) -> PathBuf {
    for base in dir.ancestors() {
        let Ok(mut resolved) = fs::canonicalize(base) else {
            continue;
        };
        let rest = dir.strip_prefix(base).unwrap_or(Path::new(""));
        for part in rest.components() {
            match part {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => resolved.push(name),
                _ => {}
            }
        }
        return resolved;
    }
    dir.to_path_buf()
}

/// How the second of two paths to one file reaches it.
fn alias(first: &Path, second: &Path) -> Alias {
    if resolve_entry(first) == resolve_entry(second) {
        Alias::Spelling
    } else if fs::canonicalize(first).ok() == fs::canonicalize(second).ok() {
        Alias::SymbolicLink
    } else {
        Alias::HardLink
    }
}

/// Refuses, before any work, outputs that would write one file twice and outputs that would
/// replace one of the command's inputs.
///
/// Each entry is `(argument, path)` with the argument as the user typed it (`--out`,
/// `--train`), so the error names both arguments and both paths; an argument that is not an
/// option (such as `standard output`, for a command's printed report) is named alone. Paths
/// are compared by what they name: spellings (`./w.csv` and `w.csv`, `sub/../w.csv`), symbolic
/// and hard links to one file are one file. Standard streams are one file each; any number of
/// outputs may go to `/dev/null`. An input given as `-` (standard input), a device or a pipe
/// is never in the way, nor is an input that does not exist (reading it will say so).
pub fn check_targets(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<()> {
    let identities: Vec<Identity> = outputs
        .iter()
        .map(|(_, p)| identity_of(&destination(p)))
        .collect();
    for (j, (second, second_path)) in outputs.iter().enumerate() {
        for (i, (first, first_path)) in outputs[..j].iter().enumerate() {
            if identities[i].clashes(&identities[j]) {
                return Err(DataError::SameFile {
                    first: (*first).to_string(),
                    first_path: first_path.to_path_buf(),
                    second: (*second).to_string(),
                    second_path: second_path.to_path_buf(),
                    alias: match identities[i] {
                        Identity::Inode { .. } => alias(first_path, second_path),
                        _ => Alias::Spelling,
                    },
                });
            }
        }
    }
    for ((output, output_path), identity) in outputs.iter().zip(&identities) {
        if !matches!(identity, Identity::Inode { .. }) {
            continue;
        }
        for (input, input_path) in inputs {
            if input_identity(input_path).as_ref() == Some(identity) {
                return Err(DataError::OutputIsInput {
                    output: (*output).to_string(),
                    output_path: output_path.to_path_buf(),
                    input: (*input).to_string(),
                    input_path: input_path.to_path_buf(),
                    alias: alias(input_path, output_path),
                });
            }
        }
    }
    Ok(())
}
