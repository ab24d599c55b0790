//! SSRF guard for user-supplied URLs (webhooks, later LinkedIn enrichment):
//! resolve the host once, refuse internal destinations, and hand back the
//! vetted addresses so the caller connects to exactly those (a second DNS
//! lookup at connect time could be rebound to an internal address).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

use crate::provider_call::ActionError;

/// An HTTP client for one user-supplied URL: the guard has vetted its host,
/// the client connects only to the vetted addresses, follows no redirect
/// (one could point inside) and uses no proxy (a proxy would resolve the
/// host again, undoing the vetting).
pub async fn guarded_client(
    url: &str,
    allow_loopback: bool,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, ActionError> {
    let addrs = check_public_url(url, allow_loopback).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout);
    if let Some(Host::Domain(domain)) = Url::parse(url).ok().as_ref().and_then(Url::host) {
        builder = builder.resolve_to_addrs(domain, &addrs);
    }
    builder
        .build()
        .map_err(|e| ActionError::Permanent(format!("http client: {e}")))
}

/// Checks that `url` is http(s) and that every address its host resolves to
/// is public. `allow_loopback` admits loopback only (tests and development),
/// never private or metadata ranges.
#[tracing::instrument(skip_all, fields(url.allow_loopback = allow_loopback))]
pub async fn check_public_url(
    url: &str,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, ActionError> {
    let parsed = Url::parse(url).map_err(|_| ActionError::Blocked("not a valid URL".to_owned()))?;
    let (host, port) = vetted_target(&parsed)?;
    let addrs: Vec<SocketAddr> = match host {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Host::Domain(domain) => {
            // Never ask DNS about local names: /etc/hosts may map them anywhere.
            let lower = domain.to_ascii_lowercase();
            let trimmed = lower.trim_end_matches('.');
            if (trimmed == "localhost" || trimmed.ends_with(".localhost")) && !allow_loopback {
                return Err(ActionError::Blocked(format!("host {trimmed} is local")));
            }
            tokio::net::lookup_host((domain, port))
                .await
                .map_err(|_| ActionError::Transient(format!("could not resolve host {trimmed}")))?
                .collect()
        }
    };
    if addrs.is_empty() {
        return Err(ActionError::Transient(
            "host resolved to no address".to_owned(),
        ));
    }
    // Refuse if ANY address is internal: the connector might pick that one.
    if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip(), allow_loopback)) {
        tracing::warn!(net.peer.ip = %bad.ip(), "ssrf guard refused a destination");
        return Err(ActionError::Blocked(format!(
            "address {} is not public",
            bad.ip()
        )));
    }
    Ok(addrs)
}

/// Scheme and host/port checks that need no DNS.
fn vetted_target(url: &Url) -> Result<(Host<&str>, u16), ActionError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ActionError::Blocked(format!(
            "scheme {} is not allowed",
            url.scheme()
        )));
    }
    // Credentials in the URL would be sent as Basic auth to whoever answers.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ActionError::Blocked(
            "URLs with credentials are not allowed".to_owned(),
        ));
    }
    let host = url
        .host()
        .ok_or_else(|| ActionError::Blocked("URL has no host".to_owned()))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| ActionError::Blocked("URL has no port".to_owned()))?;
    Ok((host, port))
}

pub(crate) fn is_forbidden(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4, allow_loopback),
        IpAddr::V6(v6) => is_forbidden_v6(v6, allow_loopback),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return !allow_loopback;
    }
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_link_local() // includes cloud metadata 169.254.169.254
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240 // reserved 240/4
}

fn is_forbidden_v6(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return !allow_loopback;
    }
    // Addresses that embed an IPv4 address reach that IPv4 host; judge it.
    if let Some(v4) = embedded_v4(ip) {
        return is_forbidden_v4(v4, allow_loopback);
    }
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (incl. fd00:ec2::254)
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation 2001:db8::/32
}

/// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
/// (64:ff9b::/96) and 6to4 (2002::/16) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4() {
        return Some(v4);
    }
    let o = ip.octets();
    if o[..12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if o[..2] == [0x20, 0x02] {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(text: &str) -> bool {
        let ip: IpAddr = match text.parse() {
            Ok(ip) => ip,
            Err(err) => panic!("bad test address {text}: {err}"),
        };
        is_forbidden(ip, false)
    }

    #[test]
    fn internal_ranges_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn allow_loopback_admits_loopback_only() {
        assert!(!is_forbidden(IpAddr::V4(Ipv4Addr::LOCALHOST), true));
        assert!(!is_forbidden(IpAddr::V6(Ipv6Addr::LOCALHOST), true));
        assert!(is_forbidden(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), true));
        assert!(is_forbidden(
            IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
            true
        ));
    }
}
