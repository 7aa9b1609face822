//! Apply conflicts and the 409 message kube-apiserver builds from them.

use std::fmt;

use super::fieldpath::Path;

/// One field another manager owns with a different value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager, as messages print it (`"kubectl" using v1`, or just `"m"` for an
    /// applier).
    pub manager: String,
    /// The other manager's identity, used to order managers in the message.
    pub(crate) identifier: String,
    /// The contested field.
    pub path: Path,
}

/// All conflicts of a rejected apply, grouped by manager in identity order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflicts(pub Vec<Conflict>);

impl Conflicts {
    /// The Status message, e.g. `Apply failed with 1 conflict: conflict with "m" using v1: .data.k`.
    pub fn message(&self) -> String {
        if let [only] = self.0.as_slice() {
            return format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                only.manager, only.path
            );
        }
        let mut lines = Vec::new();
        let mut last: Option<&str> = None;
        for c in &self.0 {
            if last != Some(c.identifier.as_str()) {
                lines.push(format!("conflicts with {}:", c.manager));
                last = Some(c.identifier.as_str());
            }
            lines.push(format!("- {}", c.path));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            self.0.len(),
            lines.join("\n")
        )
    }

    /// The Status causes as `(message, field)`; each has type `FieldManagerConflict`.
    pub fn causes(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|c| (format!("conflict with {}", c.manager), c.path.to_string()))
            .collect()
    }
}

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}
