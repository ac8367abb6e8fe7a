//! The task that owns the client's connection: connect with backoff, keep to the leader,
//! re-establish monitors, apply their updates in order, report what happens.
//!
//! One task does all of it so that a monitor's initial reply and its later `update2`/`update3`
//! notifications are applied strictly in the order the server sent them: replies and notifications
//! come off one socket in order, and while this task waits for a monitor's reply it does not read
//! notifications, which queue behind it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use serde_json::{Value as Json, json};
use tokio::sync::{mpsc, oneshot};

use crate::client::{ConnectionState, Event, Session, Shared, session_options};
use crate::cluster::{
    DatabaseStatus, SERVER_MONITOR_ID, apply_server_update, server_monitor_params,
};
use crate::connection::{Connection, Notification};
use crate::error::Error;
use crate::monitor::{Command, MonitorState};
use crate::remote::Remote;
use crate::schema::DatabaseSchema;

/// `monitor_cond_since` with this id asks for everything.
const NO_TXN_ID: &str = "00000000-0000-0000-0000-000000000000";

pub(crate) async fn supervise(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    first: oneshot::Sender<Result<(), Error>>,
) {
    let mut first = Some(first);
    let mut backoff = shared.config.backoff_min;
    let mut epoch = 0u64;
    loop {
        for remote in shared.remotes.clone() {
            let (session, mut notifications, mut status) =
                match open(&shared, &remote, epoch + 1).await {
                    Ok(opened) => opened,
                    Err(e) => {
                        tracing::debug!(%remote, error = %e, "connect attempt failed");
                        if matches!(e, Error::Schema(_))
                            && let Some(first) = first.take()
                        {
                            // A schema that lacks what the caller needs will not grow it by retrying.
                            let _ = first.send(Err(e));
                            return;
                        }
                        *shared
                            .last_error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
                        continue;
                    }
                };
            epoch += 1;
            let name = remote.to_string();
            if let Err(e) = resync_monitors(&shared, &session).await {
                tracing::warn!(remote = %name, error = %e, "resync failed");
                *shared
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
                session.conn.close(&e.to_string());
                continue;
            }
            *shared
                .session
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(session.clone());
            shared.state.send_replace(ConnectionState {
                remote: Some(name.clone()),
                epoch,
            });
            tracing::info!(remote = %name, epoch, "connected");
            shared.emit(Event::Connected {
                remote: name.clone(),
                epoch,
            });
            if let Some(first) = first.take() {
                let _ = first.send(Ok(()));
            }
            backoff = shared.config.backoff_min;

            let outcome = run(
                &shared,
                &session,
                &mut notifications,
                &mut commands,
                &mut status,
            )
            .await;
            *shared
                .session
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
            shared.state.send_replace(ConnectionState {
                remote: None,
                epoch,
            });
            let Some(reason) = outcome else {
                session.conn.close("client dropped");
                return;
            };
            session.conn.close(&reason);
            tracing::warn!(remote = %name, %reason, "disconnected");
            *shared
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(format!("{name}: {reason}"));
            shared.emit(Event::Disconnected {
                remote: name,
                reason,
            });
        }
        // Every remote was tried (or the last session ended): pause before the next round, still
        // taking commands so that cancelled monitors are forgotten meanwhile.
        let sleep = tokio::time::sleep(backoff);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                command = commands.recv() => match command {
                    None => return,
                    Some(Command::Cancel(id)) => {
                        shared.forget_monitor(&id);
                    }
                    // Set up with all the others when the next session opens.
                    Some(Command::Establish(_)) => {}
                },
            }
        }
        backoff = (backoff * 2).min(shared.config.backoff_max);
    }
}

type Opened = (
    Arc<Session>,
    mpsc::UnboundedReceiver<Notification>,
    Option<DatabaseStatus>,
);

