//! The authorization modes of `--authorization-mode`, and the authorizers that need nothing
//! from outside: AlwaysAllow, AlwaysDeny and RBAC.

use std::fmt;
use std::sync::Arc;

use super::rbac::PolicyRule;
use super::{Authorizer, OwnedAttributes, Rules, Verdict};
use crate::authn::UserInfo;
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

/// One mode of `--authorization-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `AlwaysAllow`.
    AlwaysAllow,
    /// `AlwaysDeny`.
    AlwaysDeny,
    /// `Node`.
    Node,
    /// `RBAC`.
    Rbac,
    /// `Webhook`.
    Webhook,
    /// `ABAC`.
    Abac,
}

impl Mode {
    /// Every mode, as kube spells them.
    pub const ALL: [Mode; 6] = [
        Mode::AlwaysAllow,
        Mode::AlwaysDeny,
        Mode::Abac,
        Mode::Webhook,
        Mode::Rbac,
        Mode::Node,
    ];

    /// kube's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::AlwaysAllow => "AlwaysAllow",
            Mode::AlwaysDeny => "AlwaysDeny",
            Mode::Node => "Node",
            Mode::Rbac => "RBAC",
            Mode::Webhook => "Webhook",
            Mode::Abac => "ABAC",
        }
    }

    /// The list of `--authorization-mode` (comma-separated, in order), refused as kube
    /// refuses it: an unknown mode, or one given twice.
    pub fn parse_list(flag: &str) -> Result<Vec<Mode>, String> {
        let names: Vec<&str> = flag.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
        let mut out = Vec::new();
        for name in &names {
            let Some(mode) = Mode::ALL.into_iter().find(|m| m.as_str() == *name) else {
                return Err(format!(
                    "authorization-mode {} is not a valid mode",
                    go_quote(name)
                ));
            };
            if out.contains(&mode) {
                let all: Vec<String> = names.iter().map(|n| go_quote(n)).collect();
                return Err(format!(
                    "authorization-mode [{}] has mode specified more than once",
                    all.join(" ")
                ));
            }
            out.push(mode);
        }
        if out.is_empty() {
            return Err("at least one authorization-mode must be passed".into());
        }
        Ok(out)
    }

    /// The authorizer of a mode that needs nothing from outside; `None` for ABAC, which
    /// Gatehouse does not have. A Webhook's stands in until the runtime sets the configured
    /// one, and fails every decision meanwhile, so a missing webhook never lets anything by.
    pub fn authorizer(self) -> Option<Arc<dyn Authorizer>> {
        match self {
            Mode::AlwaysAllow => Some(Arc::new(AlwaysAllow)),
            Mode::AlwaysDeny => Some(Arc::new(AlwaysDeny)),
            Mode::Rbac => Some(Arc::new(Rbac)),
            Mode::Node => Some(Arc::new(super::node::NodeAuthorizer::new())),
            Mode::Webhook => Some(Arc::new(UnconfiguredWebhook)),
            Mode::Abac => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `AlwaysAllow`: every request is allowed.
#[derive(Debug)]
pub struct AlwaysAllow;

impl Authorizer for AlwaysAllow {
    fn name(&self) -> &'static str {
        "AlwaysAllow"
    }

    fn authorize(&self, _: &UserInfo, _: &OwnedAttributes, _: &Lookups<'_>) -> Flow<Verdict> {
        Flow::Ready(Verdict::Allow(String::new()))
    }

    fn rules_for(&self, _: &UserInfo, _: &str, _: &Lookups<'_>) -> Rules {
        let all = || vec!["*".to_string()];
        Rules {
            rules: vec![
                PolicyRule {
                    verbs: all(),
                    api_groups: all(),
                    resources: all(),
                    ..PolicyRule::default()
                },
                PolicyRule {
                    verbs: all(),
                    non_resource_urls: all(),
                    ..PolicyRule::default()
                },
            ],
            ..Rules::default()
        }
    }
}

/// `AlwaysDeny`: no opinion on anything, with kube's reason, so nothing passes unless an
/// earlier authorizer allowed it.
#[derive(Debug)]
pub struct AlwaysDeny;

impl Authorizer for AlwaysDeny {
    fn name(&self) -> &'static str {
        "AlwaysDeny"
    }

    fn authorize(&self, _: &UserInfo, _: &OwnedAttributes, _: &Lookups<'_>) -> Flow<Verdict> {
        Flow::Ready(Verdict::NoOpinion("Everything is forbidden.".into()))
    }

    fn rules_for(&self, _: &UserInfo, _: &str, _: &Lookups<'_>) -> Rules {
        Rules::default()
    }
}

/// The Webhook mode before its webhook is configured: every decision fails.
#[derive(Debug)]
pub struct UnconfiguredWebhook;

impl Authorizer for UnconfiguredWebhook {
    fn name(&self) -> &'static str {
        "Webhook"
    }

    fn authorize(&self, _: &UserInfo, _: &OwnedAttributes, _: &Lookups<'_>) -> Flow<Verdict> {
        Flow::Ready(Verdict::Error {
            reason: String::new(),
            error: "no authorization webhook is configured".into(),
            denied: true,
        })
    }
}

/// `RBAC`: the roles and bindings this replica's watch caches hold.
#[derive(Debug)]
pub struct Rbac;

impl Authorizer for Rbac {
    fn name(&self) -> &'static str {
        "RBAC"
    }

    fn authorize(&self, user: &UserInfo, attrs: &OwnedAttributes, cx: &Lookups<'_>) -> Flow<Verdict> {
        Flow::Ready(match cx.rbac.authorize(user, &attrs.borrowed()) {
            Ok(why) => Verdict::Allow(why),
            Err(why) => Verdict::NoOpinion(why),
        })
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str, cx: &Lookups<'_>) -> Rules {
        let (rules, errors) = cx.rbac.rules_for(user, namespace, false);
        Rules {
            rules,
            incomplete: false,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_as_kube_parses_them() {
        assert_eq!(Mode::parse_list("Node,RBAC"), Ok(vec![Mode::Node, Mode::Rbac]));
        assert_eq!(
            Mode::parse_list("RBAC,rbac"),
            Err("authorization-mode \"rbac\" is not a valid mode".into())
        );
        assert_eq!(
            Mode::parse_list("RBAC,RBAC"),
            Err("authorization-mode [\"RBAC\" \"RBAC\"] has mode specified more than once".into())
        );
        assert_eq!(
            Mode::parse_list(""),
            Err("at least one authorization-mode must be passed".into())
        );
    }
}
