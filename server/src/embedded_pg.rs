//! A private PostgreSQL the server starts and stops itself, from the
//! machine's installed PostgreSQL binaries, when no `DATABASE_URL` is set.
//!
//! The cluster lives in `<data_dir>/postgres/cluster`, listens on loopback
//! only (no Unix socket), and is stopped when the server shuts down. PostgreSQL
//! refuses to run as root, so as root the cluster is owned and run by the
//! `postgres` system user.

use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context};

/// The database the portal keeps its data in.
pub const DATABASE_NAME: &str = "lab_portal";

const INSTALL_HELP: &str = "No PostgreSQL server binaries were found (looked for `pg_ctl` via \
`pg_config --bindir` and in /usr/lib/postgresql/*/bin). Lab Portal runs a private PostgreSQL \
from them when DATABASE_URL is not set. Install them (Debian/Ubuntu: `apt-get install \
postgresql`; Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`), or \
point DATABASE_URL at an existing PostgreSQL 13+ database, e.g. \
DATABASE_URL=postgres://user:password@localhost:5432/lab_portal.";

/// A running private PostgreSQL cluster. Stop it with [`EmbeddedPostgres::stop`];
/// dropping it stops it too, as a safety net.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    cluster: PathBuf,
    run_as_postgres: bool,
    port: u16,
    stopped: bool,
    /// Held while this process owns the cluster.
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl EmbeddedPostgres {
    /// Initialises the cluster on first use, then starts it on a free port.
    pub fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir().context(INSTALL_HELP)?;
        let run_as_postgres = nix::unistd::geteuid().is_root();
        let root = absolute(&data_dir.join("postgres"))?;
        let cluster = root.join("cluster");
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating the database directory {}", root.display()))?;
        let lock = lock_data_dir(&root)?;
        if run_as_postgres {
            hand_over_to_postgres_user(&root)?;
        }
        let mut pg = Self {
            bin_dir,
            cluster,
            run_as_postgres,
            port: 0,
            stopped: true,
            _lock: lock,
        };
        if !pg.cluster.join("PG_VERSION").exists() {
            pg.initdb()?;
        }
        // A server killed without a clean shutdown may have left its
        // PostgreSQL running: stop it so we can start on a port we know.
        if pg.pg_ctl(&["status"]).is_ok_and(|o| o.status.success()) {
            tracing::warn!("stopping a PostgreSQL left running by an earlier start");
            pg.pg_ctl_checked(&["stop", "-m", "fast", "-w"])?;
        }
        pg.port = free_port()?;
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=on",
            pg.port
        );
        let log = root.join("postgres.log");
        let log = log.to_string_lossy();
        pg.pg_ctl_checked(&["start", "-w", "-t", "60", "-l", &log, "-o", &options])
            .with_context(|| format!("starting PostgreSQL; its log is {log}"))?;
        pg.stopped = false;
        tracing::info!(port = pg.port, cluster = %pg.cluster.display(), "embedded PostgreSQL started");
        Ok(pg)
    }

    /// Connection URL of the portal's database (which may not exist yet).
    pub fn database_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{DATABASE_NAME}",
            self.port
        )
    }

    /// Connection URL of the maintenance database, for creating ours.
    pub fn maintenance_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the cluster, waiting for a clean shutdown.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        if !self.pg_ctl(&["status"])?.status.success() {
            tracing::warn!("the embedded PostgreSQL had already stopped");
            return Ok(());
        }
        self.pg_ctl_checked(&["stop", "-m", "fast", "-w"])?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    fn initdb(&self) -> anyhow::Result<()> {
        tracing::info!(cluster = %self.cluster.display(), "initialising the embedded PostgreSQL cluster");
        let cluster = self.cluster.to_string_lossy();
        let args = [
            "-D",
            &cluster,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ];
        let out = self.run("initdb", &args)?;
        check(out, "initdb")
    }

    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<Output> {
        let cluster = self.cluster.to_string_lossy();
        let mut all = vec!["-D", &cluster];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    fn pg_ctl_checked(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = self.pg_ctl(args)?;
        check(out, &format!("pg_ctl {}", args.first().unwrap_or(&"")))
    }

    fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<Output> {
        let program = self.bin_dir.join(program);
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        // Its own process group: a Ctrl-C meant for the portal must not reach
        // PostgreSQL before the portal has finished with it.
        command
            .process_group(0)
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .with_context(|| format!("running {}", program.display()))
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(
                error = format!("{error:#}"),
                "could not stop the embedded PostgreSQL"
            );
        }
    }
}