/// Opens a session to `remote` and checks that it can serve us: the database exists, its schema
/// has what the caller needs, and (if asked) this server is the leader.
async fn open(shared: &Shared, remote: &Remote, epoch: u64) -> Result<Opened, Error> {
    let config = &shared.config;
    let (conn, notifications) = Connection::open(remote, session_options(config)).await?;
    let reply = conn.call("get_schema", json!([config.database])).await?;
    let schema = DatabaseSchema::from_json(&reply)?;
    schema.check(&config.needs)?;
    let mut status = None;
    if config.leader_only {
        match conn
            .call("monitor_cond", server_monitor_params(&config.database))
            .await
        {
            Ok(reply) => {
                apply_server_update(&mut status, &reply);
                let detail = match &status {
                    Some(s) if s.usable() => None,
                    Some(s) => Some(format!(
                        "model {}, connected {}, leader {}",
                        s.model, s.connected, s.leader
                    )),
                    None => Some("not listed in _Server.Database".to_owned()),
                };
                if let Some(detail) = detail {
                    return Err(Error::NotLeader {
                        remote: remote.to_string(),
                        database: config.database.clone(),
                        detail,
                    });
                }
            }
            // A server without the _Server database predates clustering: it is its own leader.
            Err(Error::Rpc { error, .. }) => {
                tracing::debug!(%remote, %error, "no _Server database; assuming standalone");
            }
            Err(e) => return Err(e),
        }
    }
    let session = Session {
        conn,
        schema: Arc::new(schema),
        epoch,
        since_supported: true.into(),
    };
    Ok((Arc::new(session), notifications, status))
}

/// Sets every registered monitor up on a new session.
async fn resync_monitors(shared: &Shared, session: &Session) -> Result<(), Error> {
    for monitor in shared.all_monitors() {
        establish(shared, session, &monitor).await?;
    }
    Ok(())
}

