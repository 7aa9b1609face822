//! The proxy subresources (`pods/proxy`, `services/proxy`, `nodes/proxy`): kube-apiserver
//! locates the backend (a pod's IP, one of a service's endpoints, a node's kubelet) and
//! relays the request there. Gatehouse locates the backend as kube-apiserver does, with its
//! errors, and has the runtime relay the request there; a backend that cannot be reached is
//! answered as kube-apiserver's proxy transport answers. Protocol upgrades through a proxy
//! are not relayed yet.

use serde_json::Value;

use super::RelayTls;
use crate::api::ApiError;
use crate::validation::net::parse_ip;
use crate::watch::WatchCaches;

/// The kubelet port when a Node does not publish one.
const DEFAULT_KUBELET_PORT: u16 = 10250;

/// Whether this is a proxy subresource.
pub(super) fn is_proxy_subresource(resource: &str, subresource: &str) -> bool {
    subresource == "proxy" && matches!(resource, "pods" | "services" | "nodes")
}

/// Where a proxied request goes.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Target {
    pub host: String,
    pub port: u16,
    /// TLS toward the backend: none for `http`, unverified for `https` (as kube-apiserver's
    /// proxy transport), the kubelet client credentials for a node's kubelet.
    pub tls: RelayTls,
}

/// TLS for a pod's or service's scheme.
fn scheme_tls(scheme: &str) -> RelayTls {
    if scheme == "https" {
        RelayTls::Insecure
    } else {
        RelayTls::Plain
    }
}

/// The `Host` header for `host:port` (IPv6 addresses in brackets).
pub(super) fn host_header(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Headers that belong to one hop and are not passed on.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "authorization",
];

/// The request relayed to the backend: the client's method, the path after `/proxy`, its
/// query and end-to-end headers, and its body; one request per connection.
pub(super) fn relayed_request(
    target: &Target,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let path = if path.is_empty() { "/" } else { path };
    let mut head = format!("{method} {path}");
    if !query.is_empty() {
        head.push('?');
        head.push_str(query);
    }
    head.push_str(" HTTP/1.1\r\n");
    head.push_str(&format!("Host: {}\r\n", host_header(&target.host, target.port)));
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if !body.is_empty() || !matches!(method, "GET" | "HEAD" | "OPTIONS" | "DELETE") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// An object id of a proxy URL, `name`, `name:port` or `scheme:name:port`, split as
/// Kubernetes' `SplitSchemeNamePort` does.
#[derive(Debug, PartialEq, Eq)]
struct Id<'a> {
    scheme: &'a str,
    name: &'a str,
    port: &'a str,
}

fn split_id(id: &str) -> Option<Id<'_>> {
    let parts: Vec<&str> = id.split(':').collect();
    let (scheme, name, port) = match parts.as_slice() {
        [name] => ("", *name, ""),
        [name, port] => ("", *name, *port),
        [scheme, name, port] => (*scheme, *name, *port),
        _ => return None,
    };
    let scheme_ok = matches!(scheme, "" | "http" | "https");
    (!name.is_empty() && scheme_ok).then_some(Id { scheme, name, port })
}

