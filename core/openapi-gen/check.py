"""Checks a generated schemas.json.

Usage: python3 check.py SCHEMAS_JSON [PREVIOUS_SCHEMAS_JSON]

Asserts that the file is valid JSON and that every kind a default v1.32
kube-apiserver serves has a definition carrying its
x-kubernetes-group-version-kind (and, for listable kinds, a list definition).
With a previous file, reports added and removed definitions and every
existing definition whose content changed, listing the changed keys.
"""
import json
import sys

# (definition, group, version, kind, has a list kind)
KINDS = [
    ("io.k8s.api.core.v1.Binding", "", "v1", "Binding", False),
    ("io.k8s.api.core.v1.ComponentStatus", "", "v1", "ComponentStatus", True),
    ("io.k8s.api.core.v1.ConfigMap", "", "v1", "ConfigMap", True),
    ("io.k8s.api.core.v1.Endpoints", "", "v1", "Endpoints", True),
    ("io.k8s.api.core.v1.Event", "", "v1", "Event", True),
    ("io.k8s.api.core.v1.LimitRange", "", "v1", "LimitRange", True),
    ("io.k8s.api.core.v1.Namespace", "", "v1", "Namespace", True),
    ("io.k8s.api.core.v1.Node", "", "v1", "Node", True),
    ("io.k8s.api.core.v1.PersistentVolume", "", "v1", "PersistentVolume", True),
    ("io.k8s.api.core.v1.PersistentVolumeClaim", "", "v1", "PersistentVolumeClaim", True),
    ("io.k8s.api.core.v1.Pod", "", "v1", "Pod", True),
    ("io.k8s.api.core.v1.PodTemplate", "", "v1", "PodTemplate", True),
    ("io.k8s.api.core.v1.ReplicationController", "", "v1", "ReplicationController", True),
    ("io.k8s.api.core.v1.ResourceQuota", "", "v1", "ResourceQuota", True),
    ("io.k8s.api.core.v1.Secret", "", "v1", "Secret", True),
    ("io.k8s.api.core.v1.ServiceAccount", "", "v1", "ServiceAccount", True),
    ("io.k8s.api.core.v1.Service", "", "v1", "Service", True),
    ("io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration", "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", True),
    ("io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", True),
    ("io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", True),
    ("io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", True),
    ("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition", "apiextensions.k8s.io", "v1", "CustomResourceDefinition", True),
    ("io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService", "apiregistration.k8s.io", "v1", "APIService", True),
    ("io.k8s.api.apps.v1.ControllerRevision", "apps", "v1", "ControllerRevision", True),
    ("io.k8s.api.apps.v1.DaemonSet", "apps", "v1", "DaemonSet", True),
    ("io.k8s.api.apps.v1.Deployment", "apps", "v1", "Deployment", True),
    ("io.k8s.api.apps.v1.ReplicaSet", "apps", "v1", "ReplicaSet", True),
    ("io.k8s.api.apps.v1.StatefulSet", "apps", "v1", "StatefulSet", True),
    ("io.k8s.api.authentication.v1.TokenReview", "authentication.k8s.io", "v1", "TokenReview", False),
    ("io.k8s.api.authentication.v1.SelfSubjectReview", "authentication.k8s.io", "v1", "SelfSubjectReview", False),
    ("io.k8s.api.authentication.v1.TokenRequest", "authentication.k8s.io", "v1", "TokenRequest", False),
    ("io.k8s.api.authorization.v1.LocalSubjectAccessReview", "authorization.k8s.io", "v1", "LocalSubjectAccessReview", False),
    ("io.k8s.api.authorization.v1.SelfSubjectAccessReview", "authorization.k8s.io", "v1", "SelfSubjectAccessReview", False),
    ("io.k8s.api.authorization.v1.SelfSubjectRulesReview", "authorization.k8s.io", "v1", "SelfSubjectRulesReview", False),
    ("io.k8s.api.authorization.v1.SubjectAccessReview", "authorization.k8s.io", "v1", "SubjectAccessReview", False),
    ("io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler", "autoscaling", "v1", "HorizontalPodAutoscaler", True),
    ("io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler", "autoscaling", "v2", "HorizontalPodAutoscaler", True),
    ("io.k8s.api.autoscaling.v1.Scale", "autoscaling", "v1", "Scale", False),
    ("io.k8s.api.batch.v1.CronJob", "batch", "v1", "CronJob", True),
    ("io.k8s.api.batch.v1.Job", "batch", "v1", "Job", True),
    ("io.k8s.api.certificates.v1.CertificateSigningRequest", "certificates.k8s.io", "v1", "CertificateSigningRequest", True),
    ("io.k8s.api.coordination.v1.Lease", "coordination.k8s.io", "v1", "Lease", True),
    ("io.k8s.api.discovery.v1.EndpointSlice", "discovery.k8s.io", "v1", "EndpointSlice", True),
    ("io.k8s.api.events.v1.Event", "events.k8s.io", "v1", "Event", True),
    ("io.k8s.api.flowcontrol.v1.FlowSchema", "flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", True),
    ("io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", True),
    ("io.k8s.api.networking.v1.Ingress", "networking.k8s.io", "v1", "Ingress", True),
    ("io.k8s.api.networking.v1.IngressClass", "networking.k8s.io", "v1", "IngressClass", True),
    ("io.k8s.api.networking.v1.NetworkPolicy", "networking.k8s.io", "v1", "NetworkPolicy", True),
    ("io.k8s.api.node.v1.RuntimeClass", "node.k8s.io", "v1", "RuntimeClass", True),
    ("io.k8s.api.policy.v1.PodDisruptionBudget", "policy", "v1", "PodDisruptionBudget", True),
    ("io.k8s.api.policy.v1.Eviction", "policy", "v1", "Eviction", False),
    ("io.k8s.api.rbac.v1.ClusterRole", "rbac.authorization.k8s.io", "v1", "ClusterRole", True),
    ("io.k8s.api.rbac.v1.ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", True),
    ("io.k8s.api.rbac.v1.Role", "rbac.authorization.k8s.io", "v1", "Role", True),
    ("io.k8s.api.rbac.v1.RoleBinding", "rbac.authorization.k8s.io", "v1", "RoleBinding", True),
    ("io.k8s.api.scheduling.v1.PriorityClass", "scheduling.k8s.io", "v1", "PriorityClass", True),
    ("io.k8s.api.storage.v1.CSIDriver", "storage.k8s.io", "v1", "CSIDriver", True),
    ("io.k8s.api.storage.v1.CSINode", "storage.k8s.io", "v1", "CSINode", True),
    ("io.k8s.api.storage.v1.CSIStorageCapacity", "storage.k8s.io", "v1", "CSIStorageCapacity", True),
    ("io.k8s.api.storage.v1.StorageClass", "storage.k8s.io", "v1", "StorageClass", True),
    ("io.k8s.api.storage.v1.VolumeAttachment", "storage.k8s.io", "v1", "VolumeAttachment", True),
]


