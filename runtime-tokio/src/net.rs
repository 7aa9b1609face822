//! The tokio runtime's tasks, sockets, name resolution and timers, lent to the driver for
//! outbound calls.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use gatehouse_host::net::{Net, Pending, Task};
use tokio::io::ReadBuf;
use tokio::net::TcpStream;

/// Outbound calls on the tokio runtime the server runs on.
#[derive(Clone, Debug)]
pub struct TokioNet {
    handle: tokio::runtime::Handle,
}

impl TokioNet {
    /// The runtime of the calling task.
    pub fn current() -> Self {
        TokioNet {
            handle: tokio::runtime::Handle::current(),
        }
    }
}

impl Net for TokioNet {
    type Tcp = Compat;

    fn spawn(&self, task: Task) {
        drop(self.handle.spawn(task));
    }

    fn connect(&self, addr: SocketAddr) -> Pending<io::Result<Compat>> {
        Box::pin(async move {
            let tcp = TcpStream::connect(addr).await?;
            let _ = tcp.set_nodelay(true);
            Ok(Compat(tcp))
        })
    }

    fn resolve(&self, host: String, port: u16) -> Pending<io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), port)).await?.collect()) })
    }

    fn sleep(&self, duration: Duration) -> Pending<()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A tokio TCP stream seen through the `futures-io` traits the host's outbound code reads
/// and writes through.
#[derive(Debug)]
pub struct Compat(TcpStream);

impl futures_lite::io::AsyncRead for Compat {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        match tokio::io::AsyncRead::poll_read(Pin::new(&mut self.get_mut().0), cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_lite::io::AsyncWrite for Compat {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.get_mut().0), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.get_mut().0), cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.get_mut().0), cx)
    }
}