/// Locates the backend of a proxy request to `resource` `id` in `namespace`.
pub(super) fn locate(
    caches: &WatchCaches,
    prefix: &str,
    resource: &str,
    namespace: &str,
    id: &str,
) -> Result<Target, ApiError> {
    let get = |key: String| {
        let cache = caches.for_key(key.as_bytes());
        cache.get(key.as_bytes()).map(|v| (**v).clone())
    };
    match resource {
        "pods" => {
            let id =
                split_id(id).ok_or_else(|| ApiError::bad_request(format!("invalid pod request {id:?}")))?;
            let pod = get(format!("{prefix}/pods/{namespace}/{}", id.name))
                .ok_or_else(|| ApiError::not_found("", "pods", id.name))?;
            pod_target(&pod, &id)
        }
        "services" => {
            let parsed = split_id(id)
                .ok_or_else(|| ApiError::bad_request(format!("invalid service request {id:?}")))?;
            let service = |name: &str| get(format!("{prefix}/services/specs/{namespace}/{name}"));
            let endpoints = |name: &str| get(format!("{prefix}/services/endpoints/{namespace}/{name}"));
            let pod = |name: &str| get(format!("{prefix}/pods/{namespace}/{name}"));
            service_target(id, &parsed, namespace, service, endpoints, pod)
        }
        _ => {
            let id =
                split_id(id).ok_or_else(|| ApiError::bad_request(format!("invalid node request {id:?}")))?;
            let node = get(format!("{prefix}/minions/{}", id.name))
                .ok_or_else(|| ApiError::not_found("", "nodes", id.name))?;
            node_target(&node, &id)
        }
    }
}

/// A pod's IP and the port asked for, else its first container's first port.
fn pod_target(pod: &Value, id: &Id<'_>) -> Result<Target, ApiError> {
    let first_port = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|c| c.pointer("/ports/0/containerPort").and_then(Value::as_u64));
    let ip = pod
        .pointer("/status/podIP")
        .and_then(Value::as_str)
        .or_else(|| pod.pointer("/status/podIPs/0/ip").and_then(Value::as_str))
        .unwrap_or("");
    if !parse_ip(ip).is_some_and(|i| i.is_global_unicast()) {
        return Err(not_allowed());
    }
    let port = match id.port {
        "" => first_port.and_then(|p| u16::try_from(p).ok()),
        p => Some(numeric_port(p)?),
    };
    Ok(Target {
        host: ip.to_string(),
        port: port.unwrap_or(if id.scheme == "https" { 443 } else { 80 }),
        tls: scheme_tls(id.scheme),
    })
}

/// One of a service's endpoints for the port asked for, whose pod really has that address.
fn service_target(
    id: &str,
    parsed: &Id<'_>,
    namespace: &str,
    service: impl Fn(&str) -> Option<Value>,
    endpoints: impl Fn(&str) -> Option<Value>,
    pod: impl Fn(&str) -> Option<Value>,
) -> Result<Target, ApiError> {
    let name = parsed.name;
    let mut port_name = parsed.port.to_string();
    if let Ok(number) = parsed.port.parse::<i64>() {
        // A port number names the service port; endpoints are matched by its name.
        let svc = service(name).ok_or_else(|| ApiError::not_found("", "services", name))?;
        let found = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("port").and_then(Value::as_i64) == Some(number));
        let Some(port) = found else {
            return Err(ApiError::service_unavailable(format!(
                "no service port {number} found for service {name:?}"
            )));
        };
        port_name = port.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    }
    let eps = endpoints(name).ok_or_else(|| ApiError::not_found("", "endpoints", name))?;
    let subsets = eps
        .get("subsets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if subsets.is_empty() {
        return Err(ApiError::service_unavailable(format!(
            "no endpoints available for service {name:?}"
        )));
    }
    for subset in &subsets {
        let list = |f: &str| {
            subset
                .get(f)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let Some(port) = list("ports")
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str).unwrap_or("") == port_name)
            .and_then(|p| p.get("port").and_then(Value::as_u64))
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for addr in list("addresses") {
            let ip = addr.get("ip").and_then(Value::as_str).unwrap_or("");
            if address_is_its_pods(&addr, ip, namespace, &pod) {
                return Ok(Target {
                    host: ip.to_string(),
                    port,
                    tls: scheme_tls(parsed.scheme),
                });
            }
        }
    }
    Err(ApiError::service_unavailable(format!(
        "no endpoints available for service {id:?}"
    )))
}

