//! Where a server listens (`unix:PATH`, `tcp:HOST:PORT`) and the byte streams to it.
//!
//! The transport is an enum so that TLS (`ssl:HOST:PORT`) can be added as one more variant of
//! [`Remote`], `ReadHalf` and `WriteHalf` without touching the JSON-RPC layer above.

use std::fmt;
use std::io;
use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream, tcp, unix};

use crate::error::Error;

/// One server address, in the syntax OVS tools use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Remote {
    Unix(PathBuf),
    Tcp { host: String, port: u16 },
}

impl Remote {
    /// Parses `unix:PATH` or `tcp:HOST:PORT` (an IPv6 host in brackets: `tcp:[::1]:6641`).
    pub fn parse(text: &str) -> Result<Remote, Error> {
        let invalid = |reason: &str| Error::InvalidRemote {
            remote: text.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(invalid("empty socket path"));
            }
            return Ok(Remote::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("tcp:") {
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| invalid("expected tcp:HOST:PORT"))?;
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            if host.is_empty() {
                return Err(invalid("empty host"));
            }
            let port = port.parse().map_err(|_| invalid("bad port"))?;
            return Ok(Remote::Tcp {
                host: host.to_owned(),
                port,
            });
        }
        if text.starts_with("ssl:") {
            return Err(invalid("TLS (ssl:) is not supported yet"));
        }
        Err(invalid("expected unix:PATH or tcp:HOST:PORT"))
    }

    /// Parses a comma-separated list, as `ovn-nbctl --db=` takes it.
    pub fn parse_list(text: &str) -> Result<Vec<Remote>, Error> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Remote::parse)
            .collect()
    }

    pub(crate) async fn connect(&self) -> Result<(ReadHalf, WriteHalf), Error> {
        let io_error = |e: io::Error| Error::Io {
            remote: self.to_string(),
            detail: format!("connect: {e}"),
        };
        match self {
            Remote::Unix(path) => {
                let (r, w) = UnixStream::connect(path)
                    .await
                    .map_err(io_error)?
                    .into_split();
                Ok((ReadHalf::Unix(r), WriteHalf::Unix(w)))
            }
            Remote::Tcp { host, port } => {
                let stream = TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(io_error)?;
                // Requests are small and latency matters more than packet count.
                stream.set_nodelay(true).map_err(io_error)?;
                let (r, w) = stream.into_split();
                Ok((ReadHalf::Tcp(r), WriteHalf::Tcp(w)))
            }
        }
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remote::Unix(path) => write!(f, "unix:{}", path.display()),
            Remote::Tcp { host, port } if host.contains(':') => write!(f, "tcp:[{host}]:{port}"),
            Remote::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
        }
    }
}

/// The receiving side of a connection.
pub(crate) enum ReadHalf {
    Unix(unix::OwnedReadHalf),
    Tcp(tcp::OwnedReadHalf),
}

impl ReadHalf {
    /// Waits for some bytes and appends them; 0 means the peer closed.
    pub(crate) async fn read_some(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ReadHalf::Unix(r) => r.read_buf(buf).await,
            ReadHalf::Tcp(r) => r.read_buf(buf).await,
        }
    }

    /// Appends bytes that are already available without waiting.
    pub(crate) fn try_read_some(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ReadHalf::Unix(r) => r.try_read_buf(buf),
            ReadHalf::Tcp(r) => r.try_read_buf(buf),
        }
    }
}

/// The sending side of a connection.
pub(crate) enum WriteHalf {
    Unix(unix::OwnedWriteHalf),
    Tcp(tcp::OwnedWriteHalf),
}

impl WriteHalf {
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            WriteHalf::Unix(w) => w.write_all(bytes).await,
            WriteHalf::Tcp(w) => w.write_all(bytes).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_remotes() {
        assert_eq!(
            Remote::parse("unix:/run/nb.sock").unwrap(),
            Remote::Unix("/run/nb.sock".into())
        );
        assert_eq!(
            Remote::parse("tcp:127.0.0.1:6641").unwrap(),
            Remote::Tcp {
                host: "127.0.0.1".into(),
                port: 6641
            }
        );
        assert_eq!(
            Remote::parse("tcp:[::1]:6641").unwrap(),
            Remote::Tcp {
                host: "::1".into(),
                port: 6641
            }
        );
        assert_eq!(
            Remote::parse("tcp:[::1]:6641").unwrap().to_string(),
            "tcp:[::1]:6641"
        );
        assert_eq!(Remote::parse_list("unix:/a, unix:/b").unwrap().len(), 2);
        for bad in [
            "ssl:1.2.3.4:6641",
            "tcp:host",
            "tcp::1",
            "unix:",
            "/run/nb.sock",
            "tcp:h:99999",
        ] {
            assert!(Remote::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
