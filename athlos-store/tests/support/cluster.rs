//! A private PostgreSQL cluster for tests that stop and start their server, which the shared
//! test server must never be.
//!
//! The server programs come from `pg_config --bindir`, else the newest
//! `/usr/lib/postgresql/*/bin`. The cluster lives in a fresh temporary directory (data
//! directory, Unix socket, server log) and listens on a free port of 127.0.0.1, with trust
//! authentication for the `postgres` superuser. PostgreSQL refuses to run as root, so when the
//! test runs as root the directory is handed to the `postgres` OS user and `initdb`, `pg_ctl`
//! and the server run as that user through `runuser`.
//!
//! Dropping a [`PrivateCluster`] stops its server (immediate shutdown) and removes the
//! directory, also when the test panicked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long `pg_ctl` waits for a start or a stop.
const PG_CTL_WAIT_SECS: &str = "120";

/// The start of a cluster directory's name, followed by `{tag}_{pid}_{nanos}`.
const PREFIX: &str = "athlos_pg_";

/// The file of a cluster directory naming the test process that made it: its PID namespace
/// and its PID.
const OWNER: &str = "owner";

/// A PostgreSQL server of the test's own, removed on drop.
#[derive(Debug)]
pub struct PrivateCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Run PostgreSQL's programs as the `postgres` OS user (the test runs as root).
    as_postgres: bool,
}

impl PrivateCluster {
    /// Creates and starts a cluster; `None`, with a loud message, when PostgreSQL's server
    /// programs (or, as root, `runuser` and a `postgres` user) are not installed, which fails
    /// under `CI=true`. Panics when they are installed but the cluster cannot be started.
    pub fn start(tag: &str) -> Option<PrivateCluster> {
        let Some(bin) = server_programs() else {
            return skip("PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found in `pg_config --bindir` or /usr/lib/postgresql/*/bin");
        };
        let as_postgres = command_output("id", &["-u"]).as_deref() == Some("0");
        let owner = if as_postgres {
            let uid = command_output("id", &["-u", "postgres"]);
            let gid = command_output("id", &["-g", "postgres"]);
            let runuser = command_output("runuser", &["--version"]);
            match (uid, gid, runuser) {
                (Some(uid), Some(gid), Some(_)) => Some((
                    uid.parse::<u32>()
                        .expect("`id -u postgres` prints a number"),
                    gid.parse::<u32>()
                        .expect("`id -g postgres` prints a number"),
                )),
                _ => {
                    return skip(
                        "running as root, PostgreSQL needs `runuser` and a `postgres` OS user",
                    )
                }
            }
        } else {
            None
        };
        sweep_abandoned(&bin, as_postgres);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("{PREFIX}{tag}_{}_{nanos}", std::process::id()));
        std::fs::create_dir(&dir).expect("create the cluster's temporary directory");
        if let Some(namespace) = pid_namespace() {
            std::fs::write(
                dir.join(OWNER),
                format!("{namespace} {}\n", std::process::id()),
            )
            .expect("write the cluster directory's owner");
        }
        let mut cluster = PrivateCluster {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid))
                .expect("hand the cluster's directory to the postgres user");
        }
        std::fs::set_permissions(
            &cluster.dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("restrict the cluster's directory");
        let data = cluster.data();
        let initdb = cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            describe(&initdb)
        );
        // A port taken between choosing and binding: choose again.
        let mut attempt = 1;
        loop {
            cluster.port = free_port();
            match cluster.pg_ctl_start() {
                Ok(()) => return Some(cluster),
                Err(error) if attempt < 5 && error.contains("already in use") => attempt += 1,
                Err(error) => panic!("the private PostgreSQL server did not start: {error}"),
            }
        }
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server with a fast shutdown (every session is terminated, open
    /// transactions roll back), keeps it down for `down`, and starts it again. Returns how
    /// long the server was unavailable: from the stop command until it accepted connections
    /// again. Blocks the calling thread.
    pub fn restart(&self, down: Duration) -> Duration {
        let stopping = Instant::now();
        self.stop_fast();
        std::thread::sleep(down);
        if let Err(error) = self.pg_ctl_start() {
            panic!("the private PostgreSQL server did not start again: {error}");
        }
        stopping.elapsed()
    }

    /// Stops the server with a fast shutdown and waits until it is down.
    pub fn stop_fast(&self) {
        let stop = self.pg_ctl(&["stop", "-m", "fast"]);
        assert!(
            stop.status.success(),
            "pg_ctl stop failed: {}",
            describe(&stop)
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB \
             -c max_connections=100",
            self.port,
            path_str(&self.dir)
        );
        let start = self.pg_ctl(&["start", "-l", path_str(&log), "-o", &options]);
        if start.status.success() {
            return Ok(());
        }
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        // A server that never got ready may still run: stop it before trying again.
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
        Err(format!("{}\nserver log:\n{server_log}", describe(&start)))
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.data();
        let mut all = vec!["-D", path_str(&data), "-w", "-t", PG_CTL_WAIT_SECS];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Runs one of PostgreSQL's programs, as the `postgres` user when the test is root, in the
    /// cluster's directory (the test's own may be closed to that user).
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Stops and removes the clusters of test processes that are gone without dropping theirs
/// (killed, or interrupted with Ctrl-C): those whose `owner` file names this PID namespace and
/// a process that no longer exists. Any other directory (a running test's, one of another
/// namespace, one that cannot be read) is left alone.
fn sweep_abandoned(bin: &Path, as_postgres: bool) {
    let Some(namespace) = pid_namespace() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let Ok(owner) = std::fs::read_to_string(entry.path().join(OWNER)) else {
            continue;
        };
        let Some((ns, pid)) = owner.trim().rsplit_once(' ') else {
            continue;
        };
        if ns != namespace || process_runs(pid) {
            continue;
        }
        drop(PrivateCluster {
            bin: bin.to_owned(),
            dir: entry.path(),
            port: 0,
            as_postgres,
        });
    }
}

/// Whether process `pid` of this namespace runs (exists and is not a zombie).
fn process_runs(pid: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(Path::new("/proc").join(pid).join("stat")) else {
        return false;
    };
    // `pid (command) state ...`: the command may hold spaces and parentheses.
    let state = stat
        .rfind(')')
        .and_then(|end| stat[end + 1..].trim_start().chars().next());
    !matches!(state, Some('Z' | 'X'))
}

/// This process's PID namespace, where `/proc` tells it.
fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|link| link.to_string_lossy().into_owned())
}

/// The directory of `initdb`, `pg_ctl` and `postgres`.
fn server_programs() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|program| dir.join(program).is_file())
    };
    if let Some(dir) = command_output("pg_config", &["--bindir"]).map(PathBuf::from) {
        if complete(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| complete(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// The trimmed standard output of a command that succeeded.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn skip(reason: &str) -> Option<PrivateCluster> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the PostgreSQL restart tests cannot run: {reason}"
    );
    eprintln!("\n*** SKIPPED: PostgreSQL restart tests: {reason} ***\n");
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port on 127.0.0.1")
        .port()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
