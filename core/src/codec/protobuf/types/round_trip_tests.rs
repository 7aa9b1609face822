//! JSON → protobuf → JSON round trips for every kind described in this folder beyond the
//! original set, each with a representative object exercising nested messages, maps,
//! repeated fields, int-or-string values, quantities and times where the kind has them.

use serde_json::{json, Value};

use super::super::{decode, encode};

fn round_trip(object: Value) {
    let body = encode(&object).unwrap_or_else(|e| panic!("encode {object}: {e}"));
    let decoded = decode(&body).unwrap_or_else(|e| panic!("decode {object}: {e}"));
    assert_eq!(decoded.object, object);
    // The encoding is deterministic: encoding the decoded object gives the same bytes.
    assert_eq!(encode(&decoded.object).ok(), Some(body));
}

fn meta() -> Value {
    json!({
        "name": "x",
        "namespace": "ns",
        "uid": "u-1",
        "resourceVersion": "7",
        "generation": 2,
        "creationTimestamp": "2024-05-06T07:08:09Z",
        "labels": {"app": "x"},
        "annotations": {"note": "hi"}
    })
}

fn selector() -> Value {
    json!({"matchLabels": {"app": "x"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]})
}

fn pod_template() -> Value {
    json!({
        "metadata": {"labels": {"app": "x"}, "creationTimestamp": null},
        "spec": {
            "volumes": [
                {"name": "g", "gitRepo": {"repository": "https://example.com/r.git", "revision": "main"}},
                {"name": "r", "rbd": {"monitors": ["1.2.3.4:6789"], "image": "img", "pool": "rbd", "secretRef": {"name": "ceph"}, "readOnly": true}},
                {"name": "c", "cephfs": {"monitors": ["m"], "path": "/", "user": "admin", "secretRef": {"name": "s"}}},
                {"name": "i", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.2001-04.com.example:disk", "lun": 0, "portals": ["10.0.0.2:3260"], "chapAuthSession": true, "secretRef": {"name": "chap"}}},
                {"name": "f", "fc": {"targetWWNs": ["500a0981891b8dc5"], "lun": 2, "fsType": "ext4"}},
                {"name": "fl", "flexVolume": {"driver": "example/lvm", "options": {"size": "1G"}}},
                {"name": "a", "azureDisk": {"diskName": "d", "diskURI": "https://d", "cachingMode": "ReadOnly", "kind": "Managed"}},
                {"name": "s", "scaleIO": {"gateway": "https://gw", "system": "sys", "secretRef": {"name": "sio"}, "sslEnabled": true}},
                {"name": "so", "storageos": {"volumeName": "v", "volumeNamespace": "default", "secretRef": {"name": "sos"}}},
                {"name": "pw", "portworxVolume": {"volumeID": "pxd", "fsType": "ext4"}},
                {"name": "e", "emptyDir": {"sizeLimit": "1Gi"}}
            ],
            "containers": [{"name": "c", "image": "img", "resources": {"limits": {"cpu": "500m"}}, "ports": [{"containerPort": 80}]}],
            "restartPolicy": "Always"
        }
    })
}

#[test]
fn core_kinds() {
    round_trip(json!({
        "kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta(),
        "spec": {
            "capacity": {"storage": "10Gi"},
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1", "fsType": "ext4", "volumeAttributes": {"a": "b"}, "nodeStageSecretRef": {"name": "s", "namespace": "kube-system"}, "nodeExpandSecretRef": {"name": "e", "namespace": "kube-system"}},
            "accessModes": ["ReadWriteOnce"],
            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "ns", "name": "data", "uid": "u"},
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "standard",
            "mountOptions": ["ro", "soft"],
            "volumeMode": "Filesystem",
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}
        },
        "status": {"phase": "Bound", "message": "ok", "lastPhaseTransitionTime": "2024-05-06T07:08:09Z"}
    }));
    // Every persistent source, one per object (upstream allows exactly one).
    let sources = [
        json!({"hostPath": {"path": "/data", "type": "DirectoryOrCreate"}}),
        json!({"nfs": {"server": "nfs.example.com", "path": "/exports", "readOnly": true}}),
        json!({"local": {"path": "/mnt/disks/ssd1", "fsType": "xfs"}}),
        json!({"gcePersistentDisk": {"pdName": "pd", "fsType": "ext4", "partition": 1}}),
        json!({"awsElasticBlockStore": {"volumeID": "vol-1", "readOnly": false}}),
        json!({"glusterfs": {"endpoints": "ep", "path": "vol", "endpointsNamespace": "ns"}}),
        json!({"rbd": {"monitors": ["m"], "image": "i", "secretRef": {"name": "s", "namespace": "ns"}}}),
        json!({"iscsi": {"targetPortal": "p", "iqn": "q", "lun": 1, "secretRef": {"name": "s", "namespace": "ns"}, "initiatorName": "init"}}),
        json!({"cinder": {"volumeID": "v", "secretRef": {"name": "s", "namespace": "ns"}}}),
        json!({"cephfs": {"monitors": ["m"], "secretFile": "/etc/ceph/s", "secretRef": {"name": "s", "namespace": "ns"}, "readOnly": true}}),
        json!({"fc": {"wwids": ["w"]}}),
        json!({"flocker": {"datasetName": "d", "datasetUUID": "u"}}),
        json!({"flexVolume": {"driver": "d", "secretRef": {"name": "s", "namespace": "ns"}, "options": {"k": "v"}}}),
        json!({"azureFile": {"secretName": "s", "shareName": "share", "secretNamespace": "ns"}}),
        json!({"vsphereVolume": {"volumePath": "[ds] v.vmdk", "storagePolicyName": "gold", "storagePolicyID": "id"}}),
        json!({"quobyte": {"registry": "r:7861", "volume": "v", "user": "u", "group": "g", "tenant": "t"}}),
        json!({"azureDisk": {"diskName": "d", "diskURI": "uri"}}),
        json!({"photonPersistentDisk": {"pdID": "p", "fsType": "ext4"}}),
        json!({"portworxVolume": {"volumeID": "v", "readOnly": true}}),
        json!({"scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "s", "namespace": "ns"}, "protectionDomain": "pd", "storagePool": "sp", "storageMode": "ThinProvisioned", "volumeName": "v"}}),
        json!({"storageos": {"volumeName": "v", "secretRef": {"kind": "Secret", "namespace": "ns", "name": "s"}}}),
        json!({"csi": {"driver": "d", "volumeHandle": "h", "controllerPublishSecretRef": {"name": "p", "namespace": "ns"}, "controllerExpandSecretRef": {"name": "x", "namespace": "ns"}, "nodePublishSecretRef": {"name": "n", "namespace": "ns"}}}),
    ];
    for source in sources {
        let mut spec = json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"]});
        if let (Some(spec), Some(source)) = (spec.as_object_mut(), source.as_object()) {
            spec.extend(source.clone());
        }
        round_trip(
            json!({"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": "pv"}, "spec": spec}),
        );
    }

    round_trip(
        json!({"kind": "PodTemplate", "apiVersion": "v1", "metadata": meta(), "template": pod_template()}),
    );
    round_trip(json!({
        "kind": "ReplicationController", "apiVersion": "v1", "metadata": meta(),
        "spec": {"replicas": 3, "minReadySeconds": 5, "selector": {"app": "x"}, "template": pod_template()},
        "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 2,
                   "conditions": [{"type": "ReplicaFailure", "status": "True", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "FailedCreate", "message": "quota"}]}
    }));
    round_trip(json!({
        "kind": "LimitRange", "apiVersion": "v1", "metadata": meta(),
        "spec": {"limits": [
            {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"}, "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "250m"}, "maxLimitRequestRatio": {"cpu": "4"}},
            {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}}
        ]}
    }));
    round_trip(json!({
        "kind": "ComponentStatus", "apiVersion": "v1", "metadata": {"name": "etcd-0", "creationTimestamp": null},
        "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}, {"type": "Healthy", "status": "False", "error": "timeout"}]
    }));
    round_trip(json!({
        "kind": "Binding", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
        "target": {"kind": "Node", "name": "n1", "apiVersion": "v1"}
    }));
}

