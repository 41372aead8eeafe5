//! `url_guard`: the only way a tool reaches the network.
//!
//! http and https only; every address a host resolves to must be public (loopback, private,
//! CGNAT, link-local, multicast, unspecified, documentation and reserved ranges are refused, and
//! IPv6 forms that embed an IPv4 address are checked as that address); the connection is pinned
//! to the addresses checked, so a second DNS answer cannot swap them; every redirect is checked
//! again; the body and the time are capped. Hosts on the allow-list (a SearXNG instance on the
//! LAN, say) skip the address check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

/// Why a URL or a fetch was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a URL.
    #[error("invalid URL {url:?}: {message}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// The parser's message.
        message: String,
    },
    /// A scheme other than http or https.
    #[error("refused {url}: only http and https URLs may be fetched, not {scheme}:")]
    Scheme {
        /// The URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The host is, or resolves to, an address that is not public.
    #[error("refused {url}: {host} is {reason} ({addr}); only public addresses may be fetched")]
    Blocked {
        /// The URL.
        url: String,
        /// The host.
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// Which range it is in.
        reason: &'static str,
    },
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {message}")]
    Resolve {
        /// The host.
        host: String,
        /// The resolver's message.
        message: String,
    },
    /// Too many redirects.
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    /// The request failed.
    #[error("fetching {url} failed: {message}")]
    Request {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The whole fetch took too long.
    #[error("fetching {url} took longer than {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        secs: u64,
    },
}

/// A fetched response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header, lower-cased.
    pub content_type: String,
    /// The body, at most the cap.
    pub body: Vec<u8>,
    /// Whether the body was cut at the cap.
    pub truncated: bool,
}

/// The network policy for web tools.
#[derive(Debug, Clone)]
pub struct UrlGuard {
    allow_hosts: Vec<String>,
    max_bytes: usize,
    timeout: Duration,
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    max_redirects: usize,
}

