//! One JSON-RPC 1.0 session with one server: requests matched to replies by id, the server's
//! notifications passed on in order, its `echo` requests answered, and our own `echo` probes.
//!
//! JSON-RPC 1.0 over a stream has no framing: messages are JSON objects back to back. They are cut
//! apart with serde_json's `StreamDeserializer`; an "unexpected end" error means the last message is
//! not complete yet.
//!
//! A session is not restarted: when it fails (EOF, socket error, garbage, an unanswered probe) every
//! waiting request gets [`Error::Disconnected`] and `closed()` completes. The client then opens a new
//! session.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value as Json, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::Error;
use crate::remote::{ReadHalf, Remote, WriteHalf};

/// A message the server sent without being asked (`update2`, `update3`, ...).
#[derive(Debug)]
pub(crate) struct Notification {
    pub method: String,
    pub params: Json,
}

/// How a session behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionOptions {
    /// Send an `echo` this often; no message at all within one more interval closes the session.
    pub probe_interval: Option<Duration>,
    /// How long a request may wait for its reply.
    pub request_timeout: Duration,
}

type Reply = Result<Json, Error>;

struct Pending {
    /// Why the session ended, once it has.
    closed: Option<String>,
    waiting: HashMap<u64, oneshot::Sender<Reply>>,
}

/// State shared by the session's handle and its reader, writer and probe tasks.
struct Shared {
    remote: String,
    pending: Mutex<Pending>,
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    closed: watch::Sender<Option<String>>,
    /// When the last bytes arrived: any message proves the server is alive.
    last_received: Mutex<Instant>,
    next_id: AtomicU64,
    options: SessionOptions,
}

/// An open session.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Connection {
    /// Connects and starts the session's tasks. Notifications arrive on the returned channel in the
    /// order the server sent them, interleaved correctly with replies (see [`Connection::call`]).
    pub(crate) async fn open(
        remote: &Remote,
        options: SessionOptions,
    ) -> Result<(Connection, mpsc::UnboundedReceiver<Notification>), Error> {
        let name = remote.to_string();
        let (reader, writer) = tokio::time::timeout(options.request_timeout, remote.connect())
            .await
            .map_err(|_| Error::Timeout {
                what: "connect".into(),
                remote: name.clone(),
                after: options.request_timeout,
            })??;
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            remote: name,
            pending: Mutex::new(Pending {
                closed: None,
                waiting: HashMap::new(),
            }),
            outgoing,
            closed: watch::channel(None).0,
            last_received: Mutex::new(Instant::now()),
            next_id: AtomicU64::new(1),
            options,
        });
        let mut tasks = vec![
            tokio::spawn(read_loop(shared.clone(), reader, notify_tx)),
            tokio::spawn(write_loop(shared.clone(), writer, outgoing_rx)),
        ];
        if let Some(interval) = options.probe_interval {
            tasks.push(tokio::spawn(probe_loop(shared.clone(), interval)));
        }
        Ok((Connection { shared, tasks }, notify_rx))
    }

    pub(crate) fn remote(&self) -> &str {
        &self.shared.remote
    }

    /// Sends a request and waits for its reply's `result`.
    pub(crate) async fn call(&self, method: &str, params: Json) -> Result<Json, Error> {
        self.shared
            .call(method, params, self.shared.options.request_timeout)
            .await
    }

    /// Like [`Connection::call`] with its own timeout (initial monitor replies can be large).
    pub(crate) async fn call_with_timeout(
        &self,
        method: &str,
        params: Json,
        timeout: Duration,
    ) -> Result<Json, Error> {
        self.shared.call(method, params, timeout).await
    }

    /// Completes when the session has ended, with the reason.
    pub(crate) async fn closed(&self) -> String {
        let mut rx = self.shared.closed.subscribe();
        match rx.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => "session dropped".into(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.borrow().is_some()
    }

    /// Ends the session; waiting requests fail with `Disconnected`.
    pub(crate) fn close(&self, reason: &str) {
        self.shared.close(reason);
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close("client closed the connection");
    }
}

