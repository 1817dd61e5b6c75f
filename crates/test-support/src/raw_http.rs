//! A minimal HTTP/1.1 client over TCP, for tests of a real listening server (the binary,
//! graceful shutdown) without pulling an HTTP client into the build.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `method path` with optional extra header lines and body; returns the status code and
/// the raw response text (headers and body).
///
/// # Errors
/// Connection or I/O errors, e.g. when nothing listens at `address`.
pub async fn raw_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    // A server may answer (413) before reading a large body and close; that is not an error.
    if let Err(error) = stream.write_all(body).await
        && error.kind() != std::io::ErrorKind::BrokenPipe
        && error.kind() != std::io::ErrorKind::ConnectionReset
    {
        return Err(error);
    }
    let mut response = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => break,
            Ok(read) => response.extend_from_slice(&chunk[..read]),
            // A reset after the answer arrived (the server closed without reading the body).
            Err(error) if !response.is_empty() && error.kind() == std::io::ErrorKind::ConnectionReset => {
                break;
            }
            Err(error) => return Err(error),
        }
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {text:?}")))?;
    Ok((status, text))
}
