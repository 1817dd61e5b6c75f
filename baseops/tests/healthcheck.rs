//! `baseops healthcheck` against a real `baseops serve`, the way a container runs it: a
//! production configuration (allowed hosts enforced) and none of the secrets in the probe's
//! environment, since Docker runs a `HEALTHCHECK` without the entrypoint that supplies them.
//! Its own test binary: it needs only the built `baseops`, not the test kit.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "a-production-secret-key-that-is-long-enough-0123456789";

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

/// `baseops` with only PATH, the repository's config and the settings every process shares.
fn baseops(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baseops"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BASEOPS_CONFIG_DIR", config_dir())
        .env("BASEOPS_ENV", "prod")
        .env("BASEOPS_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("BASEOPS_SERVER__ALLOWED_HOSTS", "[ops.example.com]")
        .env("BASEOPS_SERVER__PUBLIC_URL", "https://ops.example.com")
        .env("BASEOPS_LOG__FILES", "false")
        .current_dir(dir);
    command
}

/// The server's command: the probe's settings plus the secrets and a SQLite database.
fn with_secrets(mut command: Command, dir: &Path) -> Command {
    command
        .env("BASEOPS_SECRET_KEY", SECRET)
        .env("BASEOPS_DATABASE__URL", format!("sqlite://{}", dir.join("baseops.db").display()))
        .env("BASEOPS_DATABASE__ALLOW_SQLITE_IN_PROD", "true");
    command
}

fn healthcheck(dir: &Path, port: u16, args: &[&str]) -> (i32, String) {
    let output = baseops(dir, port).arg("healthcheck").args(args).output().unwrap();
    (output.status.code().expect("exited"), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn healthy_server_is_exit_0_and_nothing_listening_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let migrate = with_secrets(baseops(dir.path(), port), dir.path()).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "migrate: {}", String::from_utf8_lossy(&migrate.stderr));

    let mut serve = with_secrets(baseops(dir.path(), port), dir.path());
    serve.arg("serve").stdout(Stdio::null()).stderr(Stdio::null());
    let mut server = Server(serve.spawn().unwrap());
    let started = Instant::now();
    let (code, stderr) = loop {
        let (code, stderr) = healthcheck(dir.path(), port, &[]);
        if code == 0 || started.elapsed() > Duration::from_secs(60) {
            break (code, stderr);
        }
        assert!(server.0.try_wait().unwrap().is_none(), "serve exited before answering");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code, 0, "a serving server is healthy: {stderr}");
    assert!(stderr.is_empty(), "a healthy probe prints nothing: {stderr}");

    // The real server's own answer to a Host it does not allow: the probe reports the status.
    let url = format!("http://127.0.0.1:{port}/healthz");
    let (code, stderr) = healthcheck(dir.path(), port, &["--url", &url]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("unhealthy: ") && stderr.contains("answered 400"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");

    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let started = Instant::now();
    let (code, stderr) = healthcheck(dir.path(), port, &[]);
    assert_eq!(code, 1, "nothing listens any more: {stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(3), "a refused connection fails at once");
}
