//! Graceful drain: on SIGTERM (or Ctrl-C) stop accepting connections, answer `/readyz` with 503,
//! let the requests in flight finish — for at most `shutdown_timeout_secs` — then return, so that
//! the caller stops the back end and the process exits 0.

use std::time::Duration;

use anyhow::Result;
use axum::Router;
use neutrino_api::Operations;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves `app` on `listener` until a signal, then drains. Requests still running when
/// `timeout` has passed are abandoned (their clients see the connection close).
pub async fn serve_until_signal(
    listener: TcpListener,
    app: Router,
    ops: Operations,
    timeout: Duration,
) -> Result<()> {
    let (signalled, mut on_signal) = watch::channel(false);
    let drain = async move {
        signal().await;
        tracing::info!(
            timeout_secs = timeout.as_secs_f64(),
            "signal received: not accepting connections, finishing the requests in flight"
        );
        ops.start_draining();
        let _ = signalled.send(true);
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(drain);
    let deadline = async move {
        let _ = on_signal.wait_for(|s| *s).await;
        tokio::time::sleep(timeout).await;
    };
    tokio::select! {
        served = server => served?,
        () = deadline => tracing::warn!(
            timeout_secs = timeout.as_secs_f64(),
            "requests still in flight after the shutdown timeout: stopping anyway"
        ),
    }
    Ok(())
}

/// SIGTERM (what Kubernetes and systemd send) or Ctrl-C.
async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
