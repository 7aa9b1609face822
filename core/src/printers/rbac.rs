//! Printers for rbac.authorization.k8s.io/v1 RoleBinding and
//! ClusterRoleBinding. Role and ClusterRole have no printer of their own and
//! use the default one.

use serde_json::Value;

use super::fields::{items, name, str_at};
use super::{age, col, wide, Column, AGE, NAME};

const ROLE: Column = col("Role", "string", "The role the binding grants, as kind/name.");

/// Columns of `kubectl get rolebindings`.
pub(super) const ROLE_BINDING_COLUMNS: &[Column] = &[
    NAME,
    ROLE,
    AGE,
    wide(col("Users", "string", "Users in the roleBinding")),
    wide(col("Groups", "string", "Groups in the roleBinding")),
    wide(col(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the roleBinding",
    )),
];

/// Columns of `kubectl get clusterrolebindings`.
pub(super) const CLUSTER_ROLE_BINDING_COLUMNS: &[Column] = &[
    NAME,
    ROLE,
    AGE,
    wide(col("Users", "string", "Users in the clusterRoleBinding")),
    wide(col("Groups", "string", "Groups in the clusterRoleBinding")),
    wide(col(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the clusterRoleBinding",
    )),
];

/// NAME, ROLE ("Kind/name"), AGE | USERS, GROUPS, SERVICEACCOUNTS (each
/// ", "-joined; service accounts as "namespace/name"). Subjects of other
/// kinds are not shown.
pub(super) fn binding_cells(binding: &Value, now: i64) -> Vec<Value> {
    let role = format!(
        "{}/{}",
        str_at(binding, &["roleRef", "kind"]),
        str_at(binding, &["roleRef", "name"])
    );
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut service_accounts = Vec::new();
    for subject in items(binding, &["subjects"]) {
        let subject_name = str_at(subject, &["name"]);
        match str_at(subject, &["kind"]) {
            "User" => users.push(subject_name.to_owned()),
            "Group" => groups.push(subject_name.to_owned()),
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{subject_name}", str_at(subject, &["namespace"])))
            }
            _ => {}
        }
    }
    vec![
        name(binding),
        Value::from(role),
        age(binding, now),
        Value::from(users.join(", ")),
        Value::from(groups.join(", ")),
        Value::from(service_accounts.join(", ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::{columns, row_cells};
    use serde_json::json;

    const G: &str = "rbac.authorization.k8s.io";

    #[test]
    fn role_binding() {
        let rb = json!({
            "metadata": {"name": "read-pods", "namespace": "dev", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "roleRef": {"apiGroup": G, "kind": "Role", "name": "pod-reader"},
            "subjects": [
                {"kind": "User", "name": "jane", "apiGroup": G},
                {"kind": "ServiceAccount", "name": "default", "namespace": "dev"},
                {"kind": "User", "name": "joe", "apiGroup": G},
                {"kind": "Group", "name": "devs", "apiGroup": G},
                {"kind": "Robot", "name": "r2"}
            ]
        });
        assert_eq!(
            row_cells(G, "RoleBinding", &rb, 1_714_557_600),
            vec![
                json!("read-pods"),
                json!("Role/pod-reader"),
                json!("60m"),
                json!("jane, joe"),
                json!("devs"),
                json!("dev/default")
            ]
        );
    }

    #[test]
    fn cluster_role_binding() {
        let crb = json!({"metadata": {"name": "admins"},
                         "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                         "subjects": [{"kind": "Group", "name": "system:masters"}]});
        assert_eq!(
            row_cells(G, "ClusterRoleBinding", &crb, 0)[..2],
            [json!("admins"), json!("ClusterRole/cluster-admin")]
        );
        assert_eq!(
            row_cells(G, "ClusterRoleBinding", &crb, 0)[3..],
            [json!(""), json!("system:masters"), json!("")]
        );
        assert_eq!(
            columns(G, "ClusterRoleBinding")[3].description,
            "Users in the clusterRoleBinding"
        );
    }

    #[test]
    fn roles_use_the_default_printer() {
        assert_eq!(columns(G, "Role")[1].name, "Created At");
        assert_eq!(columns(G, "ClusterRole")[1].name, "Created At");
    }
}
