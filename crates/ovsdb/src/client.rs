//! The client callers use: connect to one database on one of several remotes, transact, monitor.
//!
//! A background task (see `supervisor.rs`) owns the connection: it connects, checks the schema,
//! keeps to the cluster leader, re-establishes monitors after a reconnect and reports what happens
//! as [`Event`]s and a [`ConnectionState`]. Requests made while it is reconnecting fail at once with
//! a retriable error instead of queueing behind an outage of unknown length.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value as Json, json};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::connection::Connection;
use crate::error::Error;
use crate::monitor::{Command, MonitorHandle, MonitorRequest, MonitorState};
use crate::operation::Operation;
use crate::remote::Remote;
use crate::schema::{DatabaseSchema, TableNeed};
use crate::supervisor::supervise;
use crate::transact::{OperationResult, read_results};

/// How to reach the database and how to behave when it is away.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `unix:PATH` or `tcp:HOST:PORT`; several for a clustered database.
    pub remotes: Vec<String>,
    /// The database to use, e.g. `OVN_Northbound`.
    pub database: String,
    /// Send an `echo` this often and drop the connection when nothing comes back within another
    /// interval. `None` disables our probes (the server's are still answered).
    pub probe_interval: Option<Duration>,
    /// How long a request (and a connect) may wait for its reply.
    pub request_timeout: Duration,
    /// How long setting up a monitor may take; the initial reply carries every watched row.
    pub monitor_timeout: Duration,
    /// How long `Client::connect` waits for a first usable server.
    pub connect_timeout: Duration,
    /// First and longest pause between rounds of connection attempts; it doubles in between.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Use only a server that is the leader of the (clustered) database. On by default.
    pub leader_only: bool,
    /// Tables and columns the caller relies on; checked against the server's schema at every connect.
    pub needs: Vec<TableNeed>,
}

impl ClientConfig {
    pub fn new<I, S>(remotes: I, database: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClientConfig {
            remotes: remotes.into_iter().map(Into::into).collect(),
            database: database.into(),
            probe_interval: Some(Duration::from_secs(5)),
            request_timeout: Duration::from_secs(30),
            monitor_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(30),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(8),
            leader_only: true,
            needs: Vec::new(),
        }
    }
}

/// What happened to the connection or a monitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A session to `remote` is up; `epoch` counts sessions since the client started.
    Connected { remote: String, epoch: u64 },
    /// A monitor was set up on a new session. `full`: its cache was rebuilt from scratch; otherwise
    /// only the changes since its last transaction id were applied.
    Resynced {
        monitor: String,
        epoch: u64,
        full: bool,
    },
    /// A monitor's cache changed.
    Updated { monitor: String },
    /// The session to `remote` ended; the client is reconnecting.
    Disconnected { remote: String, reason: String },
}

/// Where the client is connected now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionState {
    /// The remote of the live session, if any.
    pub remote: Option<String>,
    /// The number of sessions so far; it changes on every reconnect.
    pub epoch: u64,
}

/// One live session, as requests see it.
pub(crate) struct Session {
    pub(crate) conn: Connection,
    pub(crate) schema: Arc<DatabaseSchema>,
    pub(crate) epoch: u64,
    /// Cleared when the server answers `monitor_cond_since` with "unknown method".
    pub(crate) since_supported: AtomicBool,
}

/// State shared by the client handles and the supervisor task.
pub(crate) struct Shared {
    pub(crate) config: ClientConfig,
    pub(crate) remotes: Vec<Remote>,
    pub(crate) session: Mutex<Option<Arc<Session>>>,
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) monitors: Mutex<BTreeMap<String, Arc<MonitorState>>>,
    pub(crate) last_error: Mutex<Option<String>>,
    commands: mpsc::UnboundedSender<Command>,
    next_monitor: AtomicU64,
}

impl Shared {
    pub(crate) fn remotes_text(&self) -> String {
        self.config.remotes.join(",")
    }

    pub(crate) fn current(&self) -> Option<Arc<Session>> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn emit(&self, event: Event) {
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }

    pub(crate) fn monitor(&self, id: &str) -> Option<Arc<MonitorState>> {
        self.monitors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    pub(crate) fn all_monitors(&self) -> Vec<Arc<MonitorState>> {
        self.monitors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn forget_monitor(&self, id: &str) -> Option<Arc<MonitorState>> {
        self.monitors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }
}

/// Stops the supervisor when the last `Client` clone goes away.
struct Owner {
    shared: Arc<Shared>,
    supervisor: JoinHandle<()>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.supervisor.abort();
        if let Some(session) = self
            .shared
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            session.conn.close("client dropped");
        }
    }
}

/// An OVSDB client for one database. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct Client {
    owner: Arc<Owner>,
}

