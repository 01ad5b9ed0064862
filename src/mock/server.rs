//! Sockets and connections of the embedded server.
//!
//! We run our own accept loop (hyper-util's auto HTTP/1 + h2c builder, as `axum::serve` does)
//! instead of `axum::serve` because fault injection needs two things it does not offer:
//! a handler must be able to close its own TCP connection without answering (`drop`, through a
//! per-connection [`ConnControl`]), and shutdown must not wait forever for requests that are
//! hanging on purpose (`hang`): connections get a grace period, then they are aborted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::faults::ConnControl;
use super::{router, MockConfig, MockState};
use crate::error::Error;
use crate::tokenize::Encoding;

/// How long a graceful shutdown waits for in-flight requests before aborting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running server on the current tokio runtime. Dropping it stops the server at once;
/// [`MockServer::shutdown`] lets in-flight requests finish first.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Start a server on an ephemeral loopback port (`127.0.0.1:0`): what `--mock` and tests use.
pub async fn start(config: MockConfig) -> anyhow::Result<MockServer> {
    bind("127.0.0.1:0", config).await
}

/// Start a server on `addr` (`host:port`; port 0 picks a free one).
pub async fn bind(addr: &str, config: MockConfig) -> anyhow::Result<MockServer> {
    // Load the tokenizer tables now rather than inside the first request, so the first answer
    // is as fast as the others (latency tests and benchmarks measure it).
    tokio::task::spawn_blocking(|| Encoding::O200kBase.count("warm up"))
        .await
        .context("loading the tokenizer")?;
    bind_router(addr, router(Arc::new(MockState::new(config)))).await
}

/// Serve another router (`serve --replay`) with the same sockets and shutdown behaviour.
pub async fn bind_router(addr: &str, app: Router) -> anyhow::Result<MockServer> {
    let listener =
        TcpListener::bind(addr).await.map_err(|e| Error::usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().context("reading the listening address")?;
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, stop_rx));
    Ok(MockServer { addr: local, stop, task: Some(task) })
}

impl MockServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL for OpenAI clients: `http://127.0.0.1:PORT/v1`.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL for Anthropic clients (their paths carry `/v1` themselves).
    pub fn anthropic_base_url(&self) -> String {
        self.url()
    }

    /// Stop accepting, let in-flight requests finish (up to [`SHUTDOWN_GRACE`]), then stop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Aborting the accept loop drops its JoinSet, which aborts every connection.
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, app.clone(), stop.clone()));
                }
                // Out of file descriptors and the like: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drained =
        tokio::time::timeout(SHUTDOWN_GRACE, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }
}

async fn serve_connection(stream: TcpStream, app: Router, mut stop: watch::Receiver<bool>) {
    // SSE chunks are small writes that must leave at once.
    let _ = stream.set_nodelay(true);
    let control = ConnControl::default();
    let per_request = control.clone();
    let service = app.map_request(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(per_request.clone());
        req.map(Body::new)
    });
    let builder = Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            // `drop` fault: dropping the connection closes the socket with nothing sent.
            _ = control.killed() => break,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A server on its own thread and runtime, for synchronous callers (CLI tests that run the
/// binary against it). Dropping it stops the server and joins the thread.
#[derive(Debug)]
pub struct ThreadedMock {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Start [`start`]'s server on a new thread; returns once it is listening.
pub fn spawn_thread(config: MockConfig) -> anyhow::Result<ThreadedMock> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("llmkit-mock".into())
        .spawn(move || {
            let runtime =
                match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
            runtime.block_on(async move {
                match start(config).await {
                    Ok(server) => {
                        let _ = ready_tx.send(Ok(server.addr()));
                        let _ = stop_rx.await;
                        // Hard stop: hanging requests must not hold up the caller's Drop.
                        drop(server);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .context("starting the mock server thread")?;
    let addr = ready_rx.recv().context("the mock server thread died while starting")??;
    Ok(ThreadedMock { addr, stop: Some(stop_tx), thread: Some(thread) })
}

impl ThreadedMock {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn anthropic_base_url(&self) -> String {
        self.url()
    }
}

impl Drop for ThreadedMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
