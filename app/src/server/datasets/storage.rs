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
}