impl Client {
    /// Starts the client and waits (up to `connect_timeout`) for a first usable server: reachable,
    /// serving the database with a schema that has what `needs` asks for, and leader if
    /// `leader_only`. A schema mismatch fails at once; otherwise the error says which remotes were
    /// tried and the last reason.
    pub async fn connect(config: ClientConfig) -> Result<Client, Error> {
        if config.remotes.is_empty() {
            return Err(Error::InvalidRequest("no remotes given".into()));
        }
        let remotes = config
            .remotes
            .iter()
            .map(|r| Remote::parse(r))
            .collect::<Result<Vec<_>, _>>()?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            remotes,
            session: Mutex::new(None),
            state: watch::channel(ConnectionState::default()).0,
            events: broadcast::channel(1024).0,
            monitors: Mutex::new(BTreeMap::new()),
            last_error: Mutex::new(None),
            commands,
            next_monitor: AtomicU64::new(1),
            config,
        });
        let (first_tx, first_rx) = oneshot::channel();
        let supervisor = tokio::spawn(supervise(shared.clone(), commands_rx, first_tx));
        let client = Client {
            owner: Arc::new(Owner {
                shared: shared.clone(),
                supervisor,
            }),
        };
        let absent = |reason: String| Error::ServerAbsent {
            remotes: shared.remotes_text(),
            database: shared.config.database.clone(),
            reason,
        };
        match tokio::time::timeout(shared.config.connect_timeout, first_rx).await {
            Ok(Ok(Ok(()))) => Ok(client),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(absent("the connection task stopped".into())),
            Err(_) => {
                let last = shared
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                Err(absent(format!(
                    "none usable within {:?} (last error: {})",
                    shared.config.connect_timeout,
                    last.unwrap_or_else(|| "none".into())
                )))
            }
        }
    }

    fn shared(&self) -> &Shared {
        &self.owner.shared
    }

    fn session(&self) -> Result<Arc<Session>, Error> {
        match self.shared().current() {
            Some(session) if !session.conn.is_closed() => Ok(session),
            _ => Err(Error::NotConnected {
                remotes: self.shared().remotes_text(),
            }),
        }
    }

    /// The database this client uses.
    pub fn database(&self) -> &str {
        &self.shared().config.database
    }

    /// The server's schema of our database, as of the current (or last) session.
    pub fn schema(&self) -> Option<Arc<DatabaseSchema>> {
        self.shared().current().map(|s| s.schema.clone())
    }

    /// The remote of the live session, if any.
    pub fn current_remote(&self) -> Option<String> {
        self.shared().state.borrow().remote.clone()
    }

    /// Follows the connection state; `changed()` wakes on every connect and disconnect.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.shared().state.subscribe()
    }

    /// Connection and monitor events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.shared().events.subscribe()
    }

    /// Waits until a session is up (immediately if it is). Wrap it in a timeout to bound the wait.
    pub async fn wait_connected(&self) -> ConnectionState {
        let mut rx = self.state();
        match rx.wait_for(|s| s.remote.is_some()).await {
            Ok(state) => state.clone(),
            // The sender lives as long as the client, so this is not reached while we hold it.
            Err(_) => ConnectionState::default(),
        }
    }

    /// Runs `operations` as one transaction. On success, one result per operation.
    ///
    /// Errors: [`Error::Transaction`] names the failing operation; [`Error::NotConnected`] and
    /// [`Error::Disconnected`] are retriable (see [`Error::is_retriable`]) — after a disconnect
    /// the transaction may or may not have been committed, so guard repeats with `wait` operations
    /// or make them idempotent.
    pub async fn transact(&self, operations: &[Operation]) -> Result<Vec<OperationResult>, Error> {
        let session = self.session()?;
        let mut params = Vec::with_capacity(operations.len() + 1);
        params.push(Json::String(self.shared().config.database.clone()));
        params.extend(operations.iter().map(Operation::to_json));
        let reply = session.conn.call("transact", Json::Array(params)).await?;
        read_results(
            session.conn.remote(),
            operations,
            reply,
            Some(&session.schema),
        )
    }

    /// Starts a monitor and waits for its initial contents. The monitor follows reconnects; its
    /// cache is resynced on each new session. Dropping the handle cancels it.
    pub async fn monitor(&self, request: MonitorRequest) -> Result<MonitorHandle, Error> {
        if request.tables.is_empty() {
            return Err(Error::InvalidRequest(
                "a monitor needs at least one table".into(),
            ));
        }
        let session = self.session()?;
        request.check(&session.schema)?;
        let shared = self.shared();
        let id = format!("m{}", shared.next_monitor.fetch_add(1, Ordering::Relaxed));
        let state = Arc::new(MonitorState::new(id.clone(), request));
        shared
            .monitors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), state.clone());
        let handle = MonitorHandle {
            state: state.clone(),
            commands: shared.commands.clone(),
        };
        // The supervisor sets it up so that its initial reply and later updates are applied in the
        // order the server sent them.
        let _ = shared.commands.send(Command::Establish(id));
        let mut version = handle.subscribe();
        let ready = version.wait_for(|_| {
            state
                .failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
                || *state.epoch.lock().unwrap_or_else(PoisonError::into_inner) != 0
        });
        let timeout = shared.config.monitor_timeout;
        if tokio::time::timeout(timeout, ready).await.is_err() {
            return Err(Error::Timeout {
                what: "monitor_cond".into(),
                remote: shared.remotes_text(),
                after: timeout,
            });
        }
        drop(version);
        if let Some(e) = state
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            return Err(e);
        }
        Ok(handle)
    }

    /// The databases the current server serves.
    pub async fn list_dbs(&self) -> Result<Vec<String>, Error> {
        let session = self.session()?;
        let reply = session.conn.call("list_dbs", json!([])).await?;
        serde_json::from_value(reply)
            .map_err(|e| Error::protocol(session.conn.remote(), format!("list_dbs: {e}")))
    }

    /// Asks the current server for a database's schema.
    pub async fn get_schema(&self, database: &str) -> Result<DatabaseSchema, Error> {
        let session = self.session()?;
        let reply = session.conn.call("get_schema", json!([database])).await?;
        Ok(DatabaseSchema::from_json(&reply)?)
    }

    /// One round trip to the server.
    pub async fn echo(&self) -> Result<(), Error> {
        let session = self.session()?;
        session.conn.call("echo", json!(["ping"])).await.map(drop)
    }
}

/// The per-session settings taken from the client's configuration.
pub(crate) fn session_options(config: &ClientConfig) -> crate::connection::SessionOptions {
    crate::connection::SessionOptions {
        probe_interval: config.probe_interval,
        request_timeout: config.request_timeout,
    }
}