/// Sets one monitor up on `session`, resuming from its last transaction id when the server can.
/// Errors that concern only this monitor are stored in it; an error is returned only when the
/// session itself failed.
async fn establish(
    shared: &Shared,
    session: &Session,
    monitor: &MonitorState,
) -> Result<(), Error> {
    if *monitor.epoch.lock().unwrap_or_else(PoisonError::into_inner) == session.epoch {
        return Ok(());
    }
    // A failure on an earlier session is history once we try again.
    *monitor
        .failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
    if let Err(e) = monitor.request.check(&session.schema) {
        monitor.fail(e.into());
        return Ok(());
    }
    let config = &shared.config;
    let remote = session.conn.remote();
    let requests = monitor.request.to_json();
    if session.since_supported.load(Ordering::Relaxed) {
        let last = monitor
            .last_txn_id()
            .unwrap_or_else(|| NO_TXN_ID.to_owned());
        let params = json!([config.database, monitor.id, requests, last]);
        match session
            .conn
            .call_with_timeout("monitor_cond_since", params, config.monitor_timeout)
            .await
        {
            Ok(reply) => {
                let (found, txn_id, updates) = match reply {
                    Json::Array(mut parts) if parts.len() == 3 => {
                        let updates = parts.pop().unwrap_or(Json::Null);
                        let txn_id = parts.pop().and_then(|t| t.as_str().map(str::to_owned));
                        let found = parts.pop().and_then(|f| f.as_bool()).unwrap_or(false);
                        (found, txn_id, updates)
                    }
                    other => {
                        return Err(Error::protocol(
                            remote,
                            format!("monitor_cond_since reply: {other}"),
                        ));
                    }
                };
                *monitor.epoch.lock().unwrap_or_else(PoisonError::into_inner) = session.epoch;
                // Transaction id before the cache: the version bump of the cache change below is
                // what `Client::monitor` waits for before it hands the monitor out.
                monitor.set_last_txn_id(txn_id);
                let applied = if found {
                    monitor.update(&updates, &session.schema)
                } else {
                    monitor.rebuild(&updates, &session.schema)
                };
                applied.map_err(|e| Error::decode(remote, e))?;
                shared.emit(Event::Resynced {
                    monitor: monitor.id.clone(),
                    epoch: session.epoch,
                    full: !found,
                });
                return Ok(());
            }
            Err(Error::Rpc { error, .. }) if error.contains("unknown method") => {
                tracing::info!(%remote, "server lacks monitor_cond_since; full resyncs after reconnects");
                session.since_supported.store(false, Ordering::Relaxed);
            }
            Err(e @ Error::Rpc { .. }) => {
                monitor.fail(e);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    let params = json!([config.database, monitor.id, requests]);
    match session
        .conn
        .call_with_timeout("monitor_cond", params, config.monitor_timeout)
        .await
    {
        Ok(updates) => {
            *monitor.epoch.lock().unwrap_or_else(PoisonError::into_inner) = session.epoch;
            monitor.set_last_txn_id(None);
            monitor
                .rebuild(&updates, &session.schema)
                .map_err(|e| Error::decode(remote, e))?;
            shared.emit(Event::Resynced {
                monitor: monitor.id.clone(),
                epoch: session.epoch,
                full: true,
            });
            Ok(())
        }
        Err(e @ Error::Rpc { .. }) => {
            monitor.fail(e);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Serves a live session until it ends (`Some(reason)`) or the client is dropped (`None`).
async fn run(
    shared: &Shared,
    session: &Session,
    notifications: &mut mpsc::UnboundedReceiver<Notification>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    status: &mut Option<DatabaseStatus>,
) -> Option<String> {
    loop {
        tokio::select! {
            // Drain what the server already sent before noticing that it closed.
            biased;
            notification = notifications.recv() => match notification {
                Some(n) => {
                    if let Err(reason) = on_notification(shared, session, n, status) {
                        return Some(reason);
                    }
                }
                None => return Some(session.conn.closed().await),
            },
            command = commands.recv() => match command {
                None => return None,
                Some(Command::Establish(id)) => {
                    if let Some(monitor) = shared.monitor(&id)
                        && let Err(e) = establish(shared, session, &monitor).await
                    {
                        return Some(e.to_string());
                    }
                }
                Some(Command::Cancel(id)) => {
                    if shared.forget_monitor(&id).is_some() {
                        // Best effort: the server forgets it anyway when the session ends.
                        let _ = session.conn.call("monitor_cancel", json!([id])).await;
                    }
                }
            },
            reason = session.conn.closed() => return Some(reason),
        }
    }
}

/// Applies one `update2`/`update3` notification. An error ends the session.
fn on_notification(
    shared: &Shared,
    session: &Session,
    notification: Notification,
    status: &mut Option<DatabaseStatus>,
) -> Result<(), String> {
    let params = match notification.params {
        Json::Array(params) => params,
        other => {
            return Err(format!(
                "protocol error: {} params are not an array: {other}",
                notification.method
            ));
        }
    };
    let (id, txn_id, updates) = match (notification.method.as_str(), params.as_slice()) {
        ("update2", [id, updates]) => (id, None, updates),
        ("update3", [id, txn_id, updates]) => (id, txn_id.as_str().map(str::to_owned), updates),
        (method, _) => {
            tracing::debug!(method, "ignoring notification");
            return Ok(());
        }
    };
    let Some(id) = id.as_str() else {
        return Ok(());
    };
    if id == SERVER_MONITOR_ID {
        apply_server_update(status, updates);
        return match status {
            Some(s) if s.usable() => Ok(()),
            Some(s) => Err(format!(
                "server stopped being leader (connected {}, leader {})",
                s.connected, s.leader
            )),
            None => Err("database removed from _Server".to_owned()),
        };
    }
    // A notification for a monitor cancelled a moment ago.
    let Some(monitor) = shared.monitor(id) else {
        return Ok(());
    };
    monitor
        .update(updates, &session.schema)
        .map_err(|e| format!("protocol error: bad update for monitor {id}: {e}"))?;
    if txn_id.is_some() {
        monitor.set_last_txn_id(txn_id);
    }
    shared.emit(Event::Updated {
        monitor: id.to_owned(),
    });
    Ok(())
}
