//! IP address and CIDR checks with the leniency of Kubernetes'
//! `ParseIPSloppy` (IPv4 octets may carry leading zeros).

use core::net::Ipv6Addr;

/// The detail Kubernetes gives for a malformed IP address.
pub const IP_ERROR: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
/// The detail Kubernetes gives for a malformed CIDR.
pub const CIDR_ERROR: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// A parsed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ip {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6(Ipv6Addr),
}

impl Ip {
    /// True for IPv6 addresses that are not IPv4-mapped.
    pub fn is_ipv6(&self) -> bool {
        matches!(self, Ip::V6(a) if a.to_ipv4_mapped().is_none())
    }

    fn as_v4(&self) -> Option<[u8; 4]> {
        match self {
            Ip::V4(o) => Some(*o),
            Ip::V6(a) => a.to_ipv4_mapped().map(|v| v.octets()),
        }
    }

    /// 0.0.0.0 or ::.
    pub fn is_unspecified(&self) -> bool {
        match self.as_v4() {
            Some(o) => o == [0, 0, 0, 0],
            None => matches!(self, Ip::V6(a) if a.is_unspecified()),
        }
    }

    /// 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        match self.as_v4() {
            Some(o) => o[0] == 127,
            None => matches!(self, Ip::V6(a) if a.is_loopback()),
        }
    }

    /// 169.254.0.0/16 or fe80::/10.
    pub fn is_link_local_unicast(&self) -> bool {
        match self.as_v4() {
            Some(o) => o[0] == 169 && o[1] == 254,
            None => matches!(self, Ip::V6(a) if (a.segments()[0] & 0xffc0) == 0xfe80),
        }
    }

    /// 224.0.0.0/4 or ff00::/8.
    pub fn is_multicast(&self) -> bool {
        match self.as_v4() {
            Some(o) => (224..240).contains(&o[0]),
            None => matches!(self, Ip::V6(a) if a.is_multicast()),
        }
    }

    /// Go's `IP.IsGlobalUnicast`: private ranges count; loopback, link-local, multicast,
    /// unspecified and the IPv4 broadcast address do not.
    pub fn is_global_unicast(&self) -> bool {
        let broadcast = self.as_v4() == Some([255, 255, 255, 255]);
        !(self.is_loopback()
            || self.is_multicast()
            || self.is_unspecified()
            || self.is_link_local_unicast()
            || broadcast)
    }

    /// 224.0.0.0/24 or ff02::/16.
    pub fn is_link_local_multicast(&self) -> bool {
        match self.as_v4() {
            Some(o) => o[0] == 224 && o[1] == 0 && o[2] == 0,
            None => matches!(self, Ip::V6(a) if (a.segments()[0] & 0xff0f) == 0xff02),
        }
    }
}

fn parse_v4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: u16 = part.parse().ok()?;
        *out.get_mut(n)? = u8::try_from(v).ok()?;
        n += 1;
    }
    (n == 4).then_some(out)
}

/// Parse an IP address the way Kubernetes' `ParseIPSloppy` does.
pub fn parse_ip(s: &str) -> Option<Ip> {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().ok().map(Ip::V6)
    } else {
        parse_v4(s).map(Ip::V4)
    }
}

/// Parse `addr/prefix`, returning the address and prefix length.
pub fn parse_cidr(s: &str) -> Option<(Ip, u8)> {
    let (addr, bits) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    if bits.is_empty() || bits.len() > 3 || !bits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u8 = bits.parse().ok()?;
    let max = if addr.contains(':') { 128 } else { 32 };
    (n <= max).then_some((ip, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert!(parse_ip("10.0.0.1").is_some());
        assert!(parse_ip("010.000.0.1").is_some());
        assert!(parse_ip("256.0.0.1").is_none());
        assert!(parse_ip("1.2.3").is_none());
        assert!(parse_ip("2001:db8::1").is_some_and(|i| i.is_ipv6()));
        assert!(parse_ip("::ffff:1.2.3.4").is_some_and(|i| !i.is_ipv6()));
        assert!(parse_ip("127.0.0.1").is_some_and(|i| i.is_loopback()));
        assert!(parse_ip("169.254.1.1").is_some_and(|i| i.is_link_local_unicast()));
        assert!(parse_ip("0.0.0.0").is_some_and(|i| i.is_unspecified()));
        assert!(parse_ip("nope").is_none());
    }

    #[test]
    fn cidrs() {
        assert!(parse_cidr("10.0.0.0/24").is_some());
        assert!(parse_cidr("2001:db8::/64").is_some());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("10.0.0.0").is_none());
        assert!(parse_cidr("10.0.0.0/").is_none());
    }
}