impl Shared {
    async fn call(&self, method: &str, params: Json, timeout: Duration) -> Result<Json, Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked under the same lock the closing side drains under, so no request can be left
            // waiting on a session that has already failed everyone else.
            if let Some(reason) = &pending.closed {
                return Err(Error::Disconnected {
                    remote: self.remote.clone(),
                    reason: reason.clone(),
                });
            }
            pending.waiting.insert(id, tx);
        }
        let request = json!({"method": method, "params": params, "id": id});
        tracing::trace!(remote = %self.remote, %request, "send");
        if self
            .outgoing
            .send(request.to_string().into_bytes())
            .is_err()
        {
            self.close("writer stopped");
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply.map_err(|e| match e {
                Error::Rpc { error, details, .. } => Error::Rpc {
                    remote: self.remote.clone(),
                    method: method.to_owned(),
                    error,
                    details,
                },
                other => other,
            }),
            Ok(Err(_)) => Err(Error::Disconnected {
                remote: self.remote.clone(),
                reason: "session ended".into(),
            }),
            Err(_) => {
                self.pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .waiting
                    .remove(&id);
                Err(Error::Timeout {
                    what: method.to_owned(),
                    remote: self.remote.clone(),
                    after: timeout,
                })
            }
        }
    }

    fn close(&self, reason: &str) {
        let waiting = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.closed.is_some() {
                return;
            }
            pending.closed = Some(reason.to_owned());
            std::mem::take(&mut pending.waiting)
        };
        tracing::debug!(remote = %self.remote, reason, "session closed");
        for (_, tx) in waiting {
            let _ = tx.send(Err(Error::Disconnected {
                remote: self.remote.clone(),
                reason: reason.to_owned(),
            }));
        }
        self.closed.send_replace(Some(reason.to_owned()));
    }

    fn send(&self, message: &Json) {
        let _ = self.outgoing.send(message.to_string().into_bytes());
    }

    /// Routes one complete message from the server.
    fn dispatch(
        &self,
        message: Json,
        notifications: &mpsc::UnboundedSender<Notification>,
    ) -> Result<(), String> {
        let Json::Object(mut message) = message else {
            return Err(format!("message is not an object: {message}"));
        };
        let id = message.remove("id").unwrap_or(Json::Null);
        if let Some(method) = message
            .get("method")
            .and_then(Json::as_str)
            .map(str::to_owned)
        {
            let params = message.remove("params").unwrap_or(Json::Array(Vec::new()));
            if id.is_null() {
                let _ = notifications.send(Notification { method, params });
            } else if method == "echo" {
                // The server's inactivity probe: answer with the same params or it hangs up on us.
                self.send(&json!({"result": params, "error": null, "id": id}));
            } else {
                self.send(&json!({"result": null, "error": {"error": "unknown method", "details": method}, "id": id}));
            }
            return Ok(());
        }
        let Some(id) = id.as_u64() else {
            return Err(format!("reply with an id we never sent: {id}"));
        };
        let waiter = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .remove(&id);
        let Some(waiter) = waiter else {
            // A reply to a request that timed out; nobody waits for it any more.
            tracing::debug!(remote = %self.remote, id, "late reply dropped");
            return Ok(());
        };
        let error = message.remove("error").unwrap_or(Json::Null);
        let reply = if error.is_null() {
            Ok(message.remove("result").unwrap_or(Json::Null))
        } else {
            Err(rpc_error(&self.remote, error))
        };
        let _ = waiter.send(reply);
        Ok(())
    }
}

/// A JSON-RPC `error` member: ovsdb-server sends `{"error": "...", "details": "..."}` or a string.
fn rpc_error(remote: &str, error: Json) -> Error {
    let (text, details) = match &error {
        Json::String(s) => (s.clone(), None),
        Json::Object(o) => (
            o.get("error")
                .and_then(Json::as_str)
                .map_or_else(|| error.to_string(), str::to_owned),
            o.get("details").and_then(Json::as_str).map(str::to_owned),
        ),
        other => (other.to_string(), None),
    };
    Error::Rpc {
        remote: remote.to_owned(),
        method: String::new(),
        error: text,
        details,
    }
}