#[test]
fn completed_core_fields() {
    round_trip(json!({
        "kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"},
        "spec": {"configSource": {"configMap": {"namespace": "kube-system", "name": "kubelet", "kubeletConfigKey": "kubelet"}}},
        "status": {"config": {
            "assigned": {"configMap": {"namespace": "kube-system", "name": "kubelet", "uid": "u", "resourceVersion": "3", "kubeletConfigKey": "kubelet"}},
            "lastKnownGood": {"configMap": {"namespace": "kube-system", "name": "old", "kubeletConfigKey": "kubelet"}},
            "error": "failed"
        }}
    }));
    round_trip(json!({
        "kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"},
        "status": {"containerStatuses": [{
            "name": "c", "ready": true, "restartCount": 0, "image": "img", "imageID": "sha256:1",
            "allocatedResourcesStatus": [{"name": "claim:gpu/req", "resources": [{"resourceID": "dev-1", "health": "Healthy"}]}]
        }]}
    }));
}

#[test]
fn apps_autoscaling_policy() {
    round_trip(json!({
        "kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": meta(),
        "data": {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "c", "image": "img"}]}}}},
        "revision": 3
    }));
    round_trip(json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta(),
        "spec": {"replicas": 0}, "status": {"replicas": 2, "selector": "app=x"}
    }));
    round_trip(json!({
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": meta(),
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}, "minReplicas": 1, "maxReplicas": 10, "targetCPUUtilizationPercentage": 80},
        "status": {"observedGeneration": 1, "lastScaleTime": "2024-05-06T07:08:09Z", "currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 90}
    }));
    let target = |kind: &str| json!({"type": kind, "averageValue": "100m"});
    round_trip(json!({
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "metadata": meta(),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
            "minReplicas": 1, "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app", "target": target("AverageValue")}},
                {"type": "Pods", "pods": {"metric": {"name": "qps", "selector": selector()}, "target": target("AverageValue")}},
                {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"}, "metric": {"name": "rps"}, "target": {"type": "Value", "value": "10k"}}},
                {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}}
            ],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
            }
        },
        "status": {
            "observedGeneration": 1, "lastScaleTime": "2024-05-06T07:08:09Z", "currentReplicas": 2, "desiredReplicas": 3,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "250m", "averageUtilization": 70}}},
                {"type": "Object", "object": {"metric": {"name": "rps"}, "current": {"value": "12k"}, "describedObject": {"kind": "Ingress", "name": "main"}}},
                {"type": "External", "external": {"metric": {"name": "queue"}, "current": {"value": "25"}}}
            ],
            "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "ReadyForNewScale", "message": "ok"}]
        }
    }));
    round_trip(json!({
        "kind": "Eviction", "apiVersion": "policy/v1", "metadata": {"name": "p", "namespace": "ns"},
        "deleteOptions": {"gracePeriodSeconds": 30, "preconditions": {"uid": "u"}, "dryRun": ["All"]}
    }));
}

