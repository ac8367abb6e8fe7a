//! Load from concurrent clients: `n` operations shared among `clients` tasks, each taking the
//! next index until none is left, and timed one by one.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::api::{Api, count_items};
use crate::stats::Latency;

/// What a phase of concurrent operations took.
pub struct Timed<T> {
    /// Each operation's output, by index.
    pub outputs: Vec<T>,
    pub wall: Duration,
    pub latency: Latency,
}

impl<T> Timed<T> {
    /// Operations per second over the whole phase.
    pub fn rate(&self) -> f64 {
        self.outputs.len() as f64 / self.wall.as_secs_f64()
    }
}

/// Runs `op(0)` … `op(n - 1)` from `clients` concurrent tasks; fails with the first error.
pub async fn spread<T, F, Fut>(clients: usize, n: usize, op: F) -> Result<Timed<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(clients);
    for _ in 0..clients.max(1) {
        let (next, op) = (next.clone(), op.clone());
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let out = op(i).await?;
                done.push((i, t.elapsed(), out));
            }
            anyhow::Ok(done)
        }));
    }
    let mut done = Vec::with_capacity(n);
    for w in workers {
        done.extend(w.await??);
    }
    let wall = started.elapsed();
    done.sort_by_key(|(i, ..)| *i);
    let latencies: Vec<Duration> = done.iter().map(|(_, d, _)| *d).collect();
    Ok(Timed {
        latency: Latency::of(&latencies),
        outputs: done.into_iter().map(|(_, _, out)| out).collect(),
        wall,
    })
}

/// A timed list: the item count and size of the first answer, and every repetition's time.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    pub items: usize,
    pub bytes: usize,
    pub latency: Latency,
}

/// One warm-up and `reps` timed sequential GETs of `path` (relative to the root); counts the
/// items of `collection` in the first timed answer.
pub async fn timed_gets(api: &Api, path: &str, collection: &str, reps: usize) -> Result<Listed> {
    api.get(path).await?;
    let mut times: Vec<Duration> = Vec::with_capacity(reps);
    let (mut items, mut bytes) = (0, 0);
    for k in 0..reps.max(1) {
        let t = Instant::now();
        let body = api.get(path).await?;
        times.push(t.elapsed());
        if k == 0 {
            items = count_items(&body, collection)?;
            bytes = body.len();
        }
    }
    Ok(Listed {
        items,
        bytes,
        latency: Latency::of(&times),
    })
}
