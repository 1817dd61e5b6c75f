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

fn forwarded_client(request: &Request, trusted: &TrustedProxies) -> Option<IpAddr> {
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in request.headers().get_all("x-forwarded-for") {
        for part in value.to_str().ok()?.split(',') {
            hops.push(part.trim().parse().ok()?);
        }
    }
    hops.into_iter().rev().find(|hop| !trusted.trusts(*hop))
}