/// kube-apiserver proxies only to endpoint addresses that point at a pod of the namespace
/// which has that IP.
fn address_is_its_pods(addr: &Value, ip: &str, namespace: &str, pod: impl Fn(&str) -> Option<Value>) -> bool {
    let Some(target) = addr.get("targetRef") else {
        return false;
    };
    if target.get("namespace").and_then(Value::as_str) != Some(namespace) {
        return false;
    }
    let Some(p) = target.get("name").and_then(Value::as_str).and_then(pod) else {
        return false;
    };
    p.pointer("/status/podIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|i| i.get("ip").and_then(Value::as_str) == Some(ip))
}

/// The node's kubelet, or another port of the node when one is asked for.
fn node_target(node: &Value, id: &Id<'_>) -> Result<Target, ApiError> {
    let host = super::kubelet::preferred_address(node).ok_or_else(|| {
        ApiError::unknown(format!(
            "no preferred addresses found; known addresses: {}",
            super::kubelet::known_addresses(node)
        ))
    })?;
    if let Some(ip) = parse_ip(&host) {
        // kube-apiserver's IsProxyableIP (host names are resolved by the runtime's dial).
        if ip.is_loopback() || ip.is_link_local_unicast() || ip.is_link_local_multicast() {
            return Err(not_allowed());
        }
    }
    let kubelet_port = node
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .unwrap_or(DEFAULT_KUBELET_PORT);
    let port = match id.port {
        "" => kubelet_port,
        p => numeric_port(p)?,
    };
    // The kubelet's own port is reached with the kubelet client credentials.
    let tls = if port == kubelet_port {
        RelayTls::Kubelet
    } else {
        scheme_tls(id.scheme)
    };
    Ok(Target { host, port, tls })
}

fn numeric_port(p: &str) -> Result<u16, ApiError> {
    // Go's dialer words an unknown named port this way; the request ends the same.
    p.parse::<u16>()
        .map_err(|_| unreachable_backend(&format!("dial tcp: lookup tcp/{p}: unknown port")))
}

fn not_allowed() -> ApiError {
    ApiError::bad_request("address not allowed")
}

/// kube-apiserver's proxy transport's answer when the backend cannot be dialed.
fn unreachable_backend(reason: &str) -> ApiError {
    ApiError::service_unavailable(format!("error trying to reach service: {reason}"))
}

/// The answer to a relay that ended before the backend said anything: `reason` in Go's
/// words (a failed dial), or a backend that closed without answering.
pub(super) fn relay_failed(reason: Option<&str>) -> ApiError {
    unreachable_backend(reason.unwrap_or("EOF"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_split_as_kubernetes_splits_them() {
        assert_eq!(
            split_id("web"),
            Some(Id {
                scheme: "",
                name: "web",
                port: ""
            })
        );
        assert_eq!(split_id("web:8080").map(|i| i.port), Some("8080"));
        assert_eq!(split_id("https:web:443").map(|i| i.scheme), Some("https"));
        assert_eq!(split_id("ftp:web:21"), None);
        assert_eq!(split_id(":80"), None);
        assert_eq!(split_id("a:b:c:d"), None);
    }

    #[test]
    fn pods_need_a_routable_address() {
        let id = split_id("p").unwrap();
        let pod = |ip: &str| {
            json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
            "status": {"podIP": ip}})
        };
        assert_eq!(
            pod_target(&pod("10.1.2.3"), &id).unwrap(),
            Target {
                host: "10.1.2.3".into(),
                port: 8080,
                tls: RelayTls::Plain,
            }
        );
        for bad in [
            "",
            "127.0.0.1",
            "169.254.1.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
        ] {
            let e = pod_target(&pod(bad), &id).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (400, "address not allowed"),
                "{bad}"
            );
        }
        let asked = split_id("p:9000").unwrap();
        assert_eq!(pod_target(&pod("10.1.2.3"), &asked).unwrap().port, 9000);
        let no_ports = json!({"spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.1.2.3"}});
        assert_eq!(pod_target(&no_ports, &id).unwrap().port, 80);
    }

    #[test]
    fn services_need_endpoints_backed_by_their_pods() {
        let svc = json!({"spec": {"ports": [{"name": "http", "port": 80}]}});
        let eps = json!({"subsets": [{"addresses": [{"ip": "10.0.0.9",
            "targetRef": {"kind": "Pod", "namespace": "ns", "name": "web-1"}}],
            "ports": [{"name": "http", "port": 8080}]}]});
        let pod = json!({"status": {"podIPs": [{"ip": "10.0.0.9"}]}});
        let id = split_id("web:80").unwrap();
        let t = service_target(
            "web:80",
            &id,
            "ns",
            |_| Some(svc.clone()),
            |_| Some(eps.clone()),
            |_| Some(pod.clone()),
        )
        .unwrap();
        assert_eq!((t.host.as_str(), t.port), ("10.0.0.9", 8080));
        // The pod no longer has the address: nothing to proxy to.
        let e = service_target(
            "web:80",
            &id,
            "ns",
            |_| Some(svc.clone()),
            |_| Some(eps.clone()),
            |_| None,
        )
        .unwrap_err();
        assert_eq!(e.code, 503);
        assert_eq!(e.message, "no endpoints available for service \"web:80\"");
        let e = service_target(
            "web:81",
            &split_id("web:81").unwrap(),
            "ns",
            |_| Some(svc.clone()),
            |_| Some(eps.clone()),
            |_| None,
        )
        .unwrap_err();
        assert_eq!(e.message, "no service port 81 found for service \"web\"");
        let e = service_target(
            "web",
            &split_id("web").unwrap(),
            "ns",
            |_| Some(svc.clone()),
            |_| Some(json!({})),
            |_| None,
        )
        .unwrap_err();
        assert_eq!(e.message, "no endpoints available for service \"web\"");
        let e = service_target(
            "web",
            &split_id("web").unwrap(),
            "ns",
            |_| None,
            |_| None,
            |_| None,
        )
        .unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (404, "endpoints \"web\" not found"));
    }

    #[test]
    fn nodes_proxy_to_their_kubelet_unless_another_port_is_asked() {
        let node = json!({"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}});
        let t = node_target(&node, &split_id("n1").unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("10.0.0.7", 10250));
        assert_eq!(
            node_target(&node, &split_id("n1:9100").unwrap()).unwrap().port,
            9100
        );
        let local = json!({"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}});
        assert_eq!(
            node_target(&local, &split_id("n1").unwrap()).unwrap_err().message,
            "address not allowed"
        );
        assert_eq!(t.tls, RelayTls::Kubelet);
        assert_eq!(
            node_target(&node, &split_id("https:n1:9100").unwrap())
                .unwrap()
                .tls,
            RelayTls::Insecure
        );
        assert_eq!(
            relay_failed(Some("dial tcp 10.0.0.7:10250: connect: connection refused")).message,
            "error trying to reach service: dial tcp 10.0.0.7:10250: connect: connection refused"
        );
    }

    #[test]
    fn relayed_requests_keep_end_to_end_headers_only() {
        let t = Target {
            host: "10.0.0.9".into(),
            port: 8080,
            tls: RelayTls::Plain,
        };
        let headers = vec![
            ("Accept".to_string(), "text/plain".to_string()),
            ("Connection".to_string(), "keep-alive".to_string()),
            ("Authorization".to_string(), "Bearer x".to_string()),
        ];
        let req = relayed_request(&t, "POST", "/api/x", "a=1", &headers, b"hi");
        assert_eq!(
            String::from_utf8(req).unwrap(),
            "POST /api/x?a=1 HTTP/1.1\r\nHost: 10.0.0.9:8080\r\nAccept: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        );
        let req = relayed_request(&t, "GET", "", "", &[], b"");
        assert!(String::from_utf8(req).unwrap().starts_with("GET / HTTP/1.1\r\n"));
    }
}