def refs(node, out):
    """Collects every $ref target below node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.add(v.rsplit("/", 1)[-1])
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main():
    with open(sys.argv[1]) as f:
        defs = json.load(f)
    problems = []
    for name, group, version, kind, listable in KINDS:
        want = {"group": group, "kind": kind, "version": version}
        d = defs.get(name)
        if d is None:
            problems.append(f"missing definition {name}")
            continue
        if want not in d.get("x-kubernetes-group-version-kind", []):
            problems.append(f"{name} lacks GVK {want}")
        if not d.get("description"):
            problems.append(f"{name} has no description")
        if "metadata" in d.get("required", []):
            problems.append(f"{name} requires metadata")
        if listable:
            lst = defs.get(name + "List")
            want_list = dict(want, kind=kind + "List")
            if lst is None or want_list not in lst.get("x-kubernetes-group-version-kind", []):
                problems.append(f"{name}List missing or lacks GVK {want_list}")
    # Every reference resolves, and every property of every definition is described
    # when its definition is.
    targets = set()
    refs(defs, targets)
    for t in sorted(targets - set(defs)):
        problems.append(f"dangling $ref {t}")
    undescribed = [
        f"{n}.{p}"
        for n, d in defs.items()
        for p, v in (d.get("properties") or {}).items()
        if not v.get("description")
    ]
    print(f"{len(defs)} definitions; {len(KINDS)} kinds checked; "
          f"{len(undescribed)} properties without description: {undescribed}")
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            old = json.load(f)
        added = sorted(set(defs) - set(old))
        removed = sorted(set(old) - set(defs))
        print(f"previous: {len(old)} definitions; added {len(added)}; removed {len(removed)} {removed}")
        for n in sorted(set(old) & set(defs)):
            if old[n] != defs[n]:
                changed = sorted(
                    k for k in set(old[n]) | set(defs[n]) if old[n].get(k) != defs[n].get(k)
                )
                sub = []
                if "properties" in changed:
                    op, np = old[n].get("properties", {}), defs[n].get("properties", {})
                    sub = sorted(p for p in set(op) | set(np) if op.get(p) != np.get(p))
                print(f"changed {n}: keys {changed} properties {sub}")
        for n in removed:
            problems.append(f"definition removed: {n}")
    for p in problems:
        print("PROBLEM:", p)
    print("ok" if not problems else f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