#[test]
fn networking_discovery_events_node() {
    round_trip(json!({
        "kind": "IngressClass", "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p", "scope": "Namespace", "namespace": "ns"}}
    }));
    round_trip(json!({
        "kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": meta(),
        "spec": {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [{"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}}, {"namespaceSelector": {"matchLabels": {"project": "p"}}, "podSelector": {"matchLabels": {"role": "fe"}}}],
                         "ports": [{"protocol": "TCP", "port": 6379}, {"port": "metrics"}, {"protocol": "TCP", "port": 32000, "endPort": 32768}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "UDP", "port": 53}]}],
            "policyTypes": ["Ingress", "Egress"]
        }
    }));
    round_trip(json!({
        "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
        "metadata": {"name": "svc-abc", "namespace": "ns", "labels": {"kubernetes.io/service-name": "svc"}},
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": ["10.1.0.5"], "conditions": {"ready": true, "serving": true, "terminating": false}, "hostname": "p-0",
             "targetRef": {"kind": "Pod", "namespace": "ns", "name": "p-0", "uid": "u"}, "nodeName": "n1", "zone": "a",
             "hints": {"forZones": [{"name": "a"}], "forNodes": [{"name": "n1"}]}, "deprecatedTopology": {"k": "v"}},
            {"addresses": ["10.1.0.6"], "conditions": {"ready": false}}
        ],
        "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}]
    }));
    round_trip(json!({
        "kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": meta(),
        "eventTime": "2024-05-06T07:08:09.123456Z",
        "series": {"count": 3, "lastObservedTime": "2024-05-06T07:09:09.000001Z"},
        "reportingController": "kubelet", "reportingInstance": "kubelet-n1", "action": "Pulling", "reason": "Pulled",
        "regarding": {"kind": "Pod", "namespace": "ns", "name": "p", "fieldPath": "spec.containers{c}"},
        "related": {"kind": "Node", "name": "n1"},
        "note": "pulled image", "type": "Normal",
        "deprecatedSource": {"component": "kubelet", "host": "n1"},
        "deprecatedFirstTimestamp": "2024-05-06T07:08:09Z", "deprecatedLastTimestamp": "2024-05-06T07:09:09Z", "deprecatedCount": 3
    }));
    round_trip(json!({
        "kind": "RuntimeClass", "apiVersion": "node.k8s.io/v1", "metadata": {"name": "gvisor"},
        "handler": "runsc", "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}},
        "scheduling": {"nodeSelector": {"runtime": "gvisor"}, "tolerations": [{"key": "runtime", "operator": "Equal", "value": "gvisor", "effect": "NoSchedule"}]}
    }));
}

