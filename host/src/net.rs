//! What a runtime lends the driver for calls to the outside world: tasks, TCP connections,
//! name resolution and timers. Outbound calls (kubelet dials, relays) are written once here
//! in the host as async code over these, and run as tasks on whichever runtime serves: no
//! thread per call, no blocking socket.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use futures_lite::io::{AsyncRead, AsyncWrite};

/// A boxed future the runtime runs.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A boxed future of one value.
pub type Pending<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A runtime's networking and timers.
pub trait Net: Clone + Send + Sync + 'static {
    /// A connected TCP stream.
    type Tcp: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Runs `task` to its end on the runtime, detached.
    fn spawn(&self, task: Task);

    /// Opens a TCP connection to `addr`.
    fn connect(&self, addr: SocketAddr) -> Pending<io::Result<Self::Tcp>>;

    /// The addresses of `host:port` (an address literal resolves to itself).
    fn resolve(&self, host: String, port: u16) -> Pending<io::Result<Vec<SocketAddr>>>;

    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pending<()>;
}

/// `future`'s value, or `None` when `limit` passes first.
pub async fn within<N: Net, T>(net: &N, limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    let expire = net.sleep(limit);
    futures_lite::future::or(async { Some(future.await) }, async {
        expire.await;
        None
    })
    .await
}
