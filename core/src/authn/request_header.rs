//! The authenticating proxy (`--requestheader-*`): a front proxy that presents a client
//! certificate signed by the request-header CA, with a common name among the allowed ones,
//! names the user in headers (`X-Remote-User`, `X-Remote-Group`, `X-Remote-Extra-<key>`).
//! Those headers are trusted from that connection only, and stripped from every request once
//! it is authenticated, so nothing after authentication (or beyond a proxy) sees them.

use std::collections::BTreeMap;

use crate::http::Request;

use super::x509::verify_client_chain;
use super::UserInfo;

/// How the front proxy is recognised and what it sends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHeaderConfig {
    /// DER certificates of `--requestheader-client-ca-file`.
    pub ca_der: Vec<Vec<u8>>,
    /// `--requestheader-allowed-names`: the proxy's common name must be one (any when empty).
    pub allowed_names: Vec<String>,
    /// `--requestheader-username-headers`, as given (matched case-insensitively), in order.
    pub username_headers: Vec<String>,
    /// `--requestheader-uid-headers`, likewise.
    pub uid_headers: Vec<String>,
    /// `--requestheader-group-headers`, likewise.
    pub group_headers: Vec<String>,
    /// `--requestheader-extra-headers-prefix`, likewise.
    pub extra_prefixes: Vec<String>,
}

/// What a connection's certificate says of it as a front proxy, decided at connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyCert {
    /// Not a front proxy (no certificate, or one the request-header CA did not sign).
    None,
    /// The front proxy: its headers name the user.
    Trusted,
    /// Signed by the request-header CA but not an allowed name: an authentication error.
    NotAllowed(String),
}

impl RequestHeaderConfig {
    /// Judges a connection's certificate chain at `now` (Unix seconds).
    pub fn judge(&self, chain: &[Vec<u8>], now: i64) -> ProxyCert {
        if chain.is_empty() || self.ca_der.is_empty() {
            return ProxyCert::None;
        }
        match verify_client_chain(chain, &self.ca_der, now) {
            Ok(Some(id)) => {
                if self.allowed_names.is_empty() || self.allowed_names.contains(&id.user) {
                    ProxyCert::Trusted
                } else {
                    ProxyCert::NotAllowed(format!(
                        "x509: subject with cn={} is not in the allowed list",
                        id.user
                    ))
                }
            }
            // A certificate with no common name is allowed only when any name is.
            Ok(None) if self.allowed_names.is_empty() => ProxyCert::Trusted,
            Ok(None) => ProxyCert::NotAllowed("x509: subject with cn= is not in the allowed list".into()),
            Err(_) => ProxyCert::None,
        }
    }

    /// The user the proxy's headers name: the first non-empty user name header; `None`
    /// when there is none.
    pub fn user(&self, request: &Request) -> Option<UserInfo> {
        let first = |names: &[String]| -> Option<String> {
            for n in names {
                let n = n.to_ascii_lowercase();
                let found = request.headers.iter().find(|(h, v)| *h == n && !v.is_empty());
                if let Some((_, v)) = found {
                    return Some(v.clone());
                }
            }
            None
        };
        let name = first(&self.username_headers)?;
        let uid = first(&self.uid_headers).unwrap_or_default();
        let mut groups = Vec::new();
        for h in &self.group_headers {
            let h = h.to_ascii_lowercase();
            groups.extend(
                request
                    .header_all(&h)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
            );
        }
        let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let prefixes: Vec<String> = self
            .extra_prefixes
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect();
        for (header, value) in &request.headers {
            for prefix in &prefixes {
                if let Some(key) = header.strip_prefix(prefix.as_str()) {
                    extra
                        .entry(super::unescape_extra_key(key))
                        .or_default()
                        .push(value.clone());
                }
            }
        }
        Some(UserInfo {
            name,
            uid,
            groups,
            extra,
        })
    }

    /// Whether `header` (lower-cased) is one the proxy speaks, to strip after authentication.
    pub fn is_proxy_header(&self, header: &str) -> bool {
        let named = |hs: &[String]| hs.iter().any(|h| h.eq_ignore_ascii_case(header));
        named(&self.username_headers)
            || named(&self.uid_headers)
            || named(&self.group_headers)
            || self.extra_prefixes.iter().any(|p| {
                header.len() >= p.len() && header.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RequestHeaderConfig {
        RequestHeaderConfig {
            username_headers: vec!["X-Remote-User".into()],
            uid_headers: vec!["X-Remote-Uid".into()],
            group_headers: vec!["X-Remote-Group".into()],
            extra_prefixes: vec!["X-Remote-Extra-".into()],
            ..RequestHeaderConfig::default()
        }
    }

    fn request(headers: &[(&str, &str)]) -> Request {
        Request::get_with("/", headers)
    }

    #[test]
    fn headers_name_the_user() {
        let u = config()
            .user(&request(&[
                ("x-remote-user", "alice"),
                ("x-remote-uid", "u1"),
                ("x-remote-group", "devs"),
                ("x-remote-group", "ops"),
                ("x-remote-extra-scopes", "a"),
                ("x-remote-extra-acme.com%2fproject", "p"),
            ]))
            .unwrap();
        assert_eq!((u.name.as_str(), u.uid.as_str()), ("alice", "u1"));
        assert_eq!(u.groups, vec!["devs", "ops"]);
        assert_eq!(u.extra["scopes"], vec!["a"]);
        assert_eq!(u.extra["acme.com/project"], vec!["p"]);
        assert!(config().user(&request(&[("x-remote-user", "")])).is_none());
        assert!(config().user(&request(&[("x-remote-group", "devs")])).is_none());
    }

    #[test]
    fn proxy_headers_are_known_for_stripping() {
        let c = config();
        for h in [
            "x-remote-user",
            "x-remote-group",
            "x-remote-extra-anything",
            "x-remote-uid",
        ] {
            assert!(c.is_proxy_header(h), "{h}");
        }
        assert!(!c.is_proxy_header("x-remote-other"));
    }
}