#[test]
fn certificates_and_flowcontrol() {
    round_trip(json!({
        "kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1", "metadata": {"name": "csr-1"},
        "spec": {"request": "LS0tLS1CRUdJTg==", "signerName": "kubernetes.io/kube-apiserver-client", "expirationSeconds": 86400,
                 "usages": ["client auth"], "username": "alice", "uid": "1", "groups": ["system:authenticated"], "extra": {"scopes": ["a", "b"]}},
        "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "AutoApproved", "message": "ok", "lastUpdateTime": "2024-05-06T07:08:09Z", "lastTransitionTime": "2024-05-06T07:08:09Z"}],
                   "certificate": "AAEC"}
    }));
    round_trip(json!({
        "kind": "FlowSchema", "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "metadata": {"name": "system-leader-election"},
        "spec": {
            "priorityLevelConfiguration": {"name": "leader-election"},
            "matchingPrecedence": 100,
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [{
                "subjects": [{"kind": "User", "user": {"name": "system:kube-controller-manager"}},
                             {"kind": "Group", "group": {"name": "system:nodes"}},
                             {"kind": "ServiceAccount", "serviceAccount": {"namespace": "kube-system", "name": "*"}}],
                "resourceRules": [{"verbs": ["get", "update"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "clusterScope": false, "namespaces": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["/healthz"]}]
            }]
        },
        "status": {"conditions": [{"type": "Dangling", "status": "False", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "Found", "message": "ok"}]}
    }));
    round_trip(json!({
        "kind": "PriorityLevelConfiguration", "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "metadata": {"name": "workload-low"},
        "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 100, "lendablePercent": 90, "borrowingLimitPercent": 0,
                 "limitResponse": {"type": "Queue", "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50}}}},
        "status": {"conditions": [{"type": "ConcurrencyShared", "status": "True"}]}
    }));
    round_trip(json!({
        "kind": "PriorityLevelConfiguration", "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "metadata": {"name": "exempt"},
        "spec": {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0, "lendablePercent": 0}}
    }));
}