const READ_CHUNK: usize = 64 * 1024;

async fn read_loop(
    shared: Arc<Shared>,
    mut reader: ReadHalf,
    notifications: mpsc::UnboundedSender<Notification>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    // After a parse found the first message incomplete at this many bytes, parsing again is
    // pointless until much more has arrived or the socket has nothing more for now; otherwise a
    // multi-megabyte monitor reply would be re-parsed from its start after every read.
    let mut retry_at = 0usize;
    let reason = loop {
        buf.reserve(READ_CHUNK);
        match reader.read_some(&mut buf).await {
            Ok(0) => break "server closed the connection".to_owned(),
            Ok(_) => {}
            Err(e) => break format!("read: {e}"),
        }
        let mut failed = None;
        while buf.len() < retry_at {
            buf.reserve(READ_CHUNK);
            match reader.try_read_some(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    failed = Some(format!("read: {e}"));
                    break;
                }
            }
        }
        *shared
            .last_received
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        if let Some(reason) = failed {
            break reason;
        }
        match split_messages(&buf) {
            Ok((messages, consumed, complete)) => {
                buf.drain(..consumed);
                retry_at = if complete {
                    0
                } else {
                    buf.len().saturating_mul(2)
                };
                let mut bad = None;
                for message in messages {
                    tracing::trace!(remote = %shared.remote, %message, "receive");
                    if let Err(e) = shared.dispatch(message, &notifications) {
                        bad = Some(e);
                        break;
                    }
                }
                if let Some(e) = bad {
                    break format!("protocol error: {e}");
                }
            }
            Err(e) => break format!("protocol error: invalid JSON: {e}"),
        }
    };
    shared.close(&reason);
}

/// Cuts the complete JSON values off the front of `buf`. Returns them, how many bytes they used,
/// and whether the buffer held nothing after them but whitespace.
fn split_messages(buf: &[u8]) -> Result<(Vec<Json>, usize, bool), serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_slice(buf).into_iter::<Json>();
    let mut messages = Vec::new();
    let mut consumed = 0;
    loop {
        match stream.next() {
            Some(Ok(message)) => {
                messages.push(message);
                consumed = stream.byte_offset();
            }
            None => return Ok((messages, consumed, true)),
            Some(Err(e)) if e.is_eof() => return Ok((messages, consumed, false)),
            Some(Err(e)) => return Err(e),
        }
    }
}

async fn write_loop(
    shared: Arc<Shared>,
    mut writer: WriteHalf,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(bytes) = outgoing.recv().await {
        if let Err(e) = writer.write_all(&bytes).await {
            shared.close(&format!("write: {e}"));
            return;
        }
    }
}

/// Sends an `echo` every `interval`. If nothing at all has arrived within `interval` after it was
/// sent, the server is considered dead: a stopped server keeps its socket open, so without probes
/// we would wait forever. A server busy sending a large reply is alive, since its bytes arrive.
async fn probe_loop(shared: Arc<Shared>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let sent = Instant::now();
        match shared.call("echo", json!([]), interval).await {
            Ok(_) => {}
            Err(Error::Timeout { .. }) => {
                let last = *shared
                    .last_received
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if last < sent {
                    shared.close(&format!("no reply to echo within {interval:?}"));
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_concatenated_messages_and_keeps_the_incomplete_tail() {
        let text =
            br#"{"id":1,"result":[]} {"id":null,"method":"update2","params":["m",{}]}{"id":2,"res"#;
        let (messages, consumed, complete) = split_messages(text).unwrap();
        assert_eq!(messages.len(), 2);
        assert!(!complete);
        assert_eq!(&text[consumed..], br#"{"id":2,"res"#);
        // Braces inside strings are no trouble for a real parser.
        let (messages, _, complete) = split_messages(br#"{"s":"}{"}"#).unwrap();
        assert_eq!(messages.len(), 1);
        assert!(complete);
        assert!(split_messages(b"{]").is_err());
    }
}
