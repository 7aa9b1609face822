//! The Pod Security Standards' levels and policy versions, and a namespace's policy: the
//! level and version each mode (enforce, audit, warn) evaluates pods at.

use std::cmp::Ordering;
use std::fmt;

/// A Pod Security Standards level, from the most to the least permissive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// Unrestricted.
    Privileged,
    /// Known privilege escalations prevented.
    Baseline,
    /// Hardening best practices.
    Restricted,
}

/// What an unknown level is told, as kube words it.
pub const LEVEL_ERROR: &str = "must be one of privileged, baseline, restricted";

/// What an unknown version is told, as kube words it.
pub const VERSION_ERROR: &str = "must be \"latest\" or \"v1.x\"";

impl Level {
    /// Parses a level; an unknown one is an error, and reads as `restricted` (the most
    /// restrictive) where the caller keeps the value regardless.
    pub fn parse(s: &str) -> Result<Level, &'static str> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(LEVEL_ERROR),
        }
    }

    /// The level as labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Level::Privileged => 0,
            Level::Baseline => 1,
            Level::Restricted => 2,
        }
    }

    /// Orders levels from the most permissive to the most restrictive.
    pub fn compare(self, other: Level) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// A policy version: `v1.<minor>` or `latest` (newer than every numbered version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `v1.<minor>`.
    Minor(u64),
    /// `latest`.
    Latest,
}

impl Version {
    /// Parses `latest` or `v1.<minor>` (no leading zeros); anything else is an error and
    /// reads as `latest`.
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let Some(minor) = s.strip_prefix("v1.") else {
            return Err(VERSION_ERROR);
        };
        let digits_only = !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit());
        let leading_zero = minor.len() > 1 && minor.starts_with('0');
        if !digits_only || leading_zero {
            return Err(VERSION_ERROR);
        }
        // kube reads the minor as a 64-bit signed integer.
        match minor.parse::<i64>() {
            Ok(n) => Ok(Version::Minor(n.unsigned_abs())),
            Err(_) => Err(VERSION_ERROR),
        }
    }

    /// Whether this version is older than `other` (`latest` is never older).
    pub fn older(self, other: Version) -> bool {
        match (self, other) {
            (Version::Latest, _) => false,
            (Version::Minor(_), Version::Latest) => true,
            (Version::Minor(a), Version::Minor(b)) => a < b,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

/// A level at a version, e.g. `restricted:v1.32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    /// The level.
    pub level: Level,
    /// The version of its checks.
    pub version: Version,
}

impl LevelVersion {
    /// `privileged:latest`, the default of every mode.
    pub const PRIVILEGED: LevelVersion = LevelVersion {
        level: Level::Privileged,
        version: Version::Latest,
    };

    /// Whether both allow the same pods: equal, or both privileged.
    pub fn equivalent(&self, other: &LevelVersion) -> bool {
        (self.level == Level::Privileged && other.level == Level::Privileged) || self == other
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level.as_str(), self.version)
    }
}

/// The level and version of each mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Pods that violate it are refused.
    pub enforce: LevelVersion,
    /// Violations are recorded in the audit log.
    pub audit: LevelVersion,
    /// Violations are returned as warnings.
    pub warn: LevelVersion,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enforce: LevelVersion::PRIVILEGED,
            audit: LevelVersion::PRIVILEGED,
            warn: LevelVersion::PRIVILEGED,
        }
    }
}

impl Policy {
    /// Whether no mode checks anything.
    pub fn fully_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == Level::Privileged)
    }

    /// Whether every mode is equivalent to `other`'s.
    pub fn equivalent(&self, other: &Policy) -> bool {
        self.enforce.equivalent(&other.enforce)
            && self.audit.equivalent(&other.audit)
            && self.warn.equivalent(&other.warn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_kubes() {
        assert_eq!(Version::parse("latest"), Ok(Version::Latest));
        assert_eq!(Version::parse("v1.0"), Ok(Version::Minor(0)));
        assert_eq!(Version::parse("v1.32"), Ok(Version::Minor(32)));
        assert_eq!(Version::parse("v1.999"), Ok(Version::Minor(999)));
        for bad in [
            "",
            "v1",
            "v1.",
            "v1.01",
            "v2.0",
            "1.20",
            "v1.x",
            "v1.-1",
            "Latest",
            "v1.99999999999999999999",
        ] {
            assert_eq!(Version::parse(bad), Err(VERSION_ERROR), "{bad}");
        }
        assert!(Version::Minor(3).older(Version::Minor(10)));
        assert!(Version::Minor(999).older(Version::Latest));
        assert!(!Version::Latest.older(Version::Latest));
        assert_eq!(Version::Minor(7).to_string(), "v1.7");
    }

    #[test]
    fn levels_parse_and_order() {
        assert_eq!(Level::parse("baseline"), Ok(Level::Baseline));
        assert_eq!(Level::parse("Baseline"), Err(LEVEL_ERROR));
        assert_eq!(Level::Privileged.compare(Level::Restricted), Ordering::Less);
        assert_eq!(Level::Restricted.compare(Level::Baseline), Ordering::Greater);
        let lv = LevelVersion {
            level: Level::Restricted,
            version: Version::Latest,
        };
        assert_eq!(lv.to_string(), "restricted:latest");
    }
}