#[test]
fn storage_kinds() {
    round_trip(json!({
        "kind": "StorageClass", "apiVersion": "storage.k8s.io/v1",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "parameters": {"type": "pd-ssd"}, "reclaimPolicy": "Delete",
        "mountOptions": ["debug"], "allowVolumeExpansion": true, "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [{"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["a", "b"]}]}]
    }));
    round_trip(json!({
        "kind": "CSIDriver", "apiVersion": "storage.k8s.io/v1", "metadata": {"name": "ebs.csi.aws.com"},
        "spec": {"attachRequired": true, "podInfoOnMount": false, "volumeLifecycleModes": ["Persistent", "Ephemeral"], "storageCapacity": false,
                 "fsGroupPolicy": "File", "tokenRequests": [{"audience": "sts.amazonaws.com", "expirationSeconds": 3600}], "requiresRepublish": false, "seLinuxMount": true}
    }));
    round_trip(json!({
        "kind": "CSINode", "apiVersion": "storage.k8s.io/v1",
        "metadata": {"name": "n1", "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "u"}]},
        "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-123", "topologyKeys": ["topology.ebs.csi.aws.com/zone"], "allocatable": {"count": 25}}]}
    }));
    round_trip(json!({
        "kind": "CSIStorageCapacity", "apiVersion": "storage.k8s.io/v1", "metadata": meta(),
        "nodeTopology": selector(), "storageClassName": "fast", "capacity": "100Gi", "maximumVolumeSize": "10Gi"
    }));
    round_trip(json!({
        "kind": "VolumeAttachment", "apiVersion": "storage.k8s.io/v1", "metadata": {"name": "csi-123"},
        "spec": {"attacher": "ebs.csi.aws.com", "source": {"persistentVolumeName": "pv-1"}, "nodeName": "n1"},
        "status": {"attached": true, "attachmentMetadata": {"devicePath": "/dev/xvdba"},
                   "attachError": {"time": "2024-05-06T07:08:09Z", "message": "busy", "errorCode": 8},
                   "detachError": {"message": "later"}}
    }));
    round_trip(json!({
        "kind": "VolumeAttachment", "apiVersion": "storage.k8s.io/v1", "metadata": {"name": "csi-456"},
        "spec": {"attacher": "pd.csi.storage.gke.io", "nodeName": "n1",
                 "source": {"inlineVolumeSpec": {"capacity": {"storage": "5Gi"}, "csi": {"driver": "pd.csi.storage.gke.io", "volumeHandle": "h"}, "accessModes": ["ReadWriteOnce"]}}}
    }));
}

