//! Where dataset files live: on local disk under the datasets directory,
//! content-addressed by SHA-256 (`objects/ab/abcdef…`), so a file shared by
//! several versions is stored once and a stored file never changes.
//!
//! With an S3-compatible bucket configured, the bucket is the store every
//! replica shares (the same `objects/ab/abcdef…` keys, through the
//! `object_store` crate): a file kept here is sent to it ([`Store::share`]),
//! and a replica that lacks a file fetches it once into its own folder
//! before reading it ([`Store::local`]). The local folder is then a cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;

use super::ingest::hex;

/// The part size of uploads to the bucket.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// The file store: a local folder, and the bucket replicas share if one is
/// configured.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    remote: Option<Arc<dyn ObjectStore>>,
}

/// An S3-compatible bucket, as configured.
#[derive(Debug, Clone, Default)]
pub struct S3 {
    pub bucket: String,
    /// Unset: AWS's own endpoint for the region.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Unset: the AWS_* environment variables (or the instance's role).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl Store {
    /// The store in the folder `root` alone.
    pub fn new(root: PathBuf) -> Self {
        Self { root, remote: None }
    }

    /// The store shared through the bucket `s3`, cached in `root`.
    pub fn with_s3(root: PathBuf, s3: &S3) -> anyhow::Result<Self> {
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_region(s3.region.as_deref().unwrap_or("us-east-1"));
        if let Some(endpoint) = &s3.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        Ok(Self {
            root,
            remote: Some(Arc::new(builder.build()?)),
        })
    }

    /// The bucket's key of the file with `sha256`.
    fn key(sha256: &[u8; 32]) -> object_store::path::Path {
        let name = hex(sha256);
        object_store::path::Path::from(format!("objects/{}/{name}", &name[..2]))
    }

    /// Sends the file with `sha256` (kept here already) to the shared
    /// bucket, unless there is none or it has the file.
    pub async fn share(&self, sha256: &[u8; 32]) -> anyhow::Result<()> {
        use tokio::io::AsyncReadExt;
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let key = Self::key(sha256);
        match remote.head(&key).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let mut file = tokio::fs::File::open(self.path(sha256)).await?;
        let upload = remote.put_multipart(&key).await?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buffer[..n]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// Where the file with `sha256` is on this machine: fetched from the
    /// shared bucket first when this replica has not got it yet.
    pub async fn local(&self, sha256: &[u8; 32]) -> anyhow::Result<PathBuf> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let target = self.path(sha256);
        let Some(remote) = &self.remote else {
            return Ok(target);
        };
        if tokio::fs::try_exists(&target).await? {
            return Ok(target);
        }
        let mut stream = remote.get(&Self::key(sha256)).await?.into_stream();
        let incoming = {
            let store = self.clone();
            tokio::task::spawn_blocking(move || store.incoming()).await??
        };
        let mut out = tokio::fs::File::create(incoming.path()).await?;
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?).await?;
        }
        out.sync_all().await?;
        drop(out);
        let store = self.clone();
        let sha256 = *sha256;
        Ok(tokio::task::spawn_blocking(move || store.adopt(incoming, &sha256)).await??)
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
