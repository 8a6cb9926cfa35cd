//! Writing a file so that readers see the old content or the new, never half
//! of it: a temporary file in the same directory, written, fsynced, renamed
//! over the target, then the directory fsynced. Baselines and the `--json` /
//! `--html` outputs both go through here; callers word their own errors.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which step failed.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    #[error("{0} is not a file path")]
    NotAFile(PathBuf),
    /// The temporary file could not be created in the target's directory.
    #[error("cannot create a temporary file in {dir}: {source}")]
    CreateTemp {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// Writing, syncing or renaming failed; the target is unchanged.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The directory a path's file lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `bytes` atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    let file_name = path
        .file_name()
        .ok_or_else(|| AtomicWriteError::NotAFile(path.to_path_buf()))?;
    let dir = parent_dir(path);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}-{nanos}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|source| AtomicWriteError::CreateTemp {
            dir: dir.to_path_buf(),
            source,
        })?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&tmp);
        return Err(AtomicWriteError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    // Make the rename durable. Some filesystems refuse to fsync a directory;
    // the data itself is already synced, so that is not an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
