//! Service cluster IPs and node ports, allocated so that no two Services get the same one,
//! even when several Gatehouse replicas create Services at once.
//!
//! Each allocated address has a key of its own under `<prefix>/ranges/`
//! (`serviceips/<ip>`, `servicenodeports/<port>`), written in the same transaction as the
//! Service and guarded by "does not exist yet": storage lets one replica win an address, and
//! the loser picks another. Deleting the Service deletes its keys in the same transaction.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{Env, TxnOp};
use crate::api::{self, ApiError};
use crate::registry::{strategy, ResourceDef};

fn ip_prefix(prefix: &str) -> String {
    format!("{prefix}/ranges/serviceips/")
}

fn port_prefix(prefix: &str) -> String {
    format!("{prefix}/ranges/servicenodeports/")
}

fn port_key(prefix: &str, port: u64) -> Vec<u8> {
    format!("{}{port}", port_prefix(prefix)).into_bytes()
}

/// Whether `def` allocates addresses (core Services).
pub(super) fn allocates(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.kind == "Service"
}

/// The allocation keys a stored Service holds: its cluster IPs and node ports.
pub(super) fn keys(prefix: &str, svc: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let ips = svc.pointer("/spec/clusterIPs").and_then(Value::as_array);
    let single = svc.pointer("/spec/clusterIP").cloned().map(|v| vec![v]);
    for ip in ips.cloned().or(single).into_iter().flatten() {
        if let Some(ip) = ip.as_str().and_then(strategy::parse_ipv4) {
            out.push(format!("{}{}", ip_prefix(prefix), strategy::ipv4_string(ip)).into_bytes());
        }
    }
    for p in svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // 0 is "none yet" (what kubectl's generators send).
        if let Some(n) = p.get("nodePort").and_then(Value::as_u64).filter(|n| *n != 0) {
            out.push(port_key(prefix, n));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The writes that release a removed Service's addresses.
pub(super) fn release(def: &ResourceDef, prefix: &str, svc: &Value) -> Vec<TxnOp> {
    if !allocates(def) {
        return Vec::new();
    }
    keys(prefix, svc)
        .into_iter()
        .map(|key| TxnOp::Delete { key })
        .collect()
}

/// Picks a Service's cluster IP and node ports where the client left them out, avoiding those
/// the cache shows in use and the `claimed` allocation keys that storage refused before. A
/// requested address already claimed is refused as kube-apiserver refuses it.
pub(super) fn allocate(
    env: &mut Env<'_>,
    obj: &mut Value,
    claimed: &BTreeSet<Vec<u8>>,
) -> Result<(), ApiError> {
    let ty = obj
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        return Ok(());
    }
    let mut used_ips = BTreeSet::new();
    let mut used_ports = BTreeSet::new();
    let prefix = format!("{}/services/specs/", env.prefix);
    let own_key = format!("{prefix}{}/{}", api::namespace(obj), api::name(obj)).into_bytes();
    for (key, svc) in env.caches.for_key(prefix.as_bytes()).list(prefix.as_bytes()) {
        // The same Service already stored: its create fails as AlreadyExists, not on its IP.
        if **key == *own_key {
            continue;
        }
        if let Some(ip) = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .and_then(strategy::parse_ipv4)
        {
            used_ips.insert(ip);
        }
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("nodePort").and_then(Value::as_u64) {
                used_ports.insert(n);
            }
        }
    }
    for key in claimed {
        if let Some(ip) = key.strip_prefix(ip_prefix(env.prefix).as_bytes()) {
            if let Some(ip) = std::str::from_utf8(ip).ok().and_then(strategy::parse_ipv4) {
                used_ips.insert(ip);
            }
        } else if let Some(port) = key.strip_prefix(port_prefix(env.prefix).as_bytes()) {
            if let Some(port) = std::str::from_utf8(port).ok().and_then(|p| p.parse::<u64>().ok()) {
                used_ports.insert(port);
            }
        }
    }
    let name = api::name(obj).to_string();
    let r = env.services;
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let requested = spec
        .get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if requested.is_empty() {
        let ip = strategy::allocate_cluster_ip(r.cluster_ip_base, r.cluster_ip_prefix, &used_ips, env.rng)
            .ok_or_else(|| ApiError::internal("failed to allocate a serviceIP: range is full"))?;
        let s = strategy::ipv4_string(ip);
        spec.insert("clusterIP".into(), json!(s));
        spec.insert("clusterIPs".into(), json!([s]));
    } else if requested != "None" {
        if let Some(ip) = strategy::parse_ipv4(&requested) {
            if used_ips.contains(&ip) {
                let msg = format!(
                    "Service \"{}\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: provided IP is already allocated",
                    api::name(obj)
                );
                return Err(ApiError::invalid("", "Service", api::name(obj), msg, vec![]));
            }
        }
        if !spec.contains_key("clusterIPs") {
            spec.insert("clusterIPs".into(), json!([requested]));
        }
    } else if !spec.contains_key("clusterIPs") {
        spec.insert("clusterIPs".into(), json!(["None"]));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        let span = u64::from(r.node_port_max.saturating_sub(r.node_port_min)) + 1;
        if let Some(Value::Array(ports)) = spec.get_mut("ports") {
            for (i, p) in ports.iter_mut().enumerate() {
                if let Some(n) = p.get("nodePort").and_then(Value::as_u64).filter(|n| *n != 0) {
                    if claimed.contains(&port_key(env.prefix, n)) {
                        let msg = format!(
                            "Service \"{}\" is invalid: spec.ports[{i}].nodePort: Invalid value: {n}: provided port is already allocated",
                            name
                        );
                        return Err(ApiError::invalid("", "Service", &name, msg, vec![]));
                    }
                    continue;
                }
                let start = env.rng.below(span);
                let found = (0..span)
                    .map(|i| u64::from(r.node_port_min) + (start + i) % span)
                    .find(|n| !used_ports.contains(n));
                if let (Some(n), Some(m)) = (found, p.as_object_mut()) {
                    used_ports.insert(n);
                    m.insert("nodePort".into(), json!(n));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_holds_a_key_per_address() {
        let svc = json!({"spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
            "ports": [{"port": 80, "nodePort": 30080}, {"port": 443}]}});
        let keys: Vec<String> = keys("/registry", &svc)
            .into_iter()
            .map(|k| String::from_utf8(k).unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            [
                "/registry/ranges/serviceips/10.96.0.10",
                "/registry/ranges/servicenodeports/30080"
            ]
        );
        let headless = json!({"spec": {"clusterIP": "None", "clusterIPs": ["None"]}});
        assert!(keys_of(&headless).is_empty());
    }

    fn keys_of(v: &Value) -> Vec<Vec<u8>> {
        keys("/registry", v)
    }
}
