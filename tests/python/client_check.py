"""Drives a running Gatehouse with the official Python `kubernetes` client.

Usage: client_check.py KUBECONFIG

Run by tests/tests/python_client.rs with the admin kubeconfig of a Gatehouse it started, inside
the virtualenv tests/python/setup.sh prepares. Prints one line per check ("ok   name: detail" or
"FAIL name: message") and exits with 1 when any check failed, 2 on bad usage.
"""

import base64
import datetime
import json
import os
import sys
import threading
import time
import traceback

import kubernetes
from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException

# Bound on every request so that a stuck request fails the run instead of hanging it.
REQUEST_TIMEOUT = 30
# How long the watch may stay open at most (server side, then client side).
WATCH_SECONDS = 20
# The ConfigMap of the cluster's CA that every namespace holds.
ROOT_CA = "kube-root-ca.crt"
# The Accept headers of kube-apiserver's metadata-only answers.
ACCEPT_METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
ACCEPT_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


class CheckFailed(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def expect_eq(actual, wanted, what):
    if actual != wanted:
        raise CheckFailed(f"{what}: got {actual!r}, want {wanted!r}")


def describe_api_exception(e):
    return f"ApiException status={e.status} reason={e.reason!r} body={e.body!r}"


def expect_api_error(call, status, reason, message_part, what):
    """Runs `call`, which must raise an ApiException with `status` whose Status body carries
    `reason` and a message containing `message_part`; returns the exception."""
    try:
        result = call()
    except ApiException as e:
        expect_eq(e.status, status, f"{what}: HTTP status")
        try:
            body = json.loads(e.body)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}: the error body is not JSON: {e.body!r}")
        expect_eq(body.get("kind"), "Status", f"{what}: body kind")
        expect_eq(body.get("status"), "Failure", f"{what}: body status")
        expect_eq(body.get("reason"), reason, f"{what}: body reason")
        expect_eq(body.get("code"), status, f"{what}: body code")
        expect(
            message_part in (body.get("message") or ""),
            f"{what}: message {body.get('message')!r} lacks {message_part!r}",
        )
        return e
    raise CheckFailed(f"{what}: expected ApiException {status}, the call returned {result!r}")


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Checks:
    def __init__(self, kubeconfig):
        config.load_kube_config(config_file=kubeconfig)
        self.core = client.CoreV1Api()
        self.apps = client.AppsV1Api()
        self.batch = client.BatchV1Api()
        self.rbac = client.RbacAuthorizationV1Api()
        self.networking = client.NetworkingV1Api()
        # The generated patch methods pick strategic merge for an object body and JSON patch for a
        # list body; a client whose default Content-Type header wins sends a JSON merge patch
        # through the same typed method.
        merge_client = client.ApiClient()
        merge_client.set_default_header("Content-Type", "application/merge-patch+json")
        self.core_merge = client.CoreV1Api(merge_client)
        # The same way to a server-side apply (the client sends the body as JSON).
        apply_client = client.ApiClient()
        apply_client.set_default_header("Content-Type", "application/apply-patch+yaml")
        self.core_apply = client.CoreV1Api(apply_client)
        self.apps_merge = client.AppsV1Api(merge_client)
        suffix = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.ns = f"pyclient-{suffix}"
        self.role_name = f"pyclient-reader-{suffix}"
        self.node_name = f"pyclient-node-{suffix}"
        self.failures = []

    def run(self, name, fn):
        try:
            detail = fn()
        except CheckFailed as e:
            self.failures.append(name)
            print(f"FAIL {name}: {e}", flush=True)
            return False
        except ApiException as e:
            self.failures.append(name)
            print(f"FAIL {name}: unexpected {describe_api_exception(e)}", flush=True)
            return False
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is swallowed
            self.failures.append(name)
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc()
            return False
        print(f"ok   {name}{': ' + detail if detail else ''}", flush=True)
        return True

    # -- discovery and namespaces --------------------------------------------------------------

    def version(self):
        info = client.VersionApi().get_code(_request_timeout=REQUEST_TIMEOUT)
        expect(
            info.git_version.startswith("v1.32"), f"git_version {info.git_version!r} is not v1.32"
        )
        return info.git_version

    def list_namespaces(self):
        namespaces = self.core.list_namespace(_request_timeout=REQUEST_TIMEOUT)
        expect(namespaces.metadata.resource_version, "the list has no resourceVersion")
        phases = {n.metadata.name: n.status.phase for n in namespaces.items}
        for system in ["default", "kube-system", "kube-public", "kube-node-lease"]:
            expect_eq(phases.get(system), "Active", f"phase of namespace {system}")
        return f"{len(phases)} namespaces"

    def create_namespace(self):
        created = self.core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=self.ns)),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.metadata.name, self.ns, "namespace name")
        expect_eq(created.status.phase, "Active", "namespace phase")
        expect_eq(
            (created.metadata.labels or {}).get("kubernetes.io/metadata.name"),
            self.ns,
            "label kubernetes.io/metadata.name",
        )
        return self.ns

    # -- ConfigMaps ----------------------------------------------------------------------------

    def configmap_crud(self):
        ns = self.ns
        body = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(
                name="settings", labels={"app": "pyclient", "tier": "one"}
            ),
            data={"a": "1"},
        )
        created = self.core.create_namespaced_config_map(ns, body, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(created.metadata.name, "settings", "created name")
        expect_eq(created.metadata.namespace, ns, "created namespace")
        expect_eq(created.data, {"a": "1"}, "created data")
        expect(created.metadata.uid and len(created.metadata.uid) == 36, "created uid")
        expect(created.metadata.resource_version, "created resourceVersion")
        expect(
            isinstance(created.metadata.creation_timestamp, datetime.datetime),
            f"creationTimestamp {created.metadata.creation_timestamp!r} is not a datetime",
        )

        read = self.core.read_namespaced_config_map("settings", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(read.metadata.uid, created.metadata.uid, "read uid")
        expect_eq(read.metadata.resource_version, created.metadata.resource_version, "read rv")
        expect_eq(read.data, {"a": "1"}, "read data")

        expect_api_error(
            lambda: self.core.create_namespaced_config_map(
                ns, body, _request_timeout=REQUEST_TIMEOUT
            ),
            409,
            "AlreadyExists",
            'configmaps "settings" already exists',
            "create of an existing ConfigMap",
        )

        # strategic merge patch (the client's choice for an object body)
        patched = self.core.patch_namespaced_config_map(
            "settings",
            ns,
            {"metadata": {"labels": {"patched": "smp"}}, "data": {"b": "2"}},
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(patched.data, {"a": "1", "b": "2"}, "data after the strategic merge patch")
        expect_eq(
            patched.metadata.labels,
            {"app": "pyclient", "tier": "one", "patched": "smp"},
            "labels after the strategic merge patch",
        )
        expect(
            int(patched.metadata.resource_version) > int(created.metadata.resource_version),
            "the strategic merge patch did not advance resourceVersion "
            f"({created.metadata.resource_version} -> {patched.metadata.resource_version})",
        )

        # JSON merge patch: null removes a key
        merged = self.core_merge.patch_namespaced_config_map(
            "settings", ns, {"data": {"a": None, "c": "3"}}, _request_timeout=REQUEST_TIMEOUT
        )
        expect_eq(merged.data, {"b": "2", "c": "3"}, "data after the merge patch")

        # JSON patch (the client's choice for a list body)
        jsonpatched = self.core.patch_namespaced_config_map(
            "settings",
            ns,
            [
                {"op": "test", "path": "/data/b", "value": "2"},
                {"op": "replace", "path": "/data/b", "value": "two"},
            ],
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(jsonpatched.data, {"b": "two", "c": "3"}, "data after the JSON patch")

        # list with label selectors
        self.core.create_namespaced_config_map(
            ns,
            client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name="other", labels={"app": "else", "tier": "two"}),
                data={"x": "y"},
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        for selector, wanted in [
            ("app=pyclient", ["settings"]),
            ("app=else", ["other"]),
            ("app=pyclient,patched=smp", ["settings"]),
            ("tier in (one,two)", ["other", "settings"]),
            ("app!=pyclient", ["other"]),
            ("patched", ["settings"]),
            ("!patched", ["other"]),
            ("app=nobody", []),
        ]:
            listed = self.core.list_namespaced_config_map(
                ns, label_selector=selector, _request_timeout=REQUEST_TIMEOUT
            )
            # kube-root-ca.crt, published into every namespace, has no labels: negative
            # selectors (app!=pyclient, !patched) match it as they do in kube.
            names = sorted(c.metadata.name for c in listed.items if c.metadata.name != ROOT_CA)
            expect_eq(names, wanted, f"names listed with label_selector={selector!r}")
            expect(listed.metadata.resource_version, f"list {selector!r} has no resourceVersion")

        # delete, then the object is gone
        self.core.delete_namespaced_config_map("settings", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_api_error(
            lambda: self.core.read_namespaced_config_map(
                "settings", ns, _request_timeout=REQUEST_TIMEOUT
            ),
            404,
            "NotFound",
            'configmaps "settings" not found',
            "read after delete",
        )
        self.core.delete_namespaced_config_map("other", ns, _request_timeout=REQUEST_TIMEOUT)
        left = self.core.list_namespaced_config_map(
            ns, label_selector="app in (pyclient,else)", _request_timeout=REQUEST_TIMEOUT
        )
        expect_eq([c.metadata.name for c in left.items], [], "ConfigMaps left after deletes")
        return "create, read, strategic merge/merge/JSON patch, label selectors, delete"

    def not_found(self):
        e = expect_api_error(
            lambda: self.core.read_namespaced_config_map(
                "no-such-map", self.ns, _request_timeout=REQUEST_TIMEOUT
            ),
            404,
            "NotFound",
            'configmaps "no-such-map" not found',
            "read of a missing ConfigMap",
        )
        expect_api_error(
            lambda: self.apps.read_namespaced_deployment(
                "no-such-deploy", self.ns, _request_timeout=REQUEST_TIMEOUT
            ),
            404,
            "NotFound",
            'deployments.apps "no-such-deploy" not found',
            "read of a missing Deployment",
        )
        expect_api_error(
            lambda: self.core.delete_namespaced_config_map(
                "no-such-map", self.ns, _request_timeout=REQUEST_TIMEOUT
            ),
            404,
            "NotFound",
            'configmaps "no-such-map" not found',
            "delete of a missing ConfigMap",
        )
        return f"ApiException {e.status} {e.reason}"

    def conflict(self):
        ns = self.ns
        self.core.create_namespaced_config_map(
            ns,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name="contended"), data={"v": "0"}),
            _request_timeout=REQUEST_TIMEOUT,
        )
        stale = self.core.read_namespaced_config_map("contended", ns, _request_timeout=REQUEST_TIMEOUT)
        fresh = self.core.read_namespaced_config_map("contended", ns, _request_timeout=REQUEST_TIMEOUT)
        fresh.data = {"v": "1"}
        replaced = self.core.replace_namespaced_config_map(
            "contended", ns, fresh, _request_timeout=REQUEST_TIMEOUT
        )
        expect_eq(replaced.data, {"v": "1"}, "data after the first replace")
        expect(
            replaced.metadata.resource_version != stale.metadata.resource_version,
            "the replace did not change resourceVersion",
        )
        stale.data = {"v": "stale"}
        e = expect_api_error(
            lambda: self.core.replace_namespaced_config_map(
                "contended", ns, stale, _request_timeout=REQUEST_TIMEOUT
            ),
            409,
            "Conflict",
            'Operation cannot be fulfilled on configmaps "contended": the object has been modified',
            "replace with a stale resourceVersion",
        )
        current = self.core.read_namespaced_config_map("contended", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(current.data, {"v": "1"}, "data after the rejected replace")
        self.core.delete_namespaced_config_map("contended", ns, _request_timeout=REQUEST_TIMEOUT)
        return f"ApiException {e.status} {e.reason}"

    def configmap_dry_run_delete(self):
        ns = self.ns
        created = self.core.create_namespaced_config_map(
            ns,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name="kept"), data={"k": "v"}),
            _request_timeout=REQUEST_TIMEOUT,
        )
        # The dry run travels in the DeleteOptions body, as kubectl delete --dry-run=server sends
        # it, not as a query parameter.
        answer = self.core.delete_namespaced_config_map(
            "kept",
            ns,
            body=client.V1DeleteOptions(dry_run=["All"]),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect(answer is not None, "the dry-run delete answered nothing")
        read = self.core.read_namespaced_config_map("kept", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(read.metadata.uid, created.metadata.uid, "uid after the dry-run delete")
        expect_eq(
            read.metadata.resource_version,
            created.metadata.resource_version,
            "resourceVersion after the dry-run delete",
        )
        expect_eq(read.data, {"k": "v"}, "data after the dry-run delete")
        self.core.delete_namespaced_config_map(
            "kept", ns, body=client.V1DeleteOptions(), _request_timeout=REQUEST_TIMEOUT
        )
        expect_api_error(
            lambda: self.core.read_namespaced_config_map(
                "kept", ns, _request_timeout=REQUEST_TIMEOUT
            ),
            404,
            "NotFound",
            'configmaps "kept" not found',
            "read after the real delete",
        )
        return "DeleteOptions dryRun=[All] kept the ConfigMap; the real delete removed it"

    # -- Secrets -------------------------------------------------------------------------------

    def secret(self):
        ns = self.ns
        created = self.core.create_namespaced_secret(
            ns,
            client.V1Secret(
                metadata=client.V1ObjectMeta(name="credentials"),
                data={"token": b64("s3cr3t"), "binary": base64.b64encode(b"\x00\xff\x10").decode()},
                string_data={"plain": "text value"},
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.type, "Opaque", "defaulted type of the created Secret")
        read = self.core.read_namespaced_secret("credentials", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(read.type, "Opaque", "type of the read Secret")
        expect_eq(
            read.data,
            {
                "token": b64("s3cr3t"),
                "binary": base64.b64encode(b"\x00\xff\x10").decode(),
                "plain": b64("text value"),
            },
            "data of the read Secret (stringData folded into data)",
        )
        expect_eq(read.string_data, None, "stringData of the read Secret")
        expect_eq(base64.b64decode(read.data["token"]), b"s3cr3t", "decoded token")
        return "data and stringData round-trip, type Opaque"

    # -- workloads -----------------------------------------------------------------------------

    def deployment(self):
        ns = self.ns
        labels = {"app": "web"}
        body = client.V1Deployment(
            metadata=client.V1ObjectMeta(name="web", labels=labels),
            spec=client.V1DeploymentSpec(
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(
                        containers=[
                            client.V1Container(
                                name="main",
                                image="nginx:1.27",
                                ports=[client.V1ContainerPort(container_port=8080)],
                            )
                        ]
                    ),
                ),
            ),
        )
        created = self.apps.create_namespaced_deployment(ns, body, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(created.metadata.generation, 1, "generation of the created Deployment")
        read = self.apps.read_namespaced_deployment("web", ns, _request_timeout=REQUEST_TIMEOUT)
        spec = read.spec
        expect_eq(spec.replicas, 1, "defaulted spec.replicas")
        expect_eq(spec.strategy.type, "RollingUpdate", "defaulted spec.strategy.type")
        expect(spec.strategy.rolling_update is not None, "defaulted strategy has no rollingUpdate")
        expect_eq(spec.strategy.rolling_update.max_surge, "25%", "defaulted maxSurge")
        expect_eq(spec.strategy.rolling_update.max_unavailable, "25%", "defaulted maxUnavailable")
        expect_eq(spec.revision_history_limit, 10, "defaulted revisionHistoryLimit")
        expect_eq(spec.progress_deadline_seconds, 600, "defaulted progressDeadlineSeconds")
        pod = spec.template.spec
        expect_eq(pod.restart_policy, "Always", "defaulted restartPolicy")
        expect_eq(pod.dns_policy, "ClusterFirst", "defaulted dnsPolicy")
        expect_eq(pod.containers[0].image_pull_policy, "IfNotPresent", "defaulted imagePullPolicy")
        expect_eq(pod.containers[0].ports[0].protocol, "TCP", "defaulted port protocol")

        # strategic merge patch merges the containers list by name; merge patch replaces it
        patched = self.apps.patch_namespaced_deployment(
            "web",
            ns,
            {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.28"}]}}}},
            _request_timeout=REQUEST_TIMEOUT,
        )
        containers = patched.spec.template.spec.containers
        expect_eq(len(containers), 1, "containers after the strategic merge patch")
        expect_eq(containers[0].image, "nginx:1.28", "image after the strategic merge patch")
        expect_eq(
            [p.container_port for p in containers[0].ports or []],
            [8080],
            "ports kept by the strategic merge patch",
        )
        expect_eq(patched.metadata.generation, 2, "generation after a spec change")
        scaled = self.apps_merge.patch_namespaced_deployment(
            "web", ns, {"spec": {"replicas": 3}}, _request_timeout=REQUEST_TIMEOUT
        )
        expect_eq(scaled.spec.replicas, 3, "replicas after the merge patch")
        scale = self.apps.read_namespaced_deployment_scale("web", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(scale.spec.replicas, 3, "scale subresource spec.replicas")
        return "defaults replicas=1, RollingUpdate 25%/25%; SMP keeps ports; scale=3"

    def job(self):
        ns = self.ns
        created = self.batch.create_namespaced_job(
            ns,
            client.V1Job(
                metadata=client.V1ObjectMeta(name="once"),
                spec=client.V1JobSpec(
                    template=client.V1PodTemplateSpec(
                        spec=client.V1PodSpec(
                            restart_policy="Never",
                            containers=[
                                client.V1Container(
                                    name="work", image="busybox:1.36", command=["true"]
                                )
                            ],
                        )
                    )
                ),
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.metadata.name, "once", "Job name")
        read = self.batch.read_namespaced_job("once", ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(read.spec.backoff_limit, 6, "defaulted backoffLimit")
        expect_eq(read.spec.completions, 1, "defaulted completions")
        expect_eq(read.spec.parallelism, 1, "defaulted parallelism")
        expect_eq(read.spec.completion_mode, "NonIndexed", "defaulted completionMode")
        uid = read.metadata.uid
        expect(read.spec.selector is not None, "the Job has no generated selector")
        expect_eq(
            (read.spec.selector.match_labels or {}).get("batch.kubernetes.io/controller-uid"),
            uid,
            "generated selector",
        )
        expect_eq(
            (read.spec.template.metadata.labels or {}).get("batch.kubernetes.io/controller-uid"),
            uid,
            "generated template label",
        )
        jobs = self.batch.list_namespaced_job(ns, _request_timeout=REQUEST_TIMEOUT)
        expect_eq([j.metadata.name for j in jobs.items], ["once"], "listed Jobs")
        return "defaults backoffLimit=6, completions=1, generated selector"

    def daemon_set(self):
        ns = self.ns
        labels = {"app": "agent"}
        body = client.V1DaemonSet(
            metadata=client.V1ObjectMeta(name="agent"),
            spec=client.V1DaemonSetSpec(
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(
                        containers=[client.V1Container(name="agent", image="busybox:1.36")]
                    ),
                ),
            ),
        )
        # The client's model refuses a DaemonSetStatus without its four required counters: the
        # create and the read fail to deserialize unless the server writes them at 0.
        created = self.apps.create_namespaced_daemon_set(ns, body, _request_timeout=REQUEST_TIMEOUT)
        read = self.apps.read_namespaced_daemon_set("agent", ns, _request_timeout=REQUEST_TIMEOUT)
        for what, ds in [("created", created), ("read", read)]:
            expect(ds.status is not None, f"the {what} DaemonSet has no status")
            for field in [
                "current_number_scheduled",
                "desired_number_scheduled",
                "number_misscheduled",
                "number_ready",
            ]:
                expect_eq(getattr(ds.status, field), 0, f"status.{field} of the {what} DaemonSet")
        expect_eq(read.metadata.uid, created.metadata.uid, "uid of the read DaemonSet")
        expect_eq(read.spec.update_strategy.type, "RollingUpdate", "defaulted updateStrategy")
        self.apps.delete_namespaced_daemon_set("agent", ns, _request_timeout=REQUEST_TIMEOUT)
        return "status counters 0 on create and read"

    def replication_controller(self):
        ns = self.ns
        labels = {"app": "legacy"}
        created = self.core.create_namespaced_replication_controller(
            ns,
            client.V1ReplicationController(
                metadata=client.V1ObjectMeta(name="legacy"),
                spec=client.V1ReplicationControllerSpec(
                    selector=labels,
                    template=client.V1PodTemplateSpec(
                        metadata=client.V1ObjectMeta(labels=labels),
                        spec=client.V1PodSpec(
                            containers=[client.V1Container(name="main", image="busybox:1.36")]
                        ),
                    ),
                ),
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        read = self.core.read_namespaced_replication_controller(
            "legacy", ns, _request_timeout=REQUEST_TIMEOUT
        )
        for what, rc in [("created", created), ("read", read)]:
            expect(rc.status is not None, f"the {what} ReplicationController has no status")
            expect_eq(rc.status.replicas, 0, f"status.replicas of the {what} ReplicationController")
        expect_eq(read.spec.replicas, 1, "defaulted spec.replicas")
        self.core.delete_namespaced_replication_controller(
            "legacy", ns, _request_timeout=REQUEST_TIMEOUT
        )
        return "status.replicas 0 on create and read"

    # -- RBAC and networking -------------------------------------------------------------------

    def cluster_role(self):
        name = self.role_name
        created = self.rbac.create_cluster_role(
            client.V1ClusterRole(
                metadata=client.V1ObjectMeta(name=name, labels={"owner": "pyclient"}),
                rules=[
                    client.V1PolicyRule(
                        api_groups=[""], resources=["configmaps"], verbs=["get", "list", "watch"]
                    )
                ],
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.metadata.name, name, "ClusterRole name")
        expect_eq(created.metadata.namespace, None, "ClusterRole namespace")
        read = self.rbac.read_cluster_role(name, _request_timeout=REQUEST_TIMEOUT)
        expect_eq(len(read.rules), 1, "rules of the read ClusterRole")
        expect_eq(read.rules[0].api_groups, [""], "rule apiGroups")
        expect_eq(read.rules[0].resources, ["configmaps"], "rule resources")
        expect_eq(read.rules[0].verbs, ["get", "list", "watch"], "rule verbs")
        listed = self.rbac.list_cluster_role(
            label_selector="owner=pyclient", _request_timeout=REQUEST_TIMEOUT
        )
        expect(name in [r.metadata.name for r in listed.items], f"{name} not listed")
        self.rbac.delete_cluster_role(name, _request_timeout=REQUEST_TIMEOUT)
        expect_api_error(
            lambda: self.rbac.read_cluster_role(name, _request_timeout=REQUEST_TIMEOUT),
            404,
            "NotFound",
            f'clusterroles.rbac.authorization.k8s.io "{name}" not found',
            "read of the deleted ClusterRole",
        )
        return name

    def ingress(self):
        ns = self.ns
        backend = client.V1IngressBackend(
            service=client.V1IngressServiceBackend(
                name="web", port=client.V1ServiceBackendPort(number=80)
            )
        )
        created = self.networking.create_namespaced_ingress(
            ns,
            client.V1Ingress(
                metadata=client.V1ObjectMeta(name="web"),
                spec=client.V1IngressSpec(
                    rules=[
                        client.V1IngressRule(
                            host="web.example.com",
                            http=client.V1HTTPIngressRuleValue(
                                paths=[
                                    client.V1HTTPIngressPath(
                                        path="/", path_type="Prefix", backend=backend
                                    )
                                ]
                            ),
                        )
                    ]
                ),
            ),
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.metadata.name, "web", "Ingress name")
        read = self.networking.read_namespaced_ingress("web", ns, _request_timeout=REQUEST_TIMEOUT)
        rule = read.spec.rules[0]
        expect_eq(rule.host, "web.example.com", "Ingress host")
        path = rule.http.paths[0]
        expect_eq(path.path, "/", "Ingress path")
        expect_eq(path.path_type, "Prefix", "Ingress pathType")
        expect_eq(path.backend.service.name, "web", "Ingress backend service")
        expect_eq(path.backend.service.port.number, 80, "Ingress backend port")
        return "host web.example.com -> web:80"

    # -- metadata-only answers -----------------------------------------------------------------

    def raw_get(self, path, accept):
        """GET `path` with `accept` through the client's own ApiClient; the decoded JSON body."""
        data, status, headers = self.core.api_client.call_api(
            path,
            "GET",
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
            response_type="object",
            _preload_content=True,
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(status, 200, f"HTTP status of GET {path}")
        content_type = headers.get("Content-Type") or headers.get("content-type") or ""
        expect(
            content_type.startswith("application/json"),
            f"Content-Type {content_type!r} of GET {path}",
        )
        expect(isinstance(data, dict), f"GET {path} answered {data!r}, not an object")
        return data

    def expect_partial_node(self, obj, what):
        expect_eq(obj.get("kind"), "PartialObjectMetadata", f"{what}: kind")
        expect_eq(obj.get("apiVersion"), "meta.k8s.io/v1", f"{what}: apiVersion")
        for field in ["spec", "status"]:
            expect(field not in obj, f"{what}: has {field}: {obj!r}")
        meta = obj.get("metadata") or {}
        expect(meta.get("name"), f"{what}: no metadata.name")
        expect(meta.get("uid"), f"{what}: no metadata.uid")
        expect(meta.get("resourceVersion"), f"{what}: no metadata.resourceVersion")
        return meta

    def metadata_only_nodes(self):
        name = self.node_name
        created = self.core.create_node(
            client.V1Node(metadata=client.V1ObjectMeta(name=name, labels={"owner": "pyclient"})),
            _request_timeout=REQUEST_TIMEOUT,
        )
        try:
            listed = self.raw_get("/api/v1/nodes", ACCEPT_METADATA_LIST)
            expect_eq(listed.get("kind"), "PartialObjectMetadataList", "kind of the list")
            expect_eq(listed.get("apiVersion"), "meta.k8s.io/v1", "apiVersion of the list")
            expect((listed.get("metadata") or {}).get("resourceVersion"), "list resourceVersion")
            items = listed.get("items") or []
            names = []
            for i, item in enumerate(items):
                names.append(self.expect_partial_node(item, f"list item {i}")["name"])
            expect(name in names, f"{name} not among the listed nodes {names}")
            mine = [it for it in items if it["metadata"]["name"] == name][0]
            expect_eq(
                (mine["metadata"].get("labels") or {}).get("owner"), "pyclient", "listed labels"
            )
            expect_eq(mine["metadata"]["uid"], created.metadata.uid, "listed uid")

            got = self.raw_get(f"/api/v1/nodes/{name}", ACCEPT_METADATA)
            meta = self.expect_partial_node(got, "metadata-only get")
            expect_eq(meta["name"], name, "name of the metadata-only get")
            expect_eq(meta["uid"], created.metadata.uid, "uid of the metadata-only get")
            expect_eq(
                meta["resourceVersion"],
                created.metadata.resource_version,
                "resourceVersion of the metadata-only get",
            )

            # The same list through the dynamic client (discovery, then the resource's path).
            nodes = dynamic.DynamicClient(self.core.api_client).resources.get(
                api_version="v1", kind="Node"
            )
            answer = nodes.get(
                header_params={"Accept": ACCEPT_METADATA_LIST},
                label_selector="owner=pyclient",
                _request_timeout=REQUEST_TIMEOUT,
            )
            expect_eq(answer.kind, "PartialObjectMetadataList", "kind through the dynamic client")
            dyn = [item.to_dict() for item in answer.items]
            for i, item in enumerate(dyn):
                self.expect_partial_node(item, f"dynamic list item {i}")
            expect_eq(
                [item["metadata"]["name"] for item in dyn],
                [name],
                "names listed through the dynamic client",
            )
        finally:
            self.core.delete_node(name, _request_timeout=REQUEST_TIMEOUT)
        return f"list of {len(items)} PartialObjectMetadata, get, dynamic client"

    # -- watch ---------------------------------------------------------------------------------

    def watch_configmaps(self):
        ns = self.ns
        name = "watched"
        listed = self.core.list_namespaced_config_map(ns, _request_timeout=REQUEST_TIMEOUT)
        rv = listed.metadata.resource_version
        expect(rv, "the list has no resourceVersion")

        errors = []

        def create_soon():
            # Give the watch a moment to be established, then make the first change from here; the
            # later changes are made by the watching loop as it sees each event.
            time.sleep(0.5)
            try:
                self.core.create_namespaced_config_map(
                    ns,
                    client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"n": "1"}),
                    _request_timeout=REQUEST_TIMEOUT,
                )
            except Exception as e:  # noqa: BLE001 - reported by the watching loop
                errors.append(e)

        creator = threading.Thread(target=create_soon, daemon=True)
        w = watch.Watch()
        seen = []
        started = time.monotonic()
        creator.start()
        try:
            for event in w.stream(
                self.core.list_namespaced_config_map,
                ns,
                resource_version=rv,
                timeout_seconds=WATCH_SECONDS,
                _request_timeout=WATCH_SECONDS + 10,
            ):
                obj = event["object"]
                expect(
                    isinstance(obj, client.V1ConfigMap),
                    f"event object is {type(obj).__name__}, not V1ConfigMap: {event!r}",
                )
                if obj.metadata.name != name:
                    continue
                seen.append((event["type"], obj.metadata.resource_version, dict(obj.data or {})))
                if event["type"] == "ADDED":
                    self.core.patch_namespaced_config_map(
                        name, ns, {"data": {"n": "2"}}, _request_timeout=REQUEST_TIMEOUT
                    )
                elif event["type"] == "MODIFIED":
                    self.core.delete_namespaced_config_map(
                        name, ns, _request_timeout=REQUEST_TIMEOUT
                    )
                elif event["type"] == "DELETED":
                    w.stop()
        finally:
            creator.join(REQUEST_TIMEOUT)
        if errors:
            raise CheckFailed(f"creating {name} while watching failed: {errors[0]!r}")
        types = [t for t, _, _ in seen]
        expect_eq(types, ["ADDED", "MODIFIED", "DELETED"], f"event types (events {seen!r})")
        expect_eq(seen[0][2], {"n": "1"}, "data in ADDED")
        expect_eq(seen[1][2], {"n": "2"}, "data in MODIFIED")
        rvs = [int(r) for _, r, _ in seen]
        expect(rvs[0] > int(rv), f"ADDED resourceVersion {rvs[0]} not after the list's {rv}")
        expect(rvs == sorted(rvs) and len(set(rvs)) == 3, f"resourceVersions not increasing: {rvs}")
        return f"ADDED, MODIFIED, DELETED in {time.monotonic() - started:.1f}s"

    # -- cleanup -------------------------------------------------------------------------------

    def server_side_apply(self):
        ns = self.ns
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"},
                "data": {"a": "1", "b": "2"}}
        created = self.core_apply.patch_namespaced_config_map(
            "applied", ns, body, field_manager="pyclient",
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(created.data, {"a": "1", "b": "2"}, "data after the first apply")
        entries = [(m.manager, m.operation) for m in created.metadata.managed_fields or []]
        expect_eq(entries, [("pyclient", "Apply")], "managedFields after the first apply")
        # Another manager changes a; applying another value for a conflicts.
        self.core_merge.patch_namespaced_config_map(
            "applied", ns, {"data": {"a": "changed"}}, field_manager="other",
            _request_timeout=REQUEST_TIMEOUT,
        )
        body["data"] = {"a": "10"}
        expect_api_error(
            lambda: self.core_apply.patch_namespaced_config_map(
                "applied", ns, body, field_manager="pyclient",
                _request_timeout=REQUEST_TIMEOUT,
            ),
            409,
            "Conflict",
            'Apply failed with 1 conflict: conflict with "other" using v1: .data.a',
            "an apply over another manager's field",
        )
        forced = self.core_apply.patch_namespaced_config_map(
            "applied", ns, body, field_manager="pyclient", force=True,
            _request_timeout=REQUEST_TIMEOUT,
        )
        expect_eq(forced.data, {"a": "10"}, "data after the forced apply (b was dropped)")
        return "apply, conflict (409), force"

    def delete_namespace(self):
        self.core.delete_namespace(self.ns, _request_timeout=REQUEST_TIMEOUT)
        read = None
        try:
            read = self.core.read_namespace(self.ns, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            expect_eq(e.status, 404, "reading the deleted namespace")
            return "gone"
        expect_eq(read.status.phase, "Terminating", "phase of the deleted namespace")
        return "Terminating"


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} KUBECONFIG", file=sys.stderr)
        return 2
    print(f"python kubernetes client {kubernetes.__version__}", flush=True)
    checks = Checks(argv[1])
    checks.run("version", checks.version)
    checks.run("list namespaces", checks.list_namespaces)
    if not checks.run("create namespace", checks.create_namespace):
        print("FAILED: the test namespace could not be created; nothing else can run", flush=True)
        return 1
    checks.run("configmap create/read/patch/list/delete", checks.configmap_crud)
    checks.run("404 NotFound", checks.not_found)
    checks.run("409 Conflict on a stale replace", checks.conflict)
    checks.run("configmap dry-run delete", checks.configmap_dry_run_delete)
    checks.run("secret", checks.secret)
    checks.run("deployment", checks.deployment)
    checks.run("job", checks.job)
    checks.run("daemonset", checks.daemon_set)
    checks.run("replicationcontroller", checks.replication_controller)
    checks.run("clusterrole", checks.cluster_role)
    checks.run("ingress", checks.ingress)
    checks.run("metadata-only nodes", checks.metadata_only_nodes)
    checks.run("server-side apply", checks.server_side_apply)
    checks.run("watch configmaps", checks.watch_configmaps)
    checks.run("delete namespace", checks.delete_namespace)
    if checks.failures:
        print(f"FAILED: {len(checks.failures)} check(s): {', '.join(checks.failures)}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
