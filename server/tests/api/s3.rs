//! Dataset files in an S3-compatible bucket that portal replicas share:
//! moto's S3 server (from PyPI; a real S3 endpoint over HTTP, started for
//! each test) holds the bucket. A file kept by one replica is fetched by
//! another that has its own folder, by the store itself and over HTTP.

use app::server::datasets::storage::{Store, S3};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::helpers::{create_user, signed_in, spawn_app_with_store, FormPart};

/// moto's S3 server on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto (installed by the test command into `target/moto-venv`) and
/// creates the bucket `bucket` in it.
async fn moto(bucket: &str) -> Moto {
    let exe = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/moto-venv/bin/moto_server"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {exe} (scripts/test installs it): {e}"));
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(&moto.endpoint).send().await.is_ok() {
            let created = client
                .put(format!("{}/{bucket}", moto.endpoint))
                .send()
                .await
                .expect("create the bucket");
            assert!(created.status().is_success(), "{}", created.status());
            return moto;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto did not start within 30 s");
}

fn s3(moto: &Moto, bucket: &str) -> S3 {
    S3 {
        bucket: bucket.to_owned(),
        endpoint: Some(moto.endpoint.clone()),
        region: Some("us-east-1".to_owned()),
        access_key_id: Some("testing".to_owned()),
        secret_access_key: Some("testing".to_owned()),
    }
}

fn folder() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("lab-portal-replica-{}", uuid::Uuid::new_v4()))
}

#[tokio::test]
async fn a_file_one_replica_keeps_another_fetches_from_the_bucket() {
    let moto = moto("lab-datasets").await;
    let (a_dir, b_dir) = (folder(), folder());
    let a = Store::with_s3(a_dir.clone(), &s3(&moto, "lab-datasets")).expect("store a");
    let b = Store::with_s3(b_dir.clone(), &s3(&moto, "lab-datasets")).expect("store b");
    // Larger than one upload part, so the upload is multipart.
    let content: Vec<u8> = (0..9 * 1024 * 1024 + 17_u32)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    let sha: [u8; 32] = Sha256::digest(&content).into();
    let incoming = a.incoming().expect("incoming");
    std::fs::write(incoming.path(), &content).expect("write");
    a.adopt(incoming, &sha).expect("kept");
    a.share(&sha).await.expect("shared");
    a.share(&sha).await.expect("sharing again does nothing");

    assert!(!b.path(&sha).exists());
    let fetched = b.local(&sha).await.expect("fetched from the bucket");
    assert_eq!(fetched, b.path(&sha));
    assert_eq!(std::fs::read(&fetched).expect("read"), content);
    // What the bucket lacks is an error, not an empty file.
    assert!(b.local(&[7u8; 32]).await.is_err());
    assert!(!b.path(&[7u8; 32]).exists());
    let _ = std::fs::remove_dir_all(a_dir);
    let _ = std::fs::remove_dir_all(b_dir);
}

#[sqlx::test(migrations = false)]
async fn a_file_uploaded_to_one_portal_downloads_from_another(pool: PgPool) {
    let moto = moto("lab-portal").await;
    let bucket = s3(&moto, "lab-portal");
    let (a_dir, b_dir) = (folder(), folder());
    let a = spawn_app_with_store(pool.clone(), &a_dir, &bucket).await;
    let b = spawn_app_with_store(pool, &b_dir, &bucket).await;
    create_user(&a, "curator@example.com", "admin").await;
    let admin = signed_in(&a, "curator@example.com").await;
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (a, admin) = (&a, &admin);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = a.post_form_with(admin, path, &form).await;
            assert!(
                response.status().as_u16() < 400,
                "{path}: {}",
                response.status()
            );
        }
    };
    post(
        "/api/admin_create_dataset",
        vec![
            ("slug", "shared-files".to_owned()),
            ("title", "Shared files".to_owned()),
            ("summary", "Kept in a bucket.".to_owned()),
            ("industry", "energy".to_owned()),
            ("license_name", "unknown — see source".to_owned()),
            ("publisher", "Lab".to_owned()),
            ("source_name", "A test".to_owned()),
            ("access", "open".to_owned()),
        ],
    )
    .await;
    let content = format!(
        "meter,kwh\nm-{},12\nm-2,13\n",
        uuid::Uuid::new_v4().simple()
    );
    let uploaded = a
        .post_multipart_with(
            &admin,
            "/api/admin_upload_dataset_file",
            &[
                FormPart {
                    name: "slug",
                    file_name: None,
                    content: b"shared-files",
                },
                FormPart {
                    name: "file",
                    file_name: Some("meters.csv"),
                    content: content.as_bytes(),
                },
            ],
            false,
        )
        .await;
    assert!(uploaded.status().is_success(), "{}", uploaded.status());
    post(
        "/api/admin_save_dataset_draft",
        vec![
            ("slug", "shared-files".to_owned()),
            ("changelog", "First.".to_owned()),
        ],
    )
    .await;
    post(
        "/api/admin_publish_dataset_version",
        vec![
            ("slug", "shared-files".to_owned()),
            ("number", "1".to_owned()),
        ],
    )
    .await;

    // The other replica has never seen the file; it serves it from the
    // bucket, ranges included.
    let sha: [u8; 32] = Sha256::digest(content.as_bytes()).into();
    let b_store = Store::new(b_dir.clone());
    assert!(!b_store.path(&sha).exists());
    create_user(&b, "dev@example.com", "developer").await;
    let developer = signed_in(&b, "dev@example.com").await;
    let url = format!("{}/datasets/shared-files/v/1/files/meters.csv", b.address);
    let response = developer.get(&url).send().await.expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), content);
    assert!(b_store.path(&sha).exists(), "kept in the replica's folder");
    let response = developer
        .get(&url)
        .header("range", "bytes=0-8")
        .send()
        .await
        .expect("range");
    assert_eq!(response.status(), 206);
    assert_eq!(response.text().await.expect("body"), "meter,kwh");
    let _ = std::fs::remove_dir_all(a_dir);
    let _ = std::fs::remove_dir_all(b_dir);
}
