//! The smol runtime's tasks, sockets, name resolution and timers, lent to the driver for
//! outbound calls.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_host::net::{Net, Pending, Task};
use smol::net::TcpStream;
use smol::Executor;

/// Outbound calls on the smol executor the server runs on.
#[derive(Clone, Debug)]
pub struct SmolNet {
    ex: Arc<Executor<'static>>,
}

impl SmolNet {
    /// Outbound calls as tasks of `ex`.
    pub fn new(ex: Arc<Executor<'static>>) -> Self {
        SmolNet { ex }
    }
}

impl Net for SmolNet {
    type Tcp = TcpStream;

    fn spawn(&self, task: Task) {
        self.ex.spawn(task).detach();
    }

    fn connect(&self, addr: SocketAddr) -> Pending<io::Result<TcpStream>> {
        Box::pin(async move {
            let tcp = TcpStream::connect(addr).await?;
            let _ = tcp.set_nodelay(true);
            Ok(tcp)
        })
    }

    fn resolve(&self, host: String, port: u16) -> Pending<io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { smol::net::resolve((host.as_str(), port)).await })
    }

    fn sleep(&self, duration: Duration) -> Pending<()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }
}
