//! The trace of a run: one line per step, hashed as it is written.
//!
//! The hash covers every line and every byte that crossed the simulated network, so two runs
//! of one seed that hash alike took the same steps and moved the same bytes. The last lines are
//! kept for failure reports; with `SIM_TRACE=<file>` the whole trace is written out as well.

use std::collections::VecDeque;
use std::fmt::Write as _;

/// How many recent lines a failure report shows.
pub const TAIL_LINES: usize = 120;

/// FNV-1a, 64 bits: small and stable across toolchains and platforms.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The trace of one run.
#[derive(Debug, Default)]
pub struct Trace {
    hash: Fnv,
    lines: u64,
    tail: VecDeque<String>,
    full: Option<Vec<String>>,
}

impl Trace {
    /// A trace that keeps every line when `keep_all` (for `SIM_TRACE`).
    pub fn new(keep_all: bool) -> Self {
        Trace {
            full: keep_all.then(Vec::new),
            ..Default::default()
        }
    }

    /// Records one step at virtual time `t`.
    pub fn line(&mut self, t: u64, text: &str) {
        let mut s = String::with_capacity(text.len() + 12);
        let _ = write!(s, "{t:>8} {text}");
        self.hash.write(s.as_bytes());
        self.hash.write(b"\n");
        self.lines += 1;
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        if let Some(full) = &mut self.full {
            full.push(s.clone());
        }
        self.tail.push_back(s);
    }

    /// Hashes bytes without keeping them (payloads of the network).
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.hash.write(&(bytes.len() as u64).to_le_bytes());
        self.hash.write(bytes);
    }

    /// The hash of everything recorded.
    pub fn hash(&self) -> u64 {
        self.hash.finish()
    }

    /// How many lines were recorded.
    pub fn len(&self) -> u64 {
        self.lines
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The last lines, one per line.
    pub fn tail(&self) -> String {
        let mut s = String::new();
        for l in &self.tail {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    /// Every line, when the trace keeps them.
    pub fn full(&self) -> Option<&[String]> {
        self.full.as_deref()
    }
}

/// A short, printable preview of bytes for trace lines.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > max {
        let _ = write!(s, "...(+{})", bytes.len() - max);
    }
    s
}
