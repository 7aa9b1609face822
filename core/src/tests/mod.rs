//! Scenario tests of the whole server state machine, driven with a virtual clock and an
//! in-memory store.

mod admission_webhook;
mod apply;
mod authentication;
mod authorization;
mod binding;
mod connections;
mod delete_options;
mod deletion;
mod eviction;
mod harness;
mod kubelet;
mod metadata_only;
mod pipeline;
mod quota;
mod reads;
mod resources;
mod root_ca;
mod service_account_admission;
mod service_accounts;
mod services;
mod subresources;
mod validating_admission_policy;
mod versions;
mod watches;