/// One process at a time owns a data directory's cluster.
fn lock_data_dir(root: &Path) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    let path = root.join("portal.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|_| {
        anyhow::anyhow!(
            "another Lab Portal process is using the embedded database in {}; stop it first, \
             or point DATABASE_URL at a shared PostgreSQL",
            root.display()
        )
    })
}

fn check(out: Output, what: &str) -> anyhow::Result<()> {
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    bail!(
        "{what} failed ({}): {} {}",
        out.status,
        stderr.trim(),
        stdout.trim()
    )
}

/// Finds the directory holding `pg_ctl` and `initdb`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LAB_PORTAL_PG_BIN_DIR").map(PathBuf::from) {
        if dir.join("pg_ctl").is_file() {
            return Ok(dir);
        }
        bail!("LAB_PORTAL_PG_BIN_DIR={} holds no pg_ctl", dir.display());
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("pg_ctl").is_file() && dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    let candidates = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    newest_version(candidates)
        .map(|v| Path::new("/usr/lib/postgresql").join(v).join("bin"))
        .filter(|dir| dir.join("pg_ctl").is_file())
        .context("no PostgreSQL installation found")
}

/// Picks the highest numeric version among directory names like `13`, `15`.
fn newest_version(names: Vec<OsString>) -> Option<OsString> {
    names
        .into_iter()
        .filter_map(|n| {
            n.to_str()
                .and_then(|s| s.parse::<u32>().ok())
                .map(|v| (v, n))
        })
        .max_by_key(|(v, _)| *v)
        .map(|(_, n)| n)
}

/// As root, the cluster directory must belong to `postgres`, and every
/// directory above it must let `postgres` through.
fn hand_over_to_postgres_user(root: &Path) -> anyhow::Result<()> {
    let user = nix::unistd::User::from_name("postgres")
        .context("looking up the postgres user")?
        .context(
            "running as root needs a `postgres` system user to own the embedded database \
             (installed with PostgreSQL's server package); or set DATABASE_URL",
        )?;
    chown_tree(root, user.uid, user.gid)?;
    let reachable = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-w"])
        .arg(root)
        .status()
        .context("running runuser")?;
    if !reachable.success() {
        bail!(
            "the `postgres` user cannot reach {} (a directory above it is closed to other users); \
             set LAB_PORTAL_DATA_DIR to a directory it can reach, such as /var/lib/lab-portal",
            root.display()
        );
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: nix::unistd::Uid, gid: nix::unistd::Gid) -> anyhow::Result<()> {
    nix::unistd::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("giving {} to the postgres user", path.display()))?;
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_numeric_version_wins() {
        let names = ["13", "15", "9", "common"].map(OsString::from).to_vec();
        assert_eq!(newest_version(names), Some(OsString::from("15")));
    }

    #[test]
    fn no_versions_means_none() {
        assert_eq!(newest_version(vec![OsString::from("common")]), None);
    }

    #[test]
    fn a_full_start_and_stop_cycle_serves_queries_and_survives_restart() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("lab-portal-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for _ in 0..2 {
            let mut pg = EmbeddedPostgres::start(&dir)?;
            let out = Command::new(pg.bin_dir.join("psql"))
                .args([&pg.maintenance_url(), "-tAc", "select 40 + 2"])
                .output()?;
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
            pg.stop()?;
        }
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn a_second_process_cannot_take_a_running_cluster() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("lab-portal-pg-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut first = EmbeddedPostgres::start(&dir)?;
        let second = EmbeddedPostgres::start(&dir);
        let message = second
            .map(|_| ())
            .map_err(|e| e.to_string())
            .expect_err("locked");
        assert!(message.contains("another Lab Portal process"), "{message}");
        first.stop()?;
        drop(first);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
