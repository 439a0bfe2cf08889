//! The yardstick of the read benchmark (BENCHMARKS.md, "HTTP server"): a bare axum server
//! answering every GET with the same bytes — what `athlos serve` could do at best for a read
//! whose answer is known, on the same machine and runtime, without a store, metrics,
//! middleware or a version check.
//!
//! `bare_bytes FILE [ADDRESS]` serves FILE's bytes as `application/json` (default address
//! `127.0.0.1:0`) and prints `bare listening on http://ADDRESS`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Router;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: bare_bytes FILE [ADDRESS]")?;
    let address: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:0".to_owned())
        .parse()
        .map_err(|e| format!("bad address: {e}"))?;
    let body = Bytes::from(std::fs::read(&file).map_err(|e| format!("cannot read {file}: {e}"))?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let app = Router::new().fallback(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body).into_response() }
        });
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("bare listening on http://{local}");
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
