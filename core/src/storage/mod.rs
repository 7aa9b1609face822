//! The storage contract, modelled on etcd v3, and the in-memory MVCC store that implements it.
//!
//! Keys and values are bytes. One global revision grows by one with each write transaction;
//! every key carries its create and modify revisions. `resourceVersion` is the modify revision.
//! The core never calls a store: it emits [`StorageRequest`]s and receives
//! [`StorageResponse`]s, so etcd, the embedded store and the simulator all sit behind the same
//! data types.

mod mem;
mod transformer;
mod types;
mod watches;

pub use mem::{MemStore, WalRecord, WalWrite};
pub use transformer::Transformer;
pub use types::*;
pub use watches::WatchSet;
