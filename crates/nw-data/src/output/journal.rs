//! What the process must put right if it stops half way: the live temporary files, and for
//! each commit in progress the old files it moved aside.
//!
//! One registry for the whole process, behind a lock. Temporary files are created and
//! recorded under the lock; a commit holds it while it moves old files aside and renames new
//! ones into place, so [`abandon`](super::abandon), called from another thread (a signal
//! watcher), sees either none of a rename or all of it, never half.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The longest file name most file systems take (`NAME_MAX` on Linux, in bytes).
const NAME_MAX: usize = 255;

/// Numbers temporary and backup names within this process.
static NAME_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Numbers commits, so one commit's failure restores only its own files.
static COMMIT_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The process-wide registry.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temps: Vec::new(),
    commits: Vec::new(),
    abandoned: false,
});

/// Files to remove and files to restore if the process stops now.
#[derive(Debug)]
pub(super) struct Registry {
    /// Temporary files that exist and are not yet renamed into place (absolute paths).
    temps: Vec<PathBuf>,
    /// The commits in progress.
    commits: Vec<Journal>,
    /// Set by `abandon`: from then on nothing new is written.
    pub(super) abandoned: bool,
}

/// One commit's record of its targets, in the order it renames them.
#[derive(Debug)]
struct Journal {
    id: u64,
    entries: Vec<Entry>,
}

/// One target of a commit.
#[derive(Debug)]
struct Entry {
    /// The file replaced.
    target: PathBuf,
    /// Its old content under another name in its folder, if it had any.
    backup: Option<PathBuf>,
    /// Whether the new file is in place at `target` yet.
    renamed: bool,
}

/// A target that could not be put back as it was.
#[derive(Debug)]
pub(super) struct RestoreError {
    pub(super) target: PathBuf,
    pub(super) backup: Option<PathBuf>,
    pub(super) source: io::Error,
}