impl Default for UrlGuard {
    fn default() -> Self {
        Self {
            allow_hosts: Vec::new(),
            max_bytes: 5 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

/// A URL that passed the checks, with the addresses to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    /// The URL.
    pub url: Url,
    /// The addresses the connection is pinned to (empty for an IP-literal host).
    pub addrs: Vec<SocketAddr>,
    /// Whether the host is on the allow-list.
    pub trusted: bool,
}

impl UrlGuard {
    /// Trusts `host` (or `host:port`) even though it is internal.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allow_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Caps response bodies at `bytes`.
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Caps a whole fetch (redirects included) at `limit`.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    fn is_trusted(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
        self.allow_hosts
            .iter()
            .any(|a| *a == host || Some(a) == with_port.as_ref())
    }

    /// Parses and checks `input`, resolving its host.
    pub async fn check(&self, input: &str) -> Result<CheckedUrl, UrlError> {
        let url = Url::parse(input.trim()).map_err(|e| UrlError::Invalid {
            url: input.to_owned(),
            message: e.to_string(),
        })?;
        self.check_url(url).await
    }

    async fn check_url(&self, url: Url) -> Result<CheckedUrl, UrlError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Scheme {
                url: url.to_string(),
                scheme: url.scheme().to_owned(),
            });
        }
        let trusted = self.is_trusted(&url);
        let port = url.port_or_known_default().unwrap_or(80);
        let blocked = |host: String, addr: IpAddr, reason| UrlError::Blocked {
            url: url.to_string(),
            host,
            addr,
            reason,
        };
        match url.host() {
            None => Err(UrlError::Invalid {
                url: url.to_string(),
                message: "no host".into(),
            }),
            Some(Host::Ipv4(ip)) => match blocked_reason(IpAddr::V4(ip)).filter(|_| !trusted) {
                Some(reason) => Err(blocked(ip.to_string(), IpAddr::V4(ip), reason)),
                None => Ok(CheckedUrl {
                    url,
                    addrs: Vec::new(),
                    trusted,
                }),
            },
            Some(Host::Ipv6(ip)) => match blocked_reason(IpAddr::V6(ip)).filter(|_| !trusted) {
                Some(reason) => Err(blocked(ip.to_string(), IpAddr::V6(ip), reason)),
                None => Ok(CheckedUrl {
                    url,
                    addrs: Vec::new(),
                    trusted,
                }),
            },
            Some(Host::Domain(domain)) => {
                let domain = domain.to_owned();
                let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain.as_str(), port))
                    .await
                    .map_err(|e| UrlError::Resolve {
                        host: domain.clone(),
                        message: e.to_string(),
                    })?
                    .collect();
                if addrs.is_empty() {
                    return Err(UrlError::Resolve {
                        host: domain,
                        message: "no addresses".into(),
                    });
                }
                if !trusted {
                    // Every answer must be public: a mixed answer is how DNS rebinding starts.
                    for addr in &addrs {
                        if let Some(reason) = blocked_reason(addr.ip()) {
                            return Err(blocked(domain, addr.ip(), reason));
                        }
                    }
                }
                Ok(CheckedUrl {
                    url,
                    addrs,
                    trusted,
                })
            }
        }
    }

    #[cfg(feature = "web")]
    /// GETs `input`, following redirects (each one checked), within the size and time caps.
    pub async fn fetch(&self, input: &str) -> Result<Fetched, UrlError> {
        let secs = self.timeout.as_secs();
        tokio::time::timeout(self.timeout, self.fetch_inner(input))
            .await
            .unwrap_or_else(|_| {
                Err(UrlError::Timeout {
                    url: input.to_owned(),
                    secs,
                })
            })
    }

    #[cfg(feature = "web")]
    async fn fetch_inner(&self, input: &str) -> Result<Fetched, UrlError> {
        let mut checked = self.check(input).await?;
        for _ in 0..=self.max_redirects {
            let url = checked.url.clone();
            let request_error = |e: reqwest::Error| UrlError::Request {
                url: url.to_string(),
                message: error_chain(&e),
            };
            let client = self.pinned_client(&checked).map_err(request_error)?;
            let mut response = client
                .get(url.clone())
                .send()
                .await
                .map_err(request_error)?;
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(reqwest::header::LOCATION)
            {
                let location = location.to_str().map_err(|e| UrlError::Invalid {
                    url: url.to_string(),
                    message: format!("bad redirect location: {e}"),
                })?;
                let next = url.join(location).map_err(|e| UrlError::Invalid {
                    url: location.to_owned(),
                    message: e.to_string(),
                })?;
                checked = self.check_url(next).await?;
                continue;
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = response.chunk().await.map_err(request_error)? {
                let room = self.max_bytes.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                url: url.to_string(),
                status: status.as_u16(),
                content_type,
                body,
                truncated,
            });
        }
        Err(UrlError::TooManyRedirects(self.max_redirects))
    }

    #[cfg(feature = "web")]
    /// A client that connects only to the checked addresses and never follows redirects itself.
    fn pinned_client(&self, checked: &CheckedUrl) -> Result<reqwest::Client, reqwest::Error> {
        let Ok(builder) = boocode_inference::tls::client_builder() else {
            // No TLS configuration: plain HTTP still works, HTTPS fails with reqwest's error.
            return reqwest::Client::builder().build();
        };
        let mut builder = builder
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("boocode/", env!("CARGO_PKG_VERSION")));
        if let Some(host) = checked.url.host_str()
            && !checked.addrs.is_empty()
        {
            builder = builder.resolve_to_addrs(host, &checked.addrs);
        }
        builder.build()
    }
}

#[cfg(feature = "web")]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Why `ip` may not be fetched, or `None` for a public address.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if a == 0 => "an unspecified or \"this network\" address",
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_private() => "a private address",
        _ if a == 100 && (b & 0xc0) == 64 => "a carrier-grade NAT address",
        _ if ip.is_link_local() => "a link-local address",
        _ if ip.is_multicast() => "a multicast address",
        _ if ip.is_broadcast() => "the broadcast address",
        _ if a >= 240 => "a reserved address",
        _ if a == 192 && b == 0 && c == 0 => "an IETF protocol address",
        _ if (a == 192 && b == 0 && c == 2)
            || (a == 198 && b == 51 && c == 100)
            || (a == 203 && b == 0 && c == 113) =>
        {
            "a documentation address"
        }
        _ if a == 198 && (b & 0xfe) == 18 => "a benchmarking address",
        _ => return None,
    })
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return Some(blocked_v4(v4).unwrap_or("an IPv4-compatible address"));
    }
    // NAT64 (64:ff9b::/96) embeds an IPv4 address in the last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return blocked_v4(v4);
    }
    // 6to4 (2002::/16) embeds one in bits 16..48.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return blocked_v4(v4);
    }
    Some(match s[0] {
        x if x & 0xfe00 == 0xfc00 => "a unique local address",
        x if x & 0xffc0 == 0xfe80 => "a link-local address",
        x if x & 0xffc0 == 0xfec0 => "a site-local address",
        x if x & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        0x2001 if s[1] == 0 => "a Teredo address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_classes() {
        for blocked in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.1.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap();
            assert!(blocked_reason(ip).is_some(), "{blocked} should be blocked");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "::ffff:8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(blocked_reason(ip), None, "{public} should be allowed");
        }
    }
}
