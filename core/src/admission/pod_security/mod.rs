//! kube's `PodSecurity` admission plugin: the Pod Security Standards (privileged,
//! baseline, restricted) at every policy version of kube v1.32, selected per namespace by
//! its `pod-security.kubernetes.io/*` labels over the configured defaults.

pub mod checks;
pub mod config;
pub mod labels;
pub mod level;
pub mod plugin;

pub use plugin::{build, PodSecurity};
