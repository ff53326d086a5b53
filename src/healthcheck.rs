//! `giropops-senhas healthcheck`: the image has no curl, so the binary probes its own `/healthz` (on PROBE_PORT
//! when set, else on PORT).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};

use crate::config::HealthcheckConfig;

/// Ok when `/healthz` answers 200 within the timeout.
pub fn probe(config: &HealthcheckConfig) -> Result<(), String> {
    let ip = match config.bind {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    // The probe port, when the server has one, answers even while clients hold every main-port connection.
    let addr = SocketAddr::new(ip, config.probe_port.unwrap_or(config.port));
    let mut stream = TcpStream::connect_timeout(&addr, config.timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(config.timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.timeout)))
        .map_err(|e| format!("socket setup failed: {e}"))?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .map_err(|e| format!("no answer from {addr}: {e}"))?;
    if head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200") {
        Ok(())
    } else {
        Err(format!(
            "{addr}/healthz answered {}",
            String::from_utf8_lossy(&head)
        ))
    }
}
