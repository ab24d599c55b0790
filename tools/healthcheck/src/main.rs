#![doc = include_str!("../README.md")]

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(3);

/// The service's own default port, as core-engine's configuration and
/// CONFIG.md give it.
fn default_port(service: &str) -> Option<u16> {
    match service {
        "api-gateway" => Some(8080),
        "worker" => Some(8081),
        "scheduler" => Some(8082),
        "saas-booker" => Some(3001),
        "saas-leadqualifier" => Some(3002),
        "saas-followup" => Some(3003),
        _ => None,
    }
}

fn port() -> Result<u16, String> {
    if let Ok(p) = std::env::var("PORT")
        && !p.trim().is_empty()
    {
        return p
            .trim()
            .parse()
            .map_err(|_| format!("PORT is not a port number: `{p}`"));
    }
    let service = std::env::var("GROWTHOS_SERVICE").unwrap_or_default();
    default_port(&service)
        .ok_or_else(|| "set PORT, or GROWTHOS_SERVICE to a GrowthOS service name".to_owned())
}

/// `HTTP/1.1 200 OK` -> 200.
fn status_code(status_line: &str) -> Option<u16> {
    let mut parts = status_line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

fn probe(host: &str, port: u16, path: &str) -> Result<u16, String> {
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port}: no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: growthos-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    // The status line fits in the first read of any sane server; keep
    // reading until a line end or 1 KiB, whichever comes first.
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 1024 {
        let n = stream.read(&mut buf).map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    status_code(line).ok_or_else(|| format!("not an HTTP answer: `{line}`"))
}

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/health".into());
    if !path.starts_with('/') {
        eprintln!("usage: growthos-healthcheck [/path]");
        return ExitCode::from(2);
    }
    let host = std::env::var("HEALTHCHECK_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let result = port().and_then(|port| probe(&host, port, &path));
    match result {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("{path}: HTTP {status}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            conn.write_all(answer.as_bytes()).unwrap();
        });
        port
    }

    #[test]
    fn a_200_status_line_is_read_as_200() {
        let port = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert_eq!(probe("127.0.0.1", port, "/health"), Ok(200));
    }

    #[test]
    fn a_503_is_reported_as_such() {
        let port = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert_eq!(probe("127.0.0.1", port, "/ready"), Ok(503));
    }

    #[test]
    fn a_closed_port_is_an_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(probe("127.0.0.1", port, "/health").is_err());
    }

    #[test]
    fn default_ports_follow_the_services() {
        assert_eq!(default_port("api-gateway"), Some(8080));
        assert_eq!(default_port("worker"), Some(8081));
        assert_eq!(default_port("scheduler"), Some(8082));
        assert_eq!(default_port("nope"), None);
        assert_eq!(status_code("garbage"), None);
    }
}
