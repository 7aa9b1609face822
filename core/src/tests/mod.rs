//! Scenario tests of the whole server state machine, driven with a virtual clock and an
//! in-memory store.

mod apply;
mod binding;
mod connections;
mod deletion;
mod eviction;
mod harness;
mod kubelet;
mod reads;
mod services;
mod subresources;
mod versions;
mod watches;
