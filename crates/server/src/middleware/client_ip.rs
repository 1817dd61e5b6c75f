//! The client's address: the TCP peer, or — when the peer is a trusted reverse proxy — the
//! last address in `X-Forwarded-For` that is not itself a trusted proxy.
//!
//! Only `server.trusted_proxies` may speak for a client; anyone else could forge the header
//! and slip past per-IP limits.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use baseops_core::ClientIp;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpAddr>>);

impl TrustedProxies {
    /// From `server.trusted_proxies`.
    pub fn new(proxies: &[IpAddr]) -> Self {
        Self(Arc::new(proxies.to_vec()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }
}

/// Puts the [`ClientIp`] into the request's extensions.
pub async fn assign_client_ip(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if let Some(peer) = peer {
        let client =
            if trusted.trusts(peer) { forwarded_client(&request, &trusted).unwrap_or(peer) } else { peer };
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

/// Reads `X-Forwarded-For` from the right: each trusted proxy appended the address it was
/// reached from, so the first address that is not a trusted proxy's is the client. What lies
/// left of it came from the client itself and is never read: junk there must not turn the
/// client into the proxy.
fn forwarded_client(request: &Request, trusted: &TrustedProxies) -> Option<IpAddr> {
    let values: Vec<_> = request.headers().get_all("x-forwarded-for").iter().collect();
    for value in values.into_iter().rev() {
        for part in value.to_str().ok()?.rsplit(',') {
            let hop: IpAddr = part.trim().parse().ok()?;
            if !trusted.trusts(hop) {
                return Some(hop);
            }
        }
    }
    None
}
