//! The `lab-portal` binary's commands, run as a person would.

use std::io::Write;
use std::process::{Command, Stdio};

use sqlx::PgPool;

use crate::helpers::database_url;

fn lab_portal(pool: &PgPool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lab-portal"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url(pool))
        .env("LAB_PORTAL_LOG", "warn");
    command
}

#[test]
fn help_explains_the_subcommands() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab-portal"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "config", "create-admin"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}

#[sqlx::test(migrations = false)]
async fn create_admin_reads_the_password_from_standard_input(pool: PgPool) {
    let mut child = lab_portal(&pool)
        .args([
            "create-admin",
            "--email",
            "Root@Lab.test",
            "--name",
            "Lab Root",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a long admin passphrase\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (role, verified, hash): (String, bool, String) =
        sqlx::query_as("select platform_role, email_verified_at is not null, password_hash from users where email = 'Root@Lab.test'")
            .fetch_one(&pool)
            .await
            .expect("admin");
    assert_eq!(role, "admin");
    assert!(verified);
    assert!(hash.starts_with("$argon2id$"));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'user.create_admin' and actor_id is null",
    )
    .fetch_one(&pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}

#[sqlx::test(migrations = false)]
async fn create_admin_promotes_an_existing_account_and_keeps_its_password(pool: PgPool) {
    let first = lab_portal(&pool)
        .args(["create-admin", "--email", "dev@lab.test"])
        .env("LAB_PORTAL_ADMIN_PASSWORD", "violet tugboat sings at dawn")
        .output()
        .expect("run");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    sqlx::query("update users set platform_role = 'developer'")
        .execute(&pool)
        .await
        .expect("demote");
    let hash_before: String = sqlx::query_scalar("select password_hash from users")
        .fetch_one(&pool)
        .await
        .expect("hash");
    let again = lab_portal(&pool)
        .args(["create-admin", "--email", "DEV@lab.test"])
        .env(
            "LAB_PORTAL_ADMIN_PASSWORD",
            "ignored for an existing account",
        )
        .output()
        .expect("run");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("Promoted"));
    let (role, hash): (String, String) =
        sqlx::query_as("select platform_role, password_hash from users")
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(role, "admin");
    assert_eq!(hash, hash_before);
}

#[sqlx::test(migrations = false)]
async fn create_admin_refuses_a_weak_password(pool: PgPool) {
    let out = lab_portal(&pool)
        .args(["create-admin", "--email", "weak@lab.test"])
        .env("LAB_PORTAL_ADMIN_PASSWORD", "password")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 characters"));
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(users, 0);
}

#[sqlx::test(migrations = false)]
async fn ledger_verify_passes_on_a_sound_ledger_and_fails_on_a_tampered_balance(pool: PgPool) {
    let ok = lab_portal(&pool)
        .args(["ledger", "verify"])
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let account = {
        let mut conn = pool.acquire().await.expect("conn");
        app::server::ledger::account_for(
            &mut conn,
            app::server::ledger::Owner::User(uuid::Uuid::now_v7()),
        )
        .await
        .expect("account")
    };
    let grant = app::server::ledger::Grant {
        account,
        amount: app::domain::credits::Credits::from_micros(5_000_000),
        expires_at: None,
        memo: app::server::ledger::Memo::default(),
    };
    app::server::ledger::grant(&pool, &grant)
        .await
        .expect("grant");
    let still_ok = lab_portal(&pool)
        .args(["ledger", "verify"])
        .output()
        .expect("run");
    assert!(
        still_ok.status.success(),
        "{}",
        String::from_utf8_lossy(&still_ok.stderr)
    );

    sqlx::query("update credit_accounts set available = available + 1 where id = $1")
        .bind(account)
        .execute(&pool)
        .await
        .expect("tamper");
    let broken = lab_portal(&pool)
        .args(["ledger", "verify"])
        .output()
        .expect("run");
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("cached balance differs from its entries"),
        "{stderr}"
    );
}
