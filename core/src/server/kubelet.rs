//! The pod subresources a kubelet serves (`log`, `exec`, `attach`, `portforward`): the API
//! server only locates the kubelet and relays. Gatehouse makes kube-apiserver's checks (the
//! pod, its container, its node and the node's address), then has the runtime dial the
//! kubelet; when the dial fails it answers as kube-apiserver does when a node cannot be
//! reached. Logs are relayed from a kubelet that answers; exec, attach and port-forward
//! (protocol upgrades) are not relayed yet, and say so.

use serde_json::Value;

use crate::api::ApiError;
use crate::registry::rest::Params;
use crate::watch::WatchCaches;

/// The kubelet port when a Node does not publish one.
const DEFAULT_KUBELET_PORT: u64 = 10250;

/// Node address types in kube-apiserver's default `--kubelet-preferred-address-types` order.
const PREFERRED_ADDRESS_TYPES: &[&str] = &[
    "Hostname",
    "InternalDNS",
    "InternalIP",
    "ExternalDNS",
    "ExternalIP",
];

/// The subresources served here.
pub(super) fn is_kubelet_subresource(resource: &str, subresource: &str) -> bool {
    resource == "pods" && matches!(subresource, "log" | "exec" | "attach" | "portforward")
}

/// What to do for one request.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// Answer now: an empty log (the pod has no node yet).
    EmptyLog,
    /// Dial the kubelet at `host:port`; `url` is where the request goes (`path` on it).
    Dial {
        host: String,
        port: u16,
        url: String,
        path: String,
        log: bool,
    },
}

/// kube-apiserver's checks before it contacts the kubelet.
pub(super) fn plan(
    caches: &WatchCaches,
    prefix: &str,
    namespace: &str,
    pod_name: &str,
    subresource: &str,
    params: &Params,
) -> Result<Plan, ApiError> {
    let key = format!("{prefix}/pods/{namespace}/{pod_name}");
    let pod = caches
        .for_key(key.as_bytes())
        .get(key.as_bytes())
        .ok_or_else(|| ApiError::not_found("", "pods", pod_name))?;
    let container = if subresource == "portforward" {
        String::new()
    } else {
        container_of(pod, pod_name, params.get("container").unwrap_or(""))?
    };
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() {
        if subresource == "log" {
            return Ok(Plan::EmptyLog);
        }
        return Err(ApiError::bad_request(format!(
            "pod {pod_name} does not have a host assigned"
        )));
    }
    let node_key = format!("{prefix}/minions/{node}");
    let node_obj = caches
        .for_key(node_key.as_bytes())
        .get(node_key.as_bytes())
        .ok_or_else(|| ApiError::not_found("", "nodes", node))?;
    let host = preferred_address(node_obj).ok_or_else(|| {
        ApiError::unknown(format!(
            "no preferred addresses found; known addresses: {}",
            known_addresses(node_obj)
        ))
    })?;
    let port = node_obj
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .filter(|p| *p > 0 && *p <= u64::from(u16::MAX))
        .unwrap_or(DEFAULT_KUBELET_PORT);
    let port = u16::try_from(port).unwrap_or(10250);
    let host_port = super::proxy::host_header(&host, port);
    let path = match subresource {
        "log" => format!(
            "/containerLogs/{namespace}/{pod_name}/{container}{}",
            log_query(params)
        ),
        "portforward" => format!("/portForward/{namespace}/{pod_name}"),
        other => format!("/{other}/{namespace}/{pod_name}/{container}"),
    };
    Ok(Plan::Dial {
        url: format!("https://{host_port}{path}"),
        host,
        port,
        path,
        log: subresource == "log",
    })
}

/// The request for a container's log, as the runtime sends it to the kubelet.
pub(super) fn log_request(host: &str, port: u16, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: kube-apiserver\r\nConnection: close\r\n\r\n",
        super::proxy::host_header(host, port)
    )
    .into_bytes()
}

