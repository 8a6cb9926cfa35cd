//! The one place the reports touch the file system: `--json PATH` and
//! `--html PATH` outputs are written atomically (a temporary file in the
//! same directory, then a rename), so a reader never sees half a report and
//! an interrupted run never leaves a truncated file behind.

use std::path::Path;

use anyhow::{Context, Result};

use crate::atomic_write::{parent_dir, write_atomic as write_file};

/// Writes `bytes` to `path` atomically (see [`crate::atomic_write`]).
/// Errors name the path.
pub fn write_atomic(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> Result<()> {
    let (path, bytes) = (path.as_ref(), bytes.as_ref());
    let dir = parent_dir(path);
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot write {}: directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    write_file(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn writes_and_replaces_without_leaving_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write_atomic(&path, "first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.html")]);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("r.json");
        let err = write_atomic(&path, b"{}").unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_directory_as_target_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub");
        fs::create_dir(&target).unwrap();
        let err = format!("{:#}", write_atomic(&target, b"x").unwrap_err());
        assert!(err.contains(&target.display().to_string()), "{err}");
        // the temporary file was cleaned up
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
