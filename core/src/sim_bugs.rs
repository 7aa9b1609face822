//! Planted defects, for showing that the simulator finds bugs of the kinds it is built for.
//!
//! Compiled only with the `sim-bugs` feature. Each defect sits behind
//! `#[cfg(feature = "sim-bugs")]` at its site and is active only while [`PLANTED`] holds its
//! number, so a build with the feature behaves exactly as one without until a test selects a
//! defect.

use std::sync::atomic::{AtomicU8, Ordering};

/// The active defect: 0 for none, else one of the constants below.
pub static PLANTED: AtomicU8 = AtomicU8::new(NONE);

/// No defect.
pub const NONE: u8 = 0;
/// (a) A watcher loses the last event of a batch of several (a page boundary of the storage
/// watch): `server/watchers.rs`, `fan_out`.
pub const WATCH_EVENT_DROPPED: u8 = 1;
/// (b) An update carrying a stale resourceVersion is accepted: `registry/rest/update.rs`,
/// `resume_update`.
pub const STALE_UPDATE_ACCEPTED: u8 = 2;
/// (c) A continue token resumes one key too far: `registry/rest/read.rs`, `resume_list`.
pub const CONTINUE_SKIPS_KEY: u8 = 3;
/// (d) A create is acknowledged although storage failed or timed out:
/// `registry/rest/create.rs`, `resume_create`.
pub const ACK_BEFORE_STORED: u8 = 4;
/// (e) A storage answer is handed to another request waiting on storage, which gets this
/// one's in turn: `server/mod.rs`, `handle_effect`.
pub const EFFECT_TO_WRONG_REQUEST: u8 = 5;
/// (f) An update retried after a conflict skips mutating admission (and so its webhook
/// call) on the retry, writing over an object admission never saw:
/// `registry/rest/update.rs`, `resume_update`.
pub const RETRY_SKIPS_ADMISSION: u8 = 6;

/// Whether `bug` is the active defect.
pub fn active(bug: u8) -> bool {
    PLANTED.load(Ordering::Relaxed) == bug
}

/// Selects the active defect (`NONE` to switch them all off).
pub fn plant(bug: u8) {
    PLANTED.store(bug, Ordering::SeqCst);
}
