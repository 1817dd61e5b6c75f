//! `baseops healthcheck`: asks this machine's server for `/healthz` and turns the answer into
//! an exit code, so a container image needs no curl for its `HEALTHCHECK`.
//!
//! Plain HTTP/1.1 over a blocking `TcpStream`: the probe runs every few seconds for the life
//! of a container, and a few hand-written lines cost less than an HTTP client and cannot
//! disagree with the server about anything but the status line.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use baseops_config::{ConfigError, Settings, Sources};

/// What the probe asks for, and how long it may take in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Host name or address to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The `Host` header: the server answers 400 to a host outside `server.allowed_hosts`.
    pub host_header: String,
    /// Path and query.
    pub path: String,
    /// The whole exchange (resolve, connect, write, read the status line) must fit in it.
    pub timeout: Duration,
}

/// The default wait: Docker's own health-check timeout is 30 s, but a server that takes more
/// than a few seconds to say it is alive is not healthy.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

impl Probe {
    /// `GET /healthz` on the address `serve` listens on (`server.bind`), with a `Host` the
    /// server accepts. An unspecified bind address (`0.0.0.0`, `::`) listens on loopback too,
    /// and loopback is the one address a probe inside the container can be sure of.
    pub fn from_settings(settings: &Settings, timeout: Duration) -> Self {
        let bind = settings.server.bind;
        let ip = match bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let address = SocketAddr::new(ip, bind.port());
        Self {
            host: ip.to_string(),
            port: bind.port(),
            host_header: accepted_host(settings).unwrap_or_else(|| address.to_string()),
            path: "/healthz".to_owned(),
            timeout,
        }
    }

    /// The probe of an explicit `http://` URL (`--url`); its authority is the `Host` header.
    ///
    /// # Errors
    /// A scheme other than `http`, or a URL without a host.
    pub fn from_url(url: &url::Url, timeout: Duration) -> Result<Self, String> {
        if url.scheme() != "http" {
            return Err(format!("--url must be an http:// URL (the probe speaks plain HTTP), not {url}"));
        }
        let host = url.host_str().ok_or_else(|| format!("--url {url} has no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let host_header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Self {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
            host_header,
            path,
            timeout,
        })
    }

    /// Sends the request and reads the status line.
    ///
    /// # Errors
    /// A one-line reason: nothing listening, a timeout, an answer that is not HTTP, or a status
    /// other than 200.
    pub fn run(&self) -> Result<(), String> {
        let started = Instant::now();
        let target = format!("{}:{}", self.host, self.port);
        let left = |what: &str| {
            self.timeout.checked_sub(started.elapsed()).filter(|left| !left.is_zero()).ok_or_else(|| {
                format!("no answer from http://{target}{} within {:?} ({what})", self.path, self.timeout)
            })
        };
        let addresses: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|error| format!("cannot resolve {}: {error}", self.host))?
            .collect();
        let mut last_error = None;
        let mut stream = None;
        for address in &addresses {
            match TcpStream::connect_timeout(address, left("connecting")?) {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(error) => last_error = Some(format!("cannot connect to {address}: {error}")),
            }
        }
        let mut stream = stream
            .ok_or_else(|| last_error.unwrap_or_else(|| format!("{} resolves to no address", self.host)))?;
        stream.set_write_timeout(Some(left("sending")?)).map_err(|error| error.to_string())?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: baseops-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            self.path, self.host_header
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|error| format!("cannot send the request to {target}: {error}"))?;
        let mut head = Vec::with_capacity(256);
        let mut chunk = [0_u8; 256];
        // The status line is all the probe needs; it stops reading at its end.
        while !head.contains(&b'\n') && head.len() < 4096 {
            stream
                .set_read_timeout(Some(left("waiting for the answer")?))
                .map_err(|error| error.to_string())?;
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(read) => head.extend_from_slice(&chunk[..read]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(left("waiting for the answer").err().unwrap_or_else(|| {
                        format!("no answer from http://{target}{} within {:?}", self.path, self.timeout)
                    }));
                }
                Err(error) => return Err(format!("cannot read the answer from {target}: {error}")),
            }
        }
        let line = String::from_utf8_lossy(&head);
        let line = line.lines().next().unwrap_or_default();
        match status_of(line) {
            Some(200) => Ok(()),
            Some(status) => Err(format!("http://{target}{} answered {status}: unhealthy", self.path)),
            None if line.is_empty() => Err(format!("http://{target}{} closed without answering", self.path)),
            None => {
                Err(format!("http://{target}{} answered something that is not HTTP: {line:.80}", self.path))
            }
        }
    }
}