/// The registry, also after a thread panicked while holding it (its lists stay valid: every
/// change is one push or one removal).
pub(super) fn lock() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// Creates a new, empty temporary file beside `target_name` in `dir` and records it.
    /// `mode` is the permission bits it gets (the old file's), or the usual `0o666 & !umask`.
    pub(super) fn create_temp(
        &mut self,
        dir: &Path,
        target_name: &OsStr,
        mode: Option<u32>,
    ) -> io::Result<(PathBuf, File)> {
        let mut last_err = None;
        // `create_new` never opens an existing file, so two writers cannot share a temporary;
        // a clash (a stale file from a crashed run with our pid) just moves to the next name.
        for _ in 0..64 {
            let path = absolute(&dir.join(scratch_name(target_name, "tmp")));
            match create_new(&path, mode) {
                Ok(file) => {
                    self.temps.push(path.clone());
                    return Ok((path, file));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    /// Forgets a temporary file that was renamed into place or removed.
    pub(super) fn forget_temp(&mut self, path: &Path) {
        self.temps.retain(|p| p != path);
    }

    /// Starts the journal of a new commit and returns its id.
    pub(super) fn begin(&mut self) -> u64 {
        let id = COMMIT_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.commits.push(Journal {
            id,
            entries: Vec::new(),
        });
        id
    }

    /// Moves the old content of `target` aside (see [`make_backup`]) and records it as the
    /// commit's next target.
    pub(super) fn add_target(&mut self, id: u64, target: &Path) -> io::Result<()> {
        let journal = self.journal(id)?;
        let backup = make_backup(target)?;
        journal.entries.push(Entry {
            target: target.to_path_buf(),
            backup,
            renamed: false,
        });
        Ok(())
    }

    /// Renames the temporary file `tmp` over the commit's `index`-th target.
    pub(super) fn rename_into_place(
        &mut self,
        id: u64,
        index: usize,
        tmp: &Path,
    ) -> io::Result<()> {
        let entry = self
            .journal(id)?
            .entries
            .get_mut(index)
            .ok_or_else(|| io::Error::other("no such target in the commit"))?;
        fs::rename(tmp, &entry.target)?;
        entry.renamed = true;
        self.forget_temp(tmp);
        Ok(())
    }

    /// Whether the commit `id` is still in progress (not rolled back by `abandon`).
    pub(super) fn is_live(&self, id: u64) -> bool {
        self.commits.iter().any(|j| j.id == id)
    }

    /// Puts every target of commit `id` back as it was: old content renamed back over it,
    /// a new file removed where there was none, unused backups removed. Returns the first
    /// target that could not be restored (its backup, if any, is kept).
    pub(super) fn roll_back(&mut self, id: u64) -> Result<(), RestoreError> {
        let Some(at) = self.commits.iter().position(|j| j.id == id) else {
            return Ok(());
        };
        roll_back(self.commits.remove(at))
    }

    /// Ends commit `id` as a success: its backups are dropped (best effort: the new files are
    /// in place, and a leftover backup is named so it is clearly ours).
    pub(super) fn finish(&mut self, id: u64) {
        let Some(at) = self.commits.iter().position(|j| j.id == id) else {
            return;
        };
        let journal = self.commits.remove(at);
        for entry in journal.entries {
            if let Some(backup) = entry.backup {
                let _ = fs::remove_file(backup);
            }
        }
    }

    /// Rolls back every commit in progress and removes every temporary file; from then on
    /// nothing is staged or committed.
    pub(super) fn abandon(&mut self) {
        self.abandoned = true;
        for journal in std::mem::take(&mut self.commits) {
            // Nothing to report to: the process is stopping. A target that cannot be put
            // back keeps its old content in the backup.
            let _ = roll_back(journal);
        }
        for tmp in std::mem::take(&mut self.temps) {
            let _ = fs::remove_file(tmp);
        }
    }

    /// The journal of commit `id`, which lives from `begin` until its own `roll_back` or
    /// `finish`, or until `abandon` took it.
    fn journal(&mut self, id: u64) -> io::Result<&mut Journal> {
        self.commits
            .iter_mut()
            .find(|j| j.id == id)
            .ok_or_else(|| io::Error::other("the commit was abandoned"))
    }
}

/// Undoes one journal, last target first.
fn roll_back(journal: Journal) -> Result<(), RestoreError> {
    let mut first_err = None;
    for entry in journal.entries.into_iter().rev() {
        let result = match (entry.renamed, &entry.backup) {
            (true, Some(backup)) => fs::rename(backup, &entry.target),
            (true, None) => fs::remove_file(&entry.target),
            (false, Some(backup)) => fs::remove_file(backup),
            (false, None) => Ok(()),
        };
        if entry.renamed {
            sync_dir(parent_dir(&entry.target));
        }
        if let Err(source) = result {
            first_err.get_or_insert(RestoreError {
                target: entry.target,
                backup: entry.backup.filter(|_| entry.renamed),
                source,
            });
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// The old content of `target` under a new name in its folder, so it can be renamed back:
/// a hard link (instant, and the very same file comes back), or where the system refuses a
/// link (an immutable file, a bind mount, a file system without links) a copy with the same
/// permission bits. `None` when there is nothing to keep: no file, or a folder (a rename
/// over a folder fails, so it is never replaced).
fn make_backup(target: &Path) -> io::Result<Option<PathBuf>> {
    let meta = match fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        return Ok(None);
    }
    let (dir, name) = (parent_dir(target), target.file_name().unwrap_or_default());
    let mut last_err = None;
    for _ in 0..64 {
        let backup = absolute(&dir.join(scratch_name(name, "bak")));
        let made = match fs::hard_link(target, &backup) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists && meta.is_file() => {
                copy_new(target, &backup, mode_of(&meta))
            }
            other => other,
        };
        match made {
            Ok(()) => return Ok(Some(backup)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free backup file name")))
}

/// Copies `from` to the new file `to`, with `mode`; removes `to` if the copy fails.
fn copy_new(from: &Path, to: &Path, mode: Option<u32>) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut dest = create_new(to, mode)?;
    let copied = io::copy(&mut source, &mut dest).and_then(|_| dest.sync_all());
    if copied.is_err() {
        let _ = fs::remove_file(to);
    }
    copied
}

/// A new file at `path` that nobody else can have opened, with permission bits `mode`
/// from the start (never more open than asked, so private data is never readable in
/// between), or `0o666 & !umask` when `mode` is `None`.
fn create_new(path: &Path, mode: Option<u32>) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        // The umask can only take bits away; `set_permissions` then gives back the ones it
        // took, so the file ends with exactly the old file's bits.
        let file = options.mode(mode).open(path)?;
        if let Err(e) = file.set_permissions(fs::Permissions::from_mode(mode)) {
            let _ = fs::remove_file(path);
            return Err(e);
        }
        return Ok(file);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// The permission bits a replacement of a file with `meta` should have.
pub(super) fn mode_of(meta: &fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// `.NAME.PID.N.EXT`: hidden, named after the target so a leftover is clearly ours, and never
/// longer than a file name may be. A long target name is cut (at a character boundary) so the
/// whole name fits wherever the target's own name fits.
fn scratch_name(target_name: &OsStr, ext: &str) -> OsString {
    let n = NAME_COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!(".{}.{n}.{ext}", std::process::id());
    let name = target_name.to_string_lossy();
    let mut keep = name.len().min(NAME_MAX - 1 - suffix.len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!(".{}{suffix}", &name[..keep]).into()
}

/// `path` made absolute, so a cleanup from another thread finds it whatever the current
/// folder is by then.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The directory holding `path`, where its temporary file goes: the same file system, so the
/// rename is atomic. A bare file name's parent is "", which means the current directory.
pub(super) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes renames in `dir` durable where the platform allows it.
pub(super) fn sync_dir(dir: &Path) {
    // Best effort: the files are complete and in place already; some file systems (and
    // Windows) cannot sync a directory, and that is no reason to report the write as failed.
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

    #[test]
    fn scratch_names_fit_in_a_file_name() {
        for len in [0, 1, 200, 230, 240, 244, 250, 255] {
            let target = "a".repeat(len);
            let name = scratch_name(OsStr::new(&target), "tmp");
            let name = name.to_str().unwrap();
            assert!(name.len() <= NAME_MAX, "{len}: {}", name.len());
            assert!(
                name.starts_with(&format!(".{}", &target[..len.min(20)])),
                "{name}"
            );
            assert!(name.ends_with(".tmp"), "{name}");
        }
        // Cut at a character boundary: "é" is two bytes.
        let target = "é".repeat(127);
        let name = scratch_name(OsStr::new(&target), "bak");
        let name = name.to_str().unwrap();
        assert!(name.len() <= NAME_MAX && name.starts_with(".éé"), "{name}");
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        assert_eq!(parent_dir(Path::new("out.csv")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/out.csv")), Path::new("a"));
        assert_eq!(parent_dir(Path::new("/out.csv")), Path::new("/"));
    }
}