#[test]
fn admissionregistration_kinds() {
    let rules = json!([{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods", "pods/status"], "scope": "Namespaced"}]);
    let client = json!({"service": {"namespace": "ns", "name": "hook", "path": "/validate", "port": 8443}, "caBundle": "LS0tLQ=="});
    round_trip(json!({
        "kind": "ValidatingWebhookConfiguration", "apiVersion": "admissionregistration.k8s.io/v1", "metadata": {"name": "v"},
        "webhooks": [{"name": "v.example.com", "clientConfig": client, "rules": rules, "failurePolicy": "Fail", "matchPolicy": "Equivalent",
                      "namespaceSelector": selector(), "objectSelector": {"matchLabels": {"hook": "on"}}, "sideEffects": "None", "timeoutSeconds": 5,
                      "admissionReviewVersions": ["v1"], "matchConditions": [{"name": "not-system", "expression": "!request.userInfo.username.startsWith('system:')"}]}]
    }));
    round_trip(json!({
        "kind": "MutatingWebhookConfiguration", "apiVersion": "admissionregistration.k8s.io/v1", "metadata": {"name": "m"},
        "webhooks": [{"name": "m.example.com", "clientConfig": {"url": "https://hook.example.com/mutate"}, "rules": rules, "failurePolicy": "Ignore",
                      "sideEffects": "NoneOnDryRun", "timeoutSeconds": 10, "admissionReviewVersions": ["v1", "v1beta1"], "reinvocationPolicy": "IfNeeded",
                      "objectSelector": {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]}}]
    }));
    let named_rules = json!([{"resourceNames": ["a"], "operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}]);
    round_trip(json!({
        "kind": "ValidatingAdmissionPolicy", "apiVersion": "admissionregistration.k8s.io/v1", "metadata": {"name": "replicas"},
        "spec": {
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "matchConstraints": {"namespaceSelector": selector(), "resourceRules": named_rules, "excludeResourceRules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["leases"]}], "matchPolicy": "Exact"},
            "validations": [{"expression": "object.spec.replicas <= 5", "message": "too many", "reason": "Invalid", "messageExpression": "'replicas: ' + string(object.spec.replicas)"}],
            "failurePolicy": "Fail",
            "auditAnnotations": [{"key": "high-replicas", "valueExpression": "string(object.spec.replicas)"}],
            "matchConditions": [{"name": "has-spec", "expression": "has(object.spec)"}],
            "variables": [{"name": "r", "expression": "object.spec.replicas"}]
        },
        "status": {"observedGeneration": 1, "typeChecking": {"expressionWarnings": [{"fieldRef": "spec.validations[0].expression", "warning": "no such key"}]},
                   "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1, "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "Ok", "message": "ok"}]}
    }));
    round_trip(json!({
        "kind": "ValidatingAdmissionPolicyBinding", "apiVersion": "admissionregistration.k8s.io/v1", "metadata": {"name": "replicas-binding"},
        "spec": {"policyName": "replicas", "paramRef": {"name": "limits", "namespace": "ns", "selector": selector(), "parameterNotFoundAction": "Deny"},
                 "matchResources": {"namespaceSelector": {"matchLabels": {"env": "test"}}}, "validationActions": ["Deny", "Audit"]}
    }));
}

#[test]
fn apiextensions_and_apiregistration() {
    let schema = json!({
        "type": "object",
        "description": "A widget.",
        "required": ["spec"],
        "x-kubernetes-validations": [{"rule": "self.spec.size <= 10", "message": "too big", "messageExpression": "'size ' + string(self.spec.size)", "reason": "FieldValueInvalid", "fieldPath": ".spec.size", "optionalOldSelf": true}],
        "properties": {
            "apiVersion": {"type": "string"},
            "spec": {
                "type": "object",
                "properties": {
                    "size": {"type": "integer", "format": "int32", "minimum": 0.5, "maximum": 10.5, "exclusiveMaximum": true, "default": 3, "multipleOf": 0.25},
                    "mode": {"type": "string", "enum": ["fast", "slow", null], "pattern": "^[a-z]+$", "maxLength": 8, "minLength": 1, "nullable": true, "example": "fast"},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5, "minItems": 0, "uniqueItems": true, "x-kubernetes-list-type": "set"},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"],
                              "items": {"type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}, "target": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 20, "minProperties": 1, "x-kubernetes-map-type": "granular"},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
                    "choice": {"oneOf": [{"required": ["a"]}, {"required": ["b"]}], "not": {"required": ["c"]}, "allOf": [{"title": "t"}]}
                },
                "externalDocs": {"description": "docs", "url": "https://example.com"}
            },
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    });
    round_trip(json!({
        "kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1",
        "metadata": {"name": "widgets.example.com", "creationTimestamp": "2024-05-06T07:08:09Z"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "singular": "widget", "shortNames": ["wd"], "kind": "Widget", "listKind": "WidgetList", "categories": ["all"]},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": schema},
                 "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size", "labelSelectorPath": ".status.selector"}},
                 "additionalPrinterColumns": [{"name": "Size", "type": "integer", "format": "int32", "description": "size", "priority": 0, "jsonPath": ".spec.size"}],
                 "selectableFields": [{"jsonPath": ".spec.mode"}]},
                {"name": "v1beta1", "served": true, "storage": false, "deprecated": true, "deprecationWarning": "use v1",
                 "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
            ],
            "conversion": {"strategy": "Webhook", "webhook": {"clientConfig": {"service": {"namespace": "ns", "name": "conv", "path": "/convert", "port": 443}, "caBundle": "AAEC"}, "conversionReviewVersions": ["v1"]}},
            "preserveUnknownFields": false
        },
        "status": {
            "conditions": [{"type": "Established", "status": "True", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "InitialNamesAccepted", "message": "ok"}],
            "acceptedNames": {"plural": "widgets", "kind": "Widget"},
            "storedVersions": ["v1"]
        }
    }));
    round_trip(json!({
        "kind": "APIService", "apiVersion": "apiregistration.k8s.io/v1", "metadata": {"name": "v1beta1.metrics.k8s.io"},
        "spec": {"service": {"namespace": "kube-system", "name": "metrics-server", "port": 443}, "group": "metrics.k8s.io", "version": "v1beta1",
                 "insecureSkipTLSVerify": true, "caBundle": "AAEC", "groupPriorityMinimum": 100, "versionPriority": 100},
        "status": {"conditions": [{"type": "Available", "status": "False", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "MissingEndpoints", "message": "no endpoints"}]}
    }));
}

#[test]
fn crd_union_fields_other_than_a_schema_are_rejected_not_mangled() {
    for bad in [
        json!({"type": "array", "items": [{"type": "string"}]}),
        json!({"type": "object", "additionalProperties": false}),
    ] {
        let crd = json!({
            "kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1", "metadata": {"name": "a.b"},
            "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": bad}}]}
        });
        assert!(encode(&crd).is_err(), "{crd}");
    }
}

