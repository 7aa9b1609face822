//! The deterministic simulator of Gatehouse.
//!
//! Several Gatehouse [`Server`](gatehouse_core::Server) replicas share one simulated
//! etcd-shaped store and serve many simulated clients, all on one thread and all driven by
//! one seed:
//!
//! * [`rng`]: the seeded generator and the virtual clock ([`gatehouse_core::Now`]);
//! * [`network`]: connections with latency, reordering between connections (never within
//!   one), drops and half-closes;
//! * [`store`]: [`MemStore`](gatehouse_core::storage::MemStore) behind injected faults
//!   (latency, failures, timeouts including applied writes whose answer is lost, broken watch
//!   streams, compaction, restarts), plus the ground truth;
//! * [`etcd`]: a simulated etcd cluster in front of that store (endpoints that refuse or hang,
//!   connections that reset, gRPC statuses, answers lost after apply, leader loss, watch
//!   streams with progress notifications), for runs where each replica reaches the store
//!   through the etcd backend's own session ([`gatehouse_host::etcd::session`]);
//! * [`webhook`]: an admission webhook the replicas call for ConfigMap writes, answered with
//!   the seed's latency, refusals, timeouts and wrong answers;
//! * [`client`]: the workload, speaking HTTP/1.1 bytes ([`http`]);
//! * [`checkers`]: the invariants checked after every run;
//! * [`trace`]: one line per step, hashed, so that a seed's run can be compared byte for byte;
//! * [`harness`]: the event loop that ties them together, in phases; it also crashes and
//!   restarts replicas.
//!
//! The harness follows the core's run-loop contract: one input at a time, every output
//! executed in order, the timer the core asks for, and a replica's storage watch events
//! delivered no later than the answer to any write that replica issued (other replicas may
//! see them later: watch lag).
//!
//! Scenarios that exposed core bugs (now fixed) are marked `fixed bug:` and run by default;
//! `Options::known_bugs` (`SIM_KNOWN_BUGS`, a list of the names in [`harness::known`], or
//! `none`) narrows them.
//!
//! A run is bounded in events and in virtual time. A failing run names its seed and the one
//! command that replays it:
//!
//! ```text
//! SIM_SEED=1234 cargo test -p gatehouse-tests --test simulation -- replay --nocapture
//! ```

pub mod checkers;
pub mod client;
pub mod etcd;
pub mod harness;
pub mod http;
pub mod network;
pub mod rng;
pub mod store;
pub mod trace;
pub mod webhook;

pub use harness::{planted, replay_command, run, Options, Report};

/// Runs `seed` and panics with the seed, the violations, the end of the trace and the replay
/// command when an invariant broke (or when the core panicked).
pub fn check_seed(opts: &Options) -> Report {
    let seed = opts.seed;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(opts)));
    match result {
        Ok(report) if report.passed() => report,
        Ok(report) => panic!("{report}"),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "simulation seed {seed} panicked: {msg}\nreplay it with:\n  {}",
                replay_command(seed, planted(), opts.known_bugs)
            )
        }
    }
}
