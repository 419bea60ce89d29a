//! Writing what the user asked for (reports, inferred contracts) without harming what a path
//! points at.
//!
//! - A regular file, or a path that does not exist yet, is replaced atomically: a temporary file
//!   beside the *resolved* target (symlinks are followed, so the link stays a link), fsync, then a
//!   rename. A killed run leaves the old file whole.
//! - Anything else — a device (`/dev/null`), a FIFO, `/dev/stdout`, a process substitution
//!   (`>(jq .)`, i.e. `/dev/fd/63`) — is written in place: renaming over it would replace the
//!   device or pipe with a regular file.
//! - `-` is standard output.
//! - A new file gets the mode `0666` minus the umask, as any tool's `>` would; a replaced file
//!   keeps its mode (and, where permitted, its owner), so a report another user uploads stays
//!   readable.
//!
//! Errors name the path the user gave, never the temporary file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Why an output could not be written; shows the user's path.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {}", .path.display(), describe(.source))]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// The io error without any path std or a crate may have put in it.
fn describe(e: &io::Error) -> String {
    if let Some(upload) = e.get_ref().and_then(|inner| inner.downcast_ref::<crate::source::DataError>()) {
        return upload.message.clone();
    }
    match e.kind() {
        io::ErrorKind::NotFound => "its folder does not exist".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "it is a folder".into(),
        io::ErrorKind::StorageFull => "no space left on the device".into(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        _ => match e.raw_os_error() {
            // The OS's own text for the code ("Not a directory (os error 20)") holds no path.
            Some(code) => io::Error::from_raw_os_error(code).to_string(),
            None => e.kind().to_string(),
        },
    }
}

/// How a path will be written.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Stdout,
    /// Replace (or create) this regular file atomically; the path is the symlink-resolved one.
    Replace(PathBuf),
    /// Write in place: a device, FIFO, socket or `/dev/fd/N`.
    InPlace(PathBuf),
    /// An object-store URL: one PUT, which makes the object appear whole or not at all.
    Object(PathBuf),
}

/// Decides how `path` is written. No file is created or changed.
pub fn target_of(path: &Path) -> io::Result<Target> {
    if path.as_os_str() == "-" {
        return Ok(Target::Stdout);
    }
    if crate::remote::is_url(path) {
        return Ok(Target::Object(path.to_path_buf()));
    }
    // Following every link: `/dev/stdout` -> `/proc/self/fd/1` -> a pipe or the shell's file.
    match std::fs::metadata(path) {
        Ok(meta) => {
            // A file reached through /dev or /proc (`/dev/stdout` redirected to a file) is the
            // shell's open file: replacing it by rename would detach what the shell holds.
            if !meta.is_file() || is_proc_or_dev(path) {
                return Ok(Target::InPlace(path.to_path_buf()));
            }
            Ok(Target::Replace(resolve_links(path)?))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Target::Replace(resolve_links(path)?)),
        Err(e) => Err(e),
    }
}

fn is_proc_or_dev(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// Follows symlinks in the last component (a dangling link names the file to create).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::from_raw_os_error(40)) // ELOOP: too many levels of symbolic links
}

/// Writes `bytes` to `path` whole or not at all (see the module comment).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let fail = |source| WriteError { path: path.to_path_buf(), source };
    match target_of(path).map_err(fail)? {
        Target::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(bytes).and_then(|_| out.flush()).map_err(fail)
        }
        Target::InPlace(p) => {
            let mut file = OpenOptions::new().write(true).open(p).map_err(fail)?;
            file.write_all(bytes).and_then(|_| file.flush()).map_err(fail)
        }
        Target::Replace(p) => replace(&p, |file| file.write_all(bytes)).map_err(fail),
        Target::Object(url) => crate::remote::write(&url, bytes.to_vec()).map_err(|e| fail(io::Error::other(e))),
    }
}

/// A file in the system's temporary folder, unique to this process, removed when dropped: a
/// local copy of an object, or an output on its way to object storage.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(extension: &str) -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Scratch(std::env::temp_dir().join(format!(".tollgate-{}-{n}.{extension}", std::process::id())))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A temporary path beside `target`, unique within this process and across processes.
pub fn temporary_beside(target: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.tollgate-{}-{n}.tmp", std::process::id()))
}

/// Creates a temporary file beside `target`, lets `fill` write it, and renames it over `target`.
/// The temporary file is removed on any error.
fn replace(target: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let tmp = temporary_beside(target);
    // 0666 minus the umask, like a shell redirection.
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o666).open(&tmp)?;
    let result = fill(&mut file)
        .and_then(|_| keep_mode_and_owner(&file, target))
        .and_then(|_| file.sync_all())
        .and_then(|_| std::fs::rename(&tmp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Gives a replacement file the mode and owner of the file it replaces, when there is one.
pub fn keep_mode_and_owner(file: &File, target: &Path) -> io::Result<()> {
    match std::fs::metadata(target) {
        Ok(old) if old.is_file() => {
            file.set_permissions(std::fs::Permissions::from_mode(old.mode() & 0o7777))?;
            // Only root may give a file away; elsewhere the owner is the writer already.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Like [`keep_mode_and_owner`] for a file written by someone else (Polars' sink) at `tmp`.
pub fn keep_mode_and_owner_of(tmp: &Path, target: &Path) -> io::Result<()> {
    let file = File::open(tmp)?;
    keep_mode_and_owner(&file, target)
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STDOUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Standard output that a closed pipe (`tollgate check … | head -1`) does not turn into a panic.
/// After a broken pipe, later writes are dropped silently and the exit code stays the verdict's:
/// the reader chose to stop. Any other failure (`> /dev/full`) is said on stderr and makes the
/// run exit 3 (see [`stdout_failed`]): the report was not delivered.
pub fn print(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            STDOUT_FAILED.store(true, Ordering::Relaxed);
            let _ = writeln!(io::stderr(), "error: cannot write to standard output: {}", describe(&e));
        }
    }
}

/// Did writing standard output fail for another reason than a closed pipe?
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// Standard error, never panicking (a closed stderr loses the message, not the run).
pub fn eprint(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(target_of(Path::new("-")).unwrap(), Target::Stdout);
        assert_eq!(target_of(Path::new("/dev/null")).unwrap(), Target::InPlace("/dev/null".into()));
        let new = dir.path().join("new.json");
        assert_eq!(target_of(&new).unwrap(), Target::Replace(new.clone()));
        std::fs::write(dir.path().join("real.json"), "x").unwrap();
        std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
        assert_eq!(target_of(&dir.path().join("link.json")).unwrap(), Target::Replace(dir.path().join("real.json")));
        std::os::unix::fs::symlink("absent.json", dir.path().join("dangling.json")).unwrap();
        assert_eq!(
            target_of(&dir.path().join("dangling.json")).unwrap(),
            Target::Replace(dir.path().join("absent.json"))
        );
    }
}