/// `baseops healthcheck [--url URL] [--timeout SECS]`: exit 0 on a 200, otherwise exit 1 with
/// one line on stderr that says why (Docker keeps it as the health log's output).
///
/// # Errors
/// Settings that do not load, or an unusable `--url`.
pub async fn command(url: Option<url::Url>, timeout_secs: u64) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(timeout_secs);
    let probe = match &url {
        Some(url) => Probe::from_url(url, timeout).map_err(anyhow::Error::msg)?,
        None => Probe::from_settings(&load_settings()?, timeout),
    };
    match tokio::task::spawn_blocking(move || probe.run()).await? {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            Ok(ExitCode::from(baseops_app::EXIT_FAILURE))
        }
    }
}

/// `HTTP/1.1 200 OK` → 200.
fn status_of(line: &str) -> Option<u16> {
    let mut words = line.split_whitespace();
    words.next().filter(|version| version.starts_with("HTTP/"))?;
    words.next()?.parse().ok()
}

/// A `Host` the server lets through: the public URL's host when it is allowed, else the first
/// allowed host that names one host (`.example.com` stands for its subdomains, `*` for any).
/// `None` when any host will do.
fn accepted_host(settings: &Settings) -> Option<String> {
    let allowed = &settings.server.allowed_hosts;
    if allowed.is_empty() || allowed.iter().any(|host| host.trim() == "*") {
        return None;
    }
    let public = settings.server.public_url.host_str().map(str::to_ascii_lowercase);
    let covers = |host: &str| {
        allowed.iter().map(|allowed| allowed.trim().to_ascii_lowercase()).any(|allowed| {
            allowed == host
                || allowed.strip_prefix('.').is_some_and(|domain| host == domain || host.ends_with(&allowed))
        })
    };
    match public {
        Some(public) if covers(&public) => Some(public),
        _ => allowed
            .iter()
            .map(|host| host.trim().trim_start_matches('.').to_owned())
            .find(|host| !host.is_empty()),
    }
}

/// Placeholders for the secrets staging and prod require before they load any setting. The
/// probe reads `[server]` only; Docker runs a `HEALTHCHECK` without the image's entrypoint,
/// which is what turns secret files into these variables, so demanding them here would make
/// a healthy server look broken.
const INERT_SECRETS: [(&str, &str); 2] = [
    ("BASEOPS_SECRET_KEY", "healthcheck-reads-no-secret-this-key-is-never-used"),
    ("BASEOPS_DATABASE__URL", "postgres://healthcheck.invalid/never-connected"),
];

