//! Where dataset files live: on local disk under the datasets directory,
//! content-addressed by SHA-256 (`objects/ab/abcdef…`), so a file shared by
//! several versions is stored once and a stored file never changes.

use std::path::{Path, PathBuf};

use super::ingest::hex;

/// The local file store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Where the file with `sha256` is (or would be) stored.
    pub fn path(&self, sha256: &[u8; 32]) -> PathBuf {
        let name = hex(sha256);
        self.root.join("objects").join(&name[..2]).join(name)
    }

    /// Copies `source`, whose digest is `sha256`, into the store (through
    /// a temporary file renamed into place, so a reader never sees half a
    /// file); nothing to do when it is there already. Blocking.
    pub fn put(&self, source: &Path, sha256: &[u8; 32]) -> std::io::Result<PathBuf> {
        let target = self.path(sha256);
        if target.exists() {
            return Ok(target);
        }
        let dir = target
            .parent()
            .ok_or_else(|| std::io::Error::other("an object path has a folder"))?;
        std::fs::create_dir_all(dir)?;
        let partial = dir.join(format!(".{}.partial", uuid::Uuid::new_v4()));
        std::fs::copy(source, &partial)?;
        std::fs::rename(&partial, &target)?;
        Ok(target)
    }

    /// A new file to receive an upload into, in the store's own folder for
    /// them (so that keeping it is a rename). It is removed when dropped
    /// unless [`Store::adopt`] took it.
    pub fn incoming(&self) -> std::io::Result<Incoming> {
        let dir = self.root.join("incoming");
        std::fs::create_dir_all(&dir)?;
        Ok(Incoming(
            dir.join(format!("{}.partial", uuid::Uuid::new_v4())),
        ))
    }

    /// Keeps `file`, whose digest is `sha256`: renamed into place, or
    /// removed when the store has that content already. Blocking.
    pub fn adopt(&self, file: Incoming, sha256: &[u8; 32]) -> std::io::Result<PathBuf> {
        let target = self.path(sha256);
        if !target.exists() {
            let dir = target
                .parent()
                .ok_or_else(|| std::io::Error::other("an object path has a folder"))?;
            std::fs::create_dir_all(dir)?;
            std::fs::rename(&file.0, &target)?;
        }
        drop(file);
        Ok(target)
    }

    /// Removes what uploads cut short by a crash left behind: files in the
    /// incoming folder older than a day. Blocking.
    pub fn clear_incoming(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(self.root.join("incoming")) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            other => other?,
        };
        let day = std::time::Duration::from_secs(24 * 60 * 60);
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let old = entry
                .metadata()?
                .modified()?
                .elapsed()
                .is_ok_and(|age| age > day);
            if old {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A file being received into the store; removed when dropped (an upload
/// that fails leaves nothing behind).
#[derive(Debug)]
pub struct Incoming(PathBuf);

impl Incoming {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Gone already once adopted.
        let _ = std::fs::remove_file(&self.0);
    }
}
