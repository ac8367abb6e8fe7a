//! A PostgreSQL connection driven on the calling thread, which can send several requests before
//! it waits for the first answer (pipelining).
//!
//! The rules are synchronous closures run on tokio's blocking pool, so each connection carries a
//! current-thread runtime of its own and drives its socket only while a caller waits on it (as
//! the `postgres` crate does). Unlike that crate's client, [`PgClient::run`] takes any future
//! over the asynchronous client: a session sends `BEGIN`, the statements whose answers nobody
//! waits for, and the next statement (or `COMMIT`) in one flight. Every round trip saved is a
//! wake-up of this process and of a PostgreSQL backend, which is what a write costs most of on a
//! small machine.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Connection, Error, NoTls, Socket};

pub(crate) struct PgClient {
    runtime: Runtime,
    client: Client,
    connection: Connection<Socket, NoTlsStream>,
    /// Notifications (`LISTEN`) received while a caller waited.
    notifications: VecDeque<String>,
}

impl PgClient {
    /// Opens a connection; the error as a message for the operator.
    pub(crate) fn connect(config: &tokio_postgres::Config) -> Result<PgClient, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a connection's runtime: {e}"))?;
        let (client, connection) =
            runtime.block_on(config.connect(NoTls)).map_err(
                |e| match super::session::store_error(&e) {
                    crate::StoreError::Unavailable(m) | crate::StoreError::Database(m) => m,
                    other => other.to_string(),
                },
            )?;
        Ok(PgClient {
            runtime,
            client,
            connection,
            notifications: VecDeque::new(),
        })
    }

    /// Runs a future over the client while driving the connection, and returns its result.
    /// Requests the future makes before it first waits go out together.
    pub(crate) fn run<'a, T, F>(
        &'a mut self,
        work: impl FnOnce(&'a Client) -> F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + 'a,
    {
        let PgClient {
            runtime,
            client,
            connection,
            notifications,
        } = self;
        let mut work = std::pin::pin!(work(client));
        runtime.block_on(std::future::poll_fn(|cx| {
            if let Poll::Ready(Err(e)) = drive(connection, notifications, cx) {
                return Poll::Ready(Err(e));
            }
            work.as_mut().poll(cx)
        }))
    }

    /// Waits up to `timeout` for a notification; true if one (or more) came.
    pub(crate) fn wait_notification(&mut self, timeout: Duration) -> Result<bool, Error> {
        if !self.notifications.is_empty() {
            self.notifications.clear();
            return Ok(true);
        }
        let PgClient {
            runtime,
            connection,
            notifications,
            ..
        } = self;
        let waited = runtime.block_on(async {
            tokio::time::timeout(
                timeout,
                std::future::poll_fn(|cx| match drive(connection, notifications, cx) {
                    Poll::Ready(r) => Poll::Ready(r),
                    Poll::Pending if notifications.is_empty() => Poll::Pending,
                    Poll::Pending => Poll::Ready(Ok(())),
                }),
            )
            .await
        });
        match waited {
            Ok(Ok(())) => {
                let got = !notifications.is_empty();
                notifications.clear();
                Ok(got)
            }
            Ok(Err(e)) => Err(e),
            Err(_elapsed) => Ok(false),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// Moves the connection's messages along; `Ready` only when it ended or failed.
fn drive(
    connection: &mut Connection<Socket, NoTlsStream>,
    notifications: &mut VecDeque<String>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    loop {
        match connection.poll_message(cx) {
            Poll::Ready(Some(Ok(AsyncMessage::Notification(n)))) => {
                notifications.push_back(n.channel().to_string());
            }
            Poll::Ready(Some(Ok(_notice))) => {}
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
            Poll::Ready(None) => return Poll::Ready(Ok(())),
            Poll::Pending => return Poll::Pending,
        }
    }
}

/// Waits for every future, polling them in order so that the requests they make go out in that
/// order; the results in the same order.
pub(crate) async fn all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in futures.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *r = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
