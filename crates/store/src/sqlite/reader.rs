//! Read connections: WAL readers see the last committed state and never block the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::StoreError;
use crate::tx::Tx;

#[derive(Clone)]
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            path,
            idle: Arc::default(),
        }
    }

    pub(crate) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Tx) -> Result<T, E> + Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match pool.take() {
                Ok(c) => c,
                Err(e) => return Err(E::from(e)),
            };
            let out = f(&Tx::new(&conn));
            pool.put(conn);
            out
        })
        .await
        .map_err(|_| E::from(StoreError::Unavailable("a database reader failed".into())))?
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(c) => Ok(c),
            None => {
                let c = super::open_connection(&self.path)?;
                c.pragma_update(None, "query_only", "ON")
                    .map_err(super::store_error)?;
                Ok(c)
            }
        }
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut v) = self.idle.lock()
            && v.len() < 8
        {
            v.push(conn);
        }
    }
}