/// The settings as `serve` would load them, minus the need for secrets.
///
/// # Errors
/// Anything else that stops `serve` from loading them (an unknown variable, a bad value).
pub fn load_settings() -> Result<Settings, ConfigError> {
    let mut sources = Sources::from_process();
    for (name, inert) in INERT_SECRETS {
        if !sources.vars.iter().any(|(key, _)| key == name) {
            sources.vars.push((name.to_owned(), inert.to_owned()));
        }
    }
    baseops_config::load(&sources)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    /// A one-request server answering `status_line`; returns its port and the request it saw.
    fn answering(status_line: &'static str) -> (u16, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut chunk = [0_u8; 512];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                let read = stream.read(&mut chunk).unwrap();
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&chunk[..read]);
            }
            let body = "{\"status\":\"ok\"}";
            let answer = format!("{status_line}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            stream.write_all(answer.as_bytes()).unwrap();
            String::from_utf8(request).unwrap()
        });
        (port, server)
    }

    fn probe(port: u16, timeout: Duration) -> Probe {
        Probe {
            host: "127.0.0.1".into(),
            port,
            host_header: "ops.example.com".into(),
            path: "/healthz".into(),
            timeout,
        }
    }

    #[test]
    fn a_200_is_healthy_and_the_request_names_an_allowed_host() {
        let (port, server) = answering("HTTP/1.1 200 OK");
        assert_eq!(probe(port, DEFAULT_TIMEOUT).run(), Ok(()));
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /healthz HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nHost: ops.example.com\r\n"), "{request}");
    }

    #[test]
    fn any_other_status_is_unhealthy() {
        let (port, server) = answering("HTTP/1.1 503 Service Unavailable");
        let error = probe(port, DEFAULT_TIMEOUT).run().unwrap_err();
        assert!(error.contains("answered 503"), "{error}");
        server.join().unwrap();
    }

    #[test]
    fn nothing_listening_is_unhealthy_at_once() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        let error = probe(port, DEFAULT_TIMEOUT).run().unwrap_err();
        assert!(error.contains("cannot connect"), "{error}");
        assert!(started.elapsed() < DEFAULT_TIMEOUT, "a refused connection must not wait for the timeout");
    }

    #[test]
    fn a_server_that_never_answers_is_unhealthy_within_the_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = Instant::now();
        let error = probe(port, Duration::from_millis(300)).run().unwrap_err();
        assert!(error.contains("no answer"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        drop(listener);
    }

    #[test]
    fn an_unspecified_bind_address_is_probed_on_loopback_with_the_public_host() {
        let mut settings = settings();
        settings.server.bind = "0.0.0.0:8000".parse().unwrap();
        settings.server.allowed_hosts = vec!["ops.example.com".into()];
        settings.server.public_url = "https://ops.example.com".parse().unwrap();
        let probe = Probe::from_settings(&settings, DEFAULT_TIMEOUT);
        assert_eq!((probe.host.as_str(), probe.port), ("127.0.0.1", 8000));
        assert_eq!(probe.host_header, "ops.example.com");
        settings.server.bind = "[::]:9000".parse().unwrap();
        settings.server.allowed_hosts = vec![".example.com".into()];
        settings.server.public_url = "https://elsewhere.test".parse().unwrap();
        let probe = Probe::from_settings(&settings, DEFAULT_TIMEOUT);
        assert_eq!((probe.host.as_str(), probe.port), ("::1", 9000));
        assert_eq!(probe.host_header, "example.com");
        settings.server.allowed_hosts = Vec::new();
        assert_eq!(Probe::from_settings(&settings, DEFAULT_TIMEOUT).host_header, "[::1]:9000");
    }

    #[test]
    fn a_url_gives_the_address_host_and_path() {
        let url: url::Url = "http://localhost:8080/healthz?deep=1".parse().unwrap();
        let probe = Probe::from_url(&url, DEFAULT_TIMEOUT).unwrap();
        assert_eq!((probe.host.as_str(), probe.port), ("localhost", 8080));
        assert_eq!((probe.host_header.as_str(), probe.path.as_str()), ("localhost:8080", "/healthz?deep=1"));
        assert!(Probe::from_url(&"https://localhost/healthz".parse().unwrap(), DEFAULT_TIMEOUT).is_err());
    }

    fn settings() -> Settings {
        let sources = Sources {
            config_dir: std::path::PathBuf::from("/nonexistent"),
            dotenv_file: None,
            vars: Vec::new(),
        };
        baseops_config::load(&sources).unwrap()
    }
}
