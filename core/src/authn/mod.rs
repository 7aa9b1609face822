//! Authentication: who is asking. A union of authenticators; the first that recognises the
//! request wins, and anonymous access applies only when none did.

pub mod bootstrap;
pub mod jwt;
pub mod keys;
pub mod oidc;
pub mod request_header;
pub mod serviceaccount;
pub mod token;
pub mod token_file;
pub mod webhook;
pub mod x509;

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// The user extra naming the credential a request was authenticated with (kube 1.32 sets it
/// for client certificates and service-account tokens).
pub const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";

/// The authenticated user, as kube's `user.Info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// User name.
    pub name: String,
    /// UID, when the authenticator knows one.
    pub uid: String,
    /// Groups, including the `system:authenticated` / `system:unauthenticated` virtual groups.
    pub groups: Vec<String>,
    /// Extra attributes (`authentication.kubernetes.io/credential-id`, ...).
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// The anonymous user.
    pub fn anonymous() -> Self {
        UserInfo {
            name: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
            ..UserInfo::default()
        }
    }

    /// The server's own identity for the requests it makes itself (start-up objects,
    /// namespace cleanup), as kube-apiserver's loopback client.
    pub fn apiserver() -> Self {
        UserInfo {
            name: "system:apiserver".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
            ..UserInfo::default()
        }
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// The `userInfo` object of reviews and audit events.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"username": self.name, "groups": self.groups});
        if !self.uid.is_empty() {
            v["uid"] = json!(self.uid);
        }
        if !self.extra.is_empty() {
            v["extra"] = json!(self.extra);
        }
        v
    }
}

/// One authenticator of the union beyond client certificates and anonymous access (bearer
/// tokens, an authenticating proxy, a token webhook, OIDC).
pub trait Authenticator: Send + Sync {
    /// Its name, for logs.
    fn name(&self) -> &'static str;

    /// The user `request` proves to be; `Ok(None)` when it presents nothing this
    /// authenticator reads; an error when what it presents is refused. Now, or after an
    /// effect (a TokenReview call, a JWKS fetch).
    fn authenticate(
        &self,
        request: &crate::http::Request,
        cx: &crate::server::effect::Lookups<'_>,
    ) -> crate::server::Flow<Result<Option<UserInfo>, crate::api::ApiError>>;
}

/// The identity a connection's client certificate established, decided once per connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerCert {
    /// No client certificate was presented.
    None,
    /// A certificate chaining to the client CA, valid now.
    Valid(UserInfo),
    /// A certificate that does not verify (wrong CA, expired, malformed).
    Invalid(String),
}

impl UserInfo {
    /// The user with `system:authenticated` among its groups, as kube's authenticated-group
    /// adder leaves every user the union establishes (unless it is anonymous, or already in
    /// either virtual group).
    pub fn authenticated(mut self) -> Self {
        let virtual_group = self
            .groups
            .iter()
            .any(|g| g == "system:authenticated" || g == "system:unauthenticated");
        if self.name != "system:anonymous" && !virtual_group {
            self.groups.push("system:authenticated".into());
        }
        self
    }
}

/// A user-extra key from a header name (impersonation's `Impersonate-Extra-`, the front
/// proxy's `X-Remote-Extra-`): percent-decoded, since header names cannot carry every
/// character, as kube reads it (header names arrive lower-cased); a key that does not decode
/// is kept as sent.
pub fn unescape_extra_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => return key.to_string(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| key.to_string())
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only (as Go's
/// `subtle.ConstantTimeCompare`), for comparing secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Builds the user of a verified client certificate: CN is the name, each O a group.
pub fn user_from_cert(common_name: &str, organizations: &[String]) -> UserInfo {
    let mut groups: Vec<String> = organizations.to_vec();
    groups.push("system:authenticated".into());
    UserInfo {
        name: common_name.to_string(),
        groups,
        ..UserInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_percent_decoded_and_bad_escapes_keep_the_key() {
        assert_eq!(unescape_extra_key("a%2Fb"), "a/b");
        assert_eq!(unescape_extra_key("a%41"), "aA");
        assert_eq!(unescape_extra_key("a%zzb"), "a%zzb");
        assert_eq!(unescape_extra_key("a%"), "a%");
    }
}