/// The answer once the dial failed (`reason` in Go's words, e.g. `dial tcp 10.0.0.1:10250:
/// connect: connection refused`), or succeeded.
pub(super) fn dial_outcome(plan_url: &str, log: bool, result: Result<(), super::NetError>) -> ApiError {
    match result {
        Err(reason) if log => ApiError::unknown(format!("Get \"{plan_url}\": {reason}")),
        Err(reason) => ApiError::unknown(format!("error dialing backend: {reason}")),
        Ok(()) => ApiError::unavailable(
            "the kubelet answered, but Gatehouse does not relay exec, attach or port-forward yet",
        ),
    }
}

/// The container a request names, or the pod's only one.
fn container_of(pod: &Value, pod_name: &str, asked: &str) -> Result<String, ApiError> {
    let spec = pod.get("spec");
    let names = |field: &str| -> Vec<String> {
        spec.and_then(|s| s.get(field))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    };
    let containers = names("containers");
    if asked.is_empty() {
        return match containers.len() {
            1 => Ok(containers[0].clone()),
            0 => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}"
            ))),
            _ => {
                let mut all = names("initContainers");
                all.extend(containers);
                all.extend(names("ephemeralContainers"));
                Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    all.join(" ")
                )))
            }
        };
    }
    let known = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .any(|f| names(f).iter().any(|n| n == asked));
    if known {
        Ok(asked.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "container {asked} is not valid for pod {pod_name}"
        )))
    }
}

fn addresses(node: &Value) -> impl Iterator<Item = (&str, &str)> {
    node.pointer("/status/addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a.get("type").and_then(Value::as_str)?,
                a.get("address").and_then(Value::as_str)?,
            ))
        })
}

pub(super) fn preferred_address(node: &Value) -> Option<String> {
    PREFERRED_ADDRESS_TYPES.iter().find_map(|t| {
        addresses(node)
            .find(|(ty, addr)| ty == t && !addr.is_empty())
            .map(|(_, addr)| addr.to_string())
    })
}

/// Go's `%v` of the node's addresses, as kube-apiserver's message prints them.
pub(super) fn known_addresses(node: &Value) -> String {
    let items: Vec<String> = addresses(node).map(|(t, a)| format!("{{{t} {a}}}")).collect();
    format!("[{}]", items.join(" "))
}

/// The kubelet's log query, from the request's log options.
fn log_query(params: &Params) -> String {
    let mut pairs = Vec::new();
    for flag in ["follow", "previous", "timestamps"] {
        if params.get(flag).is_some_and(crate::registry::list::parse_bool) {
            pairs.push(format!("{flag}=true"));
        }
    }
    for key in ["limitBytes", "sinceSeconds", "sinceTime", "tailLines"] {
        if let Some(v) = params.get(key).filter(|v| !v.is_empty()) {
            pairs.push(format!("{key}={}", escape(v)));
        }
    }
    pairs.sort();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// A query value escaped as Go's `url.Values.Encode` escapes it.
fn escape(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_are_chosen_as_kube_apiserver_chooses() {
        let one = json!({"spec": {"containers": [{"name": "app"}]}});
        assert_eq!(container_of(&one, "p", "").unwrap(), "app");
        let two = json!({"spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]}});
        let e = container_of(&two, "p", "").unwrap_err();
        assert_eq!(
            e.message,
            "a container name must be specified for pod p, choose one of: [init a b]"
        );
        assert_eq!(e.code, 400);
        assert_eq!(container_of(&two, "p", "init").unwrap(), "init");
        assert_eq!(
            container_of(&two, "p", "zz").unwrap_err().message,
            "container zz is not valid for pod p"
        );
    }

    #[test]
    fn addresses_follow_the_preferred_types() {
        let node = json!({"status": {"addresses": [
            {"type": "ExternalIP", "address": "203.0.113.9"},
            {"type": "InternalIP", "address": "10.0.0.7"}]}});
        assert_eq!(preferred_address(&node).as_deref(), Some("10.0.0.7"));
        assert_eq!(known_addresses(&json!({})), "[]");
        assert_eq!(
            dial_outcome(
                "https://10.0.0.7:10250/x",
                false,
                Err(crate::server::NetError::Refused {
                    addr: "10.0.0.7:10250".into()
                })
            )
            .message,
            "error dialing backend: dial tcp 10.0.0.7:10250: connect: connection refused"
        );
    }
}
