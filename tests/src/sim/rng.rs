//! Randomness and time of a simulation: one seeded generator and one virtual clock.
//!
//! Nothing in a run reads the real clock or an unseeded source, so the seed alone decides
//! every choice the simulator makes.

use gatehouse_core::Now;

/// SplitMix64, seeded; every random choice of a run comes from one of these.
#[derive(Clone, Debug)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng {
            state: seed ^ 0x5DEE_CE66_D1CE_4E5B,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A value in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    /// True with probability `p` (0.0 to 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }

    /// An index in `0..n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// An index chosen with the given relative weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// An independent generator derived from this one.
    pub fn fork(&mut self) -> SimRng {
        SimRng::new(self.next_u64())
    }
}

/// Wall-clock time at the start of every run (2025-06-15T12:00:00Z): fixed, so that
/// timestamps in objects are the same in every replay. The simulated clients' certificate is
/// issued to be valid around it.
pub const WALL_BASE_MS: i64 = 1_749_988_800_000;

/// The virtual clock: monotonic milliseconds since the start of the run, and a wall clock
/// that moves with it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    mono_ms: u64,
}

impl Clock {
    /// The current virtual time, as the core takes it.
    pub fn now(&self) -> Now {
        Now {
            mono_ms: self.mono_ms,
            wall_ms: WALL_BASE_MS + self.mono_ms as i64,
        }
    }

    /// Monotonic milliseconds since the start of the run.
    pub fn ms(&self) -> u64 {
        self.mono_ms
    }

    /// Moves the clock forward to `t` (never backwards).
    pub fn advance_to(&mut self, t: u64) {
        self.mono_ms = self.mono_ms.max(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_choices() {
        let mut a = SimRng::new(9);
        let mut b = SimRng::new(9);
        for _ in 0..100 {
            assert_eq!(a.below(1000), b.below(1000));
        }
        assert_eq!(a.weighted(&[1, 0, 3]), b.weighted(&[1, 0, 3]));
    }
}