#[test]
fn every_group_version_accepts_delete_options() {
    for gv in [
        "autoscaling/v1",
        "autoscaling/v2",
        "certificates.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "flowcontrol.apiserver.k8s.io/v1",
        "node.k8s.io/v1",
        "storage.k8s.io/v1",
        "admissionregistration.k8s.io/v1",
        "apiextensions.k8s.io/v1",
        "apiregistration.k8s.io/v1",
    ] {
        round_trip(json!({"kind": "DeleteOptions", "apiVersion": gv, "propagationPolicy": "Foreground"}));
    }
}

mod fuzz {
    use proptest::prelude::*;

    use super::super::super::wire::{put_key, put_len, put_varint, VARINT};
    use super::super::super::{decode, encode, MAGIC};

    const KINDS: &[(&str, &str)] = &[
        ("v1", "PersistentVolume"),
        ("v1", "ReplicationController"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("storage.k8s.io/v1", "VolumeAttachment"),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
    ];

    fn ld(number: u32, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, number, bytes);
        out
    }

    /// Nested length-delimited fields and varints with small numbers, so random input
    /// reaches deep into the (recursive) schema tables.
    fn arb_message() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            (1u32..45, any::<u64>()).prop_map(|(n, v)| {
                let mut out = Vec::new();
                put_key(&mut out, n, VARINT);
                put_varint(&mut out, v);
                out
            }),
            (1u32..45, proptest::collection::vec(any::<u8>(), 0..12)).prop_map(|(n, b)| ld(n, &b)),
        ];
        leaf.prop_recursive(8, 96, 6, |inner| {
            (1u32..45, proptest::collection::vec(inner, 0..6)).prop_map(|(n, parts)| ld(n, &parts.concat()))
        })
    }

    proptest! {
        #[test]
        fn random_objects_never_panic_and_reencode(
            kind in 0..KINDS.len(),
            parts in proptest::collection::vec(arb_message(), 0..8),
        ) {
            let (api_version, kind) = KINDS[kind];
            let mut type_meta = Vec::new();
            put_len(&mut type_meta, 1, api_version.as_bytes());
            put_len(&mut type_meta, 2, kind.as_bytes());
            let mut body = MAGIC.to_vec();
            body.extend(ld(1, &type_meta));
            body.extend(ld(2, &parts.concat()));
            if let Ok(decoded) = decode(&body) {
                let again = encode(&decoded.object);
                prop_assert!(again.is_ok(), "{}", decoded.object);
                if let Ok(again) = again {
                    prop_assert_eq!(decode(&again).ok(), Some(decoded));
                }
            }
        }
    }
}
