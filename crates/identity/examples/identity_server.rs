//! Serves the built-in identity alone, for trying clients against it:
//! `cargo run -p neutrino-identity --example identity_server -- DATA_DIR [ADDR]`
//! (ADDR defaults to 127.0.0.1:5000). Then `source DATA_DIR/openrc`. Its signing key lives in
//! memory only: tokens end with the process.

use std::sync::Arc;

use neutrino_identity::{Identity, IdentityConfig, SigningKeys};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data_dir = args
        .next()
        .ok_or("usage: identity_server DATA_DIR [ADDR]")?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5000".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let identity = Arc::new(Identity::open(
        &IdentityConfig::default(),
        std::path::Path::new(&data_dir),
        &url,
        SigningKeys::in_memory(),
    )?);
    println!("identity at {}", identity.auth_url());
    axum::serve(listener, identity.router()).await?;
    Ok(())
}
