//! Every built-in kind Gatehouse serves, through kubectl 1.32 against one shared Gatehouse (tokio
//! runtime, embedded store).
//!
//! For every stored kind there is a representative manifest in `tests/manifests/kinds/` and one
//! test that drives its whole life: `create --save-config -f`, `get -o json` (with the fields
//! Gatehouse must default or fill in), `get` as a table (the column headers of the kind's
//! printer), `label`, `apply` of a changed manifest, `delete`, and `get` answering NotFound.
//! Further tests: `kubectl explain` for every served resource, `kubectl api-resources -o wide`
//! against the fixed list of served resources, `kubectl auth whoami` / `auth can-i`, and one
//! refused object for a handful of validation rules (HTTP 422 with the expected cause).
//!
//! Where Gatehouse is known to get a step wrong, [`KNOWN_GAPS`] names the kind, the step and the
//! reason. Such a step still runs and must still fail (so a fix is noticed); the other steps of
//! the kind run as usual.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(Options::tokio);

// ---------------------------------------------------------------------------------------------
// Known gaps
// ---------------------------------------------------------------------------------------------

/// A step of a kind's life (see [`lifecycle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Create,
    Get,
    Table,
    Label,
    Apply,
    Delete,
}

/// Steps Gatehouse is known to fail: `(case id, step, reason)`. Each listed step must still fail;
/// when it passes, the entry has to go.
const KNOWN_GAPS: &[(&str, Step, &str)] = &[];

fn known_gap(id: &str, step: Step) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(case, s, _)| *case == id && *s == step)
        .map(|(_, _, reason)| *reason)
}

// ---------------------------------------------------------------------------------------------
// The stored kinds
// ---------------------------------------------------------------------------------------------

/// One stored kind and what Gatehouse must do with its manifest.
struct Case {
    /// The manifest's file stem in `tests/manifests/kinds/`.
    id: &'static str,
    /// The manifest; `${NAMESPACE}` stands for the test's namespace.
    manifest: &'static str,
    resource: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    name: &'static str,
    namespaced: bool,
    /// The header row of `kubectl get <resource>`.
    columns: &'static str,
    /// A cell of the object's table row (its name, unless the printer shows no name).
    row_marker: &'static str,
    /// JSON pointers into `get -o json` and the JSON each must hold.
    expect: &'static [(&'static str, &'static str)],
    /// JSON pointers that must hold a non-empty string (values the server assigns).
    assigned: &'static [&'static str],
    /// JSON pointers that must be absent.
    absent: &'static [&'static str],
}

impl Case {
    /// `pods`, `deployments.apps`.
    fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// How kubectl names the kind in its messages: `pod`, `deployment.apps`.
    fn kind_ref(&self) -> String {
        let kind = self.kind.to_lowercase();
        if self.group.is_empty() {
            kind
        } else {
            format!("{kind}.{}", self.group)
        }
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

macro_rules! manifest {
    ($id:literal) => {
        include_str!(concat!("../manifests/kinds/", $id, ".yaml"))
    };
}

const CASES: &[Case] = &[
    // ---- core v1 ----
    Case {
        id: "configmap",
        manifest: manifest!("configmap"),
        resource: "configmaps",
        group: "",
        version: "v1",
        kind: "ConfigMap",
        name: "app-settings",
        namespaced: true,
        columns: "NAME DATA AGE",
        row_marker: "app-settings",
        expect: &[("/data", r#"{"mode":"fast","level":"3"}"#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "endpoints",
        manifest: manifest!("endpoints"),
        resource: "endpoints",
        group: "",
        version: "v1",
        kind: "Endpoints",
        name: "external-db",
        namespaced: true,
        columns: "NAME ENDPOINTS AGE",
        row_marker: "external-db",
        expect: &[
            ("/subsets/0/ports/0/protocol", r#""TCP""#),
            ("/subsets/0/addresses/1/ip", r#""10.0.0.12""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "event",
        manifest: manifest!("event"),
        resource: "events",
        group: "",
        version: "v1",
        kind: "Event",
        name: "web.17f0a1b2c3d4e5f6",
        namespaced: true,
        columns: "LAST SEEN TYPE REASON OBJECT MESSAGE",
        row_marker: "pod/web",
        expect: &[
            ("/involvedObject/kind", r#""Pod""#),
            ("/reason", r#""Scheduled""#),
            ("/type", r#""Normal""#),
            ("/count", "1"),
            ("/source/component", r#""default-scheduler""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "limitrange",
        manifest: manifest!("limitrange"),
        resource: "limitranges",
        group: "",
        version: "v1",
        kind: "LimitRange",
        name: "container-limits",
        namespaced: true,
        columns: "NAME CREATED AT",
        row_marker: "container-limits",
        // A Container item defaults `default` from `max` and `defaultRequest` from `default`.
        expect: &[
            ("/spec/limits/0/default", r#"{"cpu":"2","memory":"256Mi"}"#),
            ("/spec/limits/0/defaultRequest", r#"{"cpu":"2","memory":"256Mi"}"#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "namespace",
        manifest: manifest!("namespace"),
        resource: "namespaces",
        group: "",
        version: "v1",
        kind: "Namespace",
        name: "kinds-team-a",
        namespaced: false,
        columns: "NAME STATUS AGE",
        row_marker: "kinds-team-a",
        expect: &[
            ("/status/phase", r#""Active""#),
            ("/spec/finalizers", r#"["kubernetes"]"#),
            (
                "/metadata/labels/kubernetes.io~1metadata.name",
                r#""kinds-team-a""#,
            ),
            ("/metadata/labels/team", r#""a""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "node",
        manifest: manifest!("node"),
        resource: "nodes",
        group: "",
        version: "v1",
        kind: "Node",
        name: "kinds-node-1",
        namespaced: false,
        columns: "NAME STATUS ROLES AGE VERSION",
        row_marker: "kinds-node-1",
        // Allocatable defaults to the capacity.
        expect: &[
            (
                "/status/allocatable",
                r#"{"cpu":"4","memory":"8Gi","pods":"110"}"#,
            ),
            ("/spec/podCIDR", r#""10.244.1.0/24""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "persistentvolumeclaim",
        manifest: manifest!("persistentvolumeclaim"),
        resource: "persistentvolumeclaims",
        group: "",
        version: "v1",
        kind: "PersistentVolumeClaim",
        name: "data",
        namespaced: true,
        columns: "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
        row_marker: "data",
        expect: &[
            ("/spec/volumeMode", r#""Filesystem""#),
            ("/spec/resources/requests/storage", r#""1Gi""#),
            ("/status/phase", r#""Pending""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "persistentvolume",
        manifest: manifest!("persistentvolume"),
        resource: "persistentvolumes",
        group: "",
        version: "v1",
        kind: "PersistentVolume",
        name: "kinds-pv-1",
        namespaced: false,
        columns: "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS \
                  VOLUMEATTRIBUTESCLASS REASON AGE",
        row_marker: "kinds-pv-1",
        expect: &[
            ("/spec/persistentVolumeReclaimPolicy", r#""Retain""#),
            ("/spec/volumeMode", r#""Filesystem""#),
            ("/status/phase", r#""Pending""#),
        ],
        assigned: &["/status/lastPhaseTransitionTime"],
        absent: &[],
    },
    Case {
        id: "pod",
        manifest: manifest!("pod"),
        resource: "pods",
        group: "",
        version: "v1",
        kind: "Pod",
        name: "web",
        namespaced: true,
        columns: "NAME READY STATUS RESTARTS AGE",
        row_marker: "web",
        expect: &[
            ("/spec/restartPolicy", r#""Always""#),
            ("/spec/dnsPolicy", r#""ClusterFirst""#),
            ("/spec/schedulerName", r#""default-scheduler""#),
            ("/spec/terminationGracePeriodSeconds", "30"),
            ("/spec/enableServiceLinks", "true"),
            ("/spec/containers/0/imagePullPolicy", r#""IfNotPresent""#),
            (
                "/spec/containers/0/terminationMessagePath",
                r#""/dev/termination-log""#,
            ),
            ("/spec/containers/0/ports/0/protocol", r#""TCP""#),
            ("/status/phase", r#""Pending""#),
            ("/status/qosClass", r#""BestEffort""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "podtemplate",
        manifest: manifest!("podtemplate"),
        resource: "podtemplates",
        group: "",
        version: "v1",
        kind: "PodTemplate",
        name: "worker-template",
        namespaced: true,
        columns: "NAME CONTAINERS IMAGES POD LABELS",
        row_marker: "worker-template",
        expect: &[
            ("/template/spec/restartPolicy", r#""Always""#),
            ("/template/spec/containers/0/imagePullPolicy", r#""IfNotPresent""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "replicationcontroller",
        manifest: manifest!("replicationcontroller"),
        resource: "replicationcontrollers",
        group: "",
        version: "v1",
        kind: "ReplicationController",
        name: "legacy-web",
        namespaced: true,
        columns: "NAME DESIRED CURRENT READY AGE",
        row_marker: "legacy-web",
        // The selector and the labels default to the template's labels.
        expect: &[
            ("/spec/selector", r#"{"app":"legacy-web"}"#),
            ("/metadata/labels", r#"{"app":"legacy-web"}"#),
            ("/spec/template/spec/restartPolicy", r#""Always""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "resourcequota",
        manifest: manifest!("resourcequota"),
        resource: "resourcequotas",
        group: "",
        version: "v1",
        kind: "ResourceQuota",
        name: "compute",
        namespaced: true,
        // The column order of the v1.32 printer (AGE last).
        columns: "NAME REQUEST LIMIT AGE",
        row_marker: "compute",
        expect: &[("/spec/hard/pods", r#""20""#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "secret",
        manifest: manifest!("secret"),
        resource: "secrets",
        group: "",
        version: "v1",
        kind: "Secret",
        name: "db-credentials",
        namespaced: true,
        columns: "NAME TYPE DATA AGE",
        row_marker: "db-credentials",
        // stringData is merged into data.
        expect: &[
            ("/type", r#""Opaque""#),
            ("/data", r#"{"password":"czNjcjN0","username":"YWRtaW4="}"#),
        ],
        assigned: &[],
        absent: &["/stringData"],
    },
    Case {
        id: "serviceaccount",
        manifest: manifest!("serviceaccount"),
        resource: "serviceaccounts",
        group: "",
        version: "v1",
        kind: "ServiceAccount",
        name: "builder",
        namespaced: true,
        columns: "NAME SECRETS AGE",
        row_marker: "builder",
        expect: &[],
        assigned: &["/metadata/uid"],
        absent: &[],
    },
    Case {
        id: "service",
        manifest: manifest!("service"),
        resource: "services",
        group: "",
        version: "v1",
        kind: "Service",
        name: "web",
        namespaced: true,
        columns: "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
        row_marker: "web",
        expect: &[
            ("/spec/type", r#""ClusterIP""#),
            ("/spec/sessionAffinity", r#""None""#),
            ("/spec/ports/0/protocol", r#""TCP""#),
            ("/spec/ports/0/targetPort", "80"),
            ("/spec/ipFamilyPolicy", r#""SingleStack""#),
            ("/spec/ipFamilies", r#"["IPv4"]"#),
            ("/spec/internalTrafficPolicy", r#""Cluster""#),
        ],
        assigned: &["/spec/clusterIP", "/spec/clusterIPs/0"],
        absent: &[],
    },
    // ---- admissionregistration.k8s.io/v1 ----
    Case {
        id: "mutatingwebhookconfiguration",
        manifest: manifest!("mutatingwebhookconfiguration"),
        resource: "mutatingwebhookconfigurations",
        group: "admissionregistration.k8s.io",
        version: "v1",
        kind: "MutatingWebhookConfiguration",
        name: "kinds-pod-defaults",
        namespaced: false,
        columns: "NAME WEBHOOKS AGE",
        row_marker: "kinds-pod-defaults",
        expect: &[
            ("/webhooks/0/failurePolicy", r#""Fail""#),
            ("/webhooks/0/matchPolicy", r#""Equivalent""#),
            ("/webhooks/0/reinvocationPolicy", r#""Never""#),
            ("/webhooks/0/timeoutSeconds", "10"),
            ("/webhooks/0/namespaceSelector", "{}"),
            ("/webhooks/0/objectSelector", "{}"),
            ("/webhooks/0/clientConfig/service/port", "443"),
            ("/webhooks/0/rules/0/scope", r#""*""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "validatingwebhookconfiguration",
        manifest: manifest!("validatingwebhookconfiguration"),
        resource: "validatingwebhookconfigurations",
        group: "admissionregistration.k8s.io",
        version: "v1",
        kind: "ValidatingWebhookConfiguration",
        name: "kinds-deploy-policy",
        namespaced: false,
        columns: "NAME WEBHOOKS AGE",
        row_marker: "kinds-deploy-policy",
        expect: &[
            ("/webhooks/0/failurePolicy", r#""Fail""#),
            ("/webhooks/0/matchPolicy", r#""Equivalent""#),
            ("/webhooks/0/timeoutSeconds", "10"),
            ("/webhooks/0/rules/0/scope", r#""*""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "validatingadmissionpolicy",
        manifest: manifest!("validatingadmissionpolicy"),
        resource: "validatingadmissionpolicies",
        group: "admissionregistration.k8s.io",
        version: "v1",
        kind: "ValidatingAdmissionPolicy",
        name: "kinds-replica-limit",
        namespaced: false,
        columns: "NAME VALIDATIONS PARAMKIND AGE",
        row_marker: "kinds-replica-limit",
        expect: &[
            ("/spec/failurePolicy", r#""Fail""#),
            ("/spec/matchConstraints/matchPolicy", r#""Equivalent""#),
            ("/spec/matchConstraints/namespaceSelector", "{}"),
            ("/spec/matchConstraints/resourceRules/0/scope", r#""*""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "validatingadmissionpolicybinding",
        manifest: manifest!("validatingadmissionpolicybinding"),
        resource: "validatingadmissionpolicybindings",
        group: "admissionregistration.k8s.io",
        version: "v1",
        kind: "ValidatingAdmissionPolicyBinding",
        name: "kinds-replica-limit-binding",
        namespaced: false,
        columns: "NAME POLICYNAME PARAMREF AGE",
        row_marker: "kinds-replica-limit-binding",
        expect: &[
            ("/spec/matchResources/matchPolicy", r#""Equivalent""#),
            ("/spec/matchResources/objectSelector", "{}"),
            ("/spec/validationActions", r#"["Deny"]"#),
        ],
        assigned: &[],
        absent: &[],
    },
    // ---- apiextensions.k8s.io/v1, apiregistration.k8s.io/v1 ----
    Case {
        id: "customresourcedefinition",
        manifest: manifest!("customresourcedefinition"),
        resource: "customresourcedefinitions",
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
        name: "widgets.kinds.example.com",
        namespaced: false,
        columns: "NAME CREATED AT",
        row_marker: "widgets.kinds.example.com",
        expect: &[
            ("/spec/conversion/strategy", r#""None""#),
            ("/status/storedVersions", r#"["v1"]"#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "apiservice",
        manifest: manifest!("apiservice"),
        resource: "apiservices",
        group: "apiregistration.k8s.io",
        version: "v1",
        kind: "APIService",
        name: "v1beta1.metrics.kinds.example.com",
        namespaced: false,
        columns: "NAME SERVICE AVAILABLE AGE",
        row_marker: "v1beta1.metrics.kinds.example.com",
        expect: &[("/spec/service/port", "443")],
        assigned: &[],
        absent: &[],
    },
    // ---- apps/v1 ----
    Case {
        id: "controllerrevision",
        manifest: manifest!("controllerrevision"),
        resource: "controllerrevisions",
        group: "apps",
        version: "v1",
        kind: "ControllerRevision",
        name: "web-5d8f7c9b4",
        namespaced: true,
        columns: "NAME CONTROLLER REVISION AGE",
        row_marker: "web-5d8f7c9b4",
        expect: &[
            ("/revision", "1"),
            ("/data/spec/template/spec/containers/0/image", r#""nginx:1.27""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "daemonset",
        manifest: manifest!("daemonset"),
        resource: "daemonsets",
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        name: "log-agent",
        namespaced: true,
        columns: "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
        row_marker: "log-agent",
        expect: &[
            ("/spec/updateStrategy/type", r#""RollingUpdate""#),
            ("/spec/updateStrategy/rollingUpdate/maxUnavailable", "1"),
            ("/spec/revisionHistoryLimit", "10"),
            ("/spec/template/spec/restartPolicy", r#""Always""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "deployment",
        manifest: manifest!("deployment"),
        resource: "deployments",
        group: "apps",
        version: "v1",
        kind: "Deployment",
        name: "web",
        namespaced: true,
        columns: "NAME READY UP-TO-DATE AVAILABLE AGE",
        row_marker: "web",
        expect: &[
            ("/spec/strategy/type", r#""RollingUpdate""#),
            (
                "/spec/strategy/rollingUpdate",
                r#"{"maxSurge":"25%","maxUnavailable":"25%"}"#,
            ),
            ("/spec/revisionHistoryLimit", "10"),
            ("/spec/progressDeadlineSeconds", "600"),
            ("/spec/replicas", "3"),
            ("/metadata/generation", "1"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "replicaset",
        manifest: manifest!("replicaset"),
        resource: "replicasets",
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        name: "frontend",
        namespaced: true,
        columns: "NAME DESIRED CURRENT READY AGE",
        row_marker: "frontend",
        expect: &[
            ("/spec/replicas", "1"),
            ("/spec/template/spec/restartPolicy", r#""Always""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "statefulset",
        manifest: manifest!("statefulset"),
        resource: "statefulsets",
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        name: "db",
        namespaced: true,
        columns: "NAME READY AGE",
        row_marker: "db",
        expect: &[
            ("/spec/podManagementPolicy", r#""OrderedReady""#),
            (
                "/spec/updateStrategy",
                r#"{"type":"RollingUpdate","rollingUpdate":{"partition":0}}"#,
            ),
            ("/spec/revisionHistoryLimit", "10"),
            (
                "/spec/persistentVolumeClaimRetentionPolicy",
                r#"{"whenDeleted":"Retain","whenScaled":"Retain"}"#,
            ),
            ("/spec/volumeClaimTemplates/0/spec/volumeMode", r#""Filesystem""#),
        ],
        assigned: &[],
        absent: &[],
    },
    // ---- autoscaling/v2, batch/v1 ----
    Case {
        id: "horizontalpodautoscaler",
        manifest: manifest!("horizontalpodautoscaler"),
        resource: "horizontalpodautoscalers",
        group: "autoscaling",
        version: "v2",
        kind: "HorizontalPodAutoscaler",
        name: "web",
        namespaced: true,
        columns: "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE",
        row_marker: "web",
        expect: &[
            ("/spec/minReplicas", "1"),
            ("/spec/maxReplicas", "10"),
            ("/spec/metrics/0/resource/target/averageUtilization", "70"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "cronjob",
        manifest: manifest!("cronjob"),
        resource: "cronjobs",
        group: "batch",
        version: "v1",
        kind: "CronJob",
        name: "nightly-report",
        namespaced: true,
        columns: "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
        row_marker: "nightly-report",
        expect: &[
            ("/spec/concurrencyPolicy", r#""Allow""#),
            ("/spec/suspend", "false"),
            ("/spec/successfulJobsHistoryLimit", "3"),
            ("/spec/failedJobsHistoryLimit", "1"),
            (
                "/spec/jobTemplate/spec/template/spec/dnsPolicy",
                r#""ClusterFirst""#,
            ),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "job",
        manifest: manifest!("job"),
        resource: "jobs",
        group: "batch",
        version: "v1",
        kind: "Job",
        name: "pi",
        namespaced: true,
        columns: "NAME STATUS COMPLETIONS DURATION AGE",
        row_marker: "pi",
        expect: &[
            ("/spec/backoffLimit", "6"),
            ("/spec/completions", "1"),
            ("/spec/parallelism", "1"),
            ("/spec/completionMode", r#""NonIndexed""#),
            ("/spec/suspend", "false"),
            (
                "/spec/template/metadata/labels/batch.kubernetes.io~1job-name",
                r#""pi""#,
            ),
        ],
        assigned: &["/spec/selector/matchLabels/batch.kubernetes.io~1controller-uid"],
        absent: &[],
    },
    // ---- certificates, coordination, discovery ----
    Case {
        id: "certificatesigningrequest",
        manifest: manifest!("certificatesigningrequest"),
        resource: "certificatesigningrequests",
        group: "certificates.k8s.io",
        version: "v1",
        kind: "CertificateSigningRequest",
        name: "kinds-client-csr",
        namespaced: false,
        columns: "NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION",
        row_marker: "kinds-client-csr",
        // The requesting user is recorded in the spec.
        expect: &[
            ("/spec/signerName", r#""kubernetes.io/kube-apiserver-client""#),
            ("/spec/expirationSeconds", "86400"),
            ("/spec/username", r#""kubernetes-admin""#),
            ("/spec/groups", r#"["system:masters","system:authenticated"]"#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "lease",
        manifest: manifest!("lease"),
        resource: "leases",
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        name: "controller-leader",
        namespaced: true,
        columns: "NAME HOLDER AGE",
        row_marker: "controller-leader",
        expect: &[
            ("/spec/holderIdentity", r#""controller-0""#),
            ("/spec/leaseDurationSeconds", "15"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "endpointslice",
        manifest: manifest!("endpointslice"),
        resource: "endpointslices",
        group: "discovery.k8s.io",
        version: "v1",
        kind: "EndpointSlice",
        name: "web-abc12",
        namespaced: true,
        columns: "NAME ADDRESSTYPE PORTS ENDPOINTS AGE",
        row_marker: "web-abc12",
        expect: &[("/ports/0/protocol", r#""TCP""#), ("/addressType", r#""IPv4""#)],
        assigned: &[],
        absent: &[],
    },
    // ---- flowcontrol.apiserver.k8s.io/v1 ----
    Case {
        id: "prioritylevelconfiguration",
        manifest: manifest!("prioritylevelconfiguration"),
        resource: "prioritylevelconfigurations",
        group: "flowcontrol.apiserver.k8s.io",
        version: "v1",
        kind: "PriorityLevelConfiguration",
        name: "kinds-batch",
        namespaced: false,
        columns: "NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE",
        row_marker: "kinds-batch",
        expect: &[
            ("/spec/limited/nominalConcurrencyShares", "30"),
            ("/spec/limited/lendablePercent", "0"),
            (
                "/spec/limited/limitResponse/queuing",
                r#"{"queues":64,"handSize":8,"queueLengthLimit":50}"#,
            ),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "flowschema",
        manifest: manifest!("flowschema"),
        resource: "flowschemas",
        group: "flowcontrol.apiserver.k8s.io",
        version: "v1",
        kind: "FlowSchema",
        name: "kinds-batch-jobs",
        namespaced: false,
        columns: "NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE MISSINGPL",
        row_marker: "kinds-batch-jobs",
        expect: &[
            ("/spec/matchingPrecedence", "1000"),
            ("/spec/priorityLevelConfiguration/name", r#""global-default""#),
        ],
        assigned: &[],
        absent: &[],
    },
    // ---- networking.k8s.io/v1, node.k8s.io/v1, policy/v1 ----
    Case {
        id: "ingressclass",
        manifest: manifest!("ingressclass"),
        resource: "ingressclasses",
        group: "networking.k8s.io",
        version: "v1",
        kind: "IngressClass",
        name: "kinds-nginx",
        namespaced: false,
        columns: "NAME CONTROLLER PARAMETERS AGE",
        row_marker: "kinds-nginx",
        expect: &[("/spec/controller", r#""k8s.io/ingress-nginx""#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "ingress",
        manifest: manifest!("ingress"),
        resource: "ingresses",
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        name: "web",
        namespaced: true,
        columns: "NAME CLASS HOSTS ADDRESS PORTS AGE",
        row_marker: "shop.example.com",
        expect: &[
            ("/spec/rules/0/host", r#""shop.example.com""#),
            ("/spec/rules/0/http/paths/0/pathType", r#""Prefix""#),
            ("/metadata/generation", "1"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "networkpolicy",
        manifest: manifest!("networkpolicy"),
        resource: "networkpolicies",
        group: "networking.k8s.io",
        version: "v1",
        kind: "NetworkPolicy",
        name: "allow-frontend",
        namespaced: true,
        columns: "NAME POD-SELECTOR AGE",
        row_marker: "allow-frontend",
        expect: &[
            ("/spec/policyTypes", r#"["Ingress"]"#),
            ("/spec/ingress/0/ports/0/protocol", r#""TCP""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "runtimeclass",
        manifest: manifest!("runtimeclass"),
        resource: "runtimeclasses",
        group: "node.k8s.io",
        version: "v1",
        kind: "RuntimeClass",
        name: "kinds-gvisor",
        namespaced: false,
        columns: "NAME HANDLER AGE",
        row_marker: "kinds-gvisor",
        expect: &[("/handler", r#""runsc""#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "poddisruptionbudget",
        manifest: manifest!("poddisruptionbudget"),
        resource: "poddisruptionbudgets",
        group: "policy",
        version: "v1",
        kind: "PodDisruptionBudget",
        name: "web",
        namespaced: true,
        columns: "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE",
        row_marker: "web",
        expect: &[("/spec/minAvailable", "2")],
        assigned: &[],
        absent: &[],
    },
    // ---- rbac.authorization.k8s.io/v1 ----
    Case {
        id: "clusterrole",
        manifest: manifest!("clusterrole"),
        resource: "clusterroles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "ClusterRole",
        name: "kinds-pod-reader",
        namespaced: false,
        columns: "NAME CREATED AT",
        row_marker: "kinds-pod-reader",
        expect: &[(
            "/rules",
            r#"[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}]"#,
        )],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "clusterrolebinding",
        manifest: manifest!("clusterrolebinding"),
        resource: "clusterrolebindings",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "ClusterRoleBinding",
        name: "kinds-read-pods",
        namespaced: false,
        columns: "NAME ROLE AGE",
        row_marker: "kinds-read-pods",
        expect: &[
            ("/roleRef/apiGroup", r#""rbac.authorization.k8s.io""#),
            ("/subjects/0/apiGroup", r#""rbac.authorization.k8s.io""#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "role",
        manifest: manifest!("role"),
        resource: "roles",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "Role",
        name: "configmap-editor",
        namespaced: true,
        columns: "NAME CREATED AT",
        row_marker: "configmap-editor",
        expect: &[("/rules/0/resources", r#"["configmaps"]"#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "rolebinding",
        manifest: manifest!("rolebinding"),
        resource: "rolebindings",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "RoleBinding",
        name: "edit-configmaps",
        namespaced: true,
        columns: "NAME ROLE AGE",
        row_marker: "edit-configmaps",
        expect: &[
            ("/roleRef/apiGroup", r#""rbac.authorization.k8s.io""#),
            ("/subjects/0/apiGroup", r#""rbac.authorization.k8s.io""#),
        ],
        assigned: &[],
        absent: &["/subjects/1/apiGroup"],
    },
    // ---- scheduling.k8s.io/v1 ----
    Case {
        id: "priorityclass",
        manifest: manifest!("priorityclass"),
        resource: "priorityclasses",
        group: "scheduling.k8s.io",
        version: "v1",
        kind: "PriorityClass",
        name: "kinds-high-priority",
        namespaced: false,
        columns: "NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY",
        row_marker: "kinds-high-priority",
        expect: &[
            ("/preemptionPolicy", r#""PreemptLowerPriority""#),
            ("/value", "1000000"),
        ],
        assigned: &[],
        absent: &[],
    },
    // ---- storage.k8s.io/v1 ----
    Case {
        id: "csidriver",
        manifest: manifest!("csidriver"),
        resource: "csidrivers",
        group: "storage.k8s.io",
        version: "v1",
        kind: "CSIDriver",
        name: "kinds.csi.example.com",
        namespaced: false,
        columns: "NAME ATTACHREQUIRED PODINFOONMOUNT STORAGECAPACITY TOKENREQUESTS \
                  REQUIRESREPUBLISH MODES AGE",
        row_marker: "kinds.csi.example.com",
        expect: &[
            ("/spec/attachRequired", "true"),
            ("/spec/podInfoOnMount", "true"),
            ("/spec/storageCapacity", "false"),
            ("/spec/requiresRepublish", "false"),
            ("/spec/fsGroupPolicy", r#""ReadWriteOnceWithFSType""#),
            ("/spec/volumeLifecycleModes", r#"["Persistent"]"#),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "csinode",
        manifest: manifest!("csinode"),
        resource: "csinodes",
        group: "storage.k8s.io",
        version: "v1",
        kind: "CSINode",
        name: "kinds-csi-node-1",
        namespaced: false,
        columns: "NAME DRIVERS AGE",
        row_marker: "kinds-csi-node-1",
        expect: &[
            ("/spec/drivers/0/nodeID", r#""kinds-csi-node-1""#),
            ("/spec/drivers/0/allocatable/count", "16"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "csistoragecapacity",
        manifest: manifest!("csistoragecapacity"),
        resource: "csistoragecapacities",
        group: "storage.k8s.io",
        version: "v1",
        kind: "CSIStorageCapacity",
        name: "fast-zone-a",
        namespaced: true,
        columns: "NAME STORAGECLASSNAME CAPACITY",
        row_marker: "fast-zone-a",
        expect: &[("/storageClassName", r#""fast""#), ("/capacity", r#""100Gi""#)],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "storageclass",
        manifest: manifest!("storageclass"),
        resource: "storageclasses",
        group: "storage.k8s.io",
        version: "v1",
        kind: "StorageClass",
        name: "kinds-fast",
        namespaced: false,
        columns: "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE",
        row_marker: "kinds-fast",
        expect: &[
            ("/reclaimPolicy", r#""Delete""#),
            ("/volumeBindingMode", r#""Immediate""#),
            ("/allowVolumeExpansion", "true"),
        ],
        assigned: &[],
        absent: &[],
    },
    Case {
        id: "volumeattachment",
        manifest: manifest!("volumeattachment"),
        resource: "volumeattachments",
        group: "storage.k8s.io",
        version: "v1",
        kind: "VolumeAttachment",
        name: "kinds-csi-attachment-1",
        namespaced: false,
        columns: "NAME ATTACHER PV NODE ATTACHED AGE",
        row_marker: "kinds-csi-attachment-1",
        expect: &[
            ("/spec/attacher", r#""kinds.csi.example.com""#),
            ("/spec/source/persistentVolumeName", r#""kinds-pv-1""#),
        ],
        assigned: &[],
        absent: &[],
    },
];

// ---------------------------------------------------------------------------------------------
// One kind's life
// ---------------------------------------------------------------------------------------------

/// What the steps of one kind share (owned, so a step can run as a task of its own).
#[derive(Clone)]
struct Ctx {
    case: &'static Case,
    k: Kubectl,
    /// `-n <ns>` for namespaced kinds, nothing otherwise.
    ns_args: Vec<String>,
    ns: String,
    created: PathBuf,
    changed: PathBuf,
}

impl Ctx {
    async fn ok(&self, args: &[&str]) -> String {
        self.k.ok(&self.with_ns(args)).await
    }

    async fn json(&self, args: &[&str]) -> Value {
        self.k.json(&self.with_ns(args)).await
    }

    async fn fails(&self, args: &[&str]) -> Output {
        self.k.fails(&self.with_ns(args)).await
    }

    fn with_ns<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.ns_args.iter().map(String::as_str));
        all
    }

    async fn get(&self) -> Value {
        let c = self.case;
        let obj = self.json(&["get", &c.qualified(), c.name, "-o", "json"]).await;
        assert_eq!(obj["kind"], c.kind, "{obj}");
        assert_eq!(obj["apiVersion"], c.api_version().as_str(), "{obj}");
        assert_eq!(obj["metadata"]["name"], c.name, "{obj}");
        if c.namespaced {
            assert_eq!(obj["metadata"]["namespace"], self.ns.as_str(), "{obj}");
        } else {
            assert!(obj["metadata"].get("namespace").is_none(), "{obj}");
        }
        obj
    }
}

/// Changes `manifest` the way a user edits one: an annotation added to the object's metadata.
fn changed_manifest(manifest: &str) -> String {
    let changed = manifest.replacen(
        "\nmetadata:\n",
        "\nmetadata:\n  annotations:\n    kinds.gatehouse.test/revision: \"2\"\n",
        1,
    );
    assert_ne!(changed, manifest, "no top-level metadata in\n{manifest}");
    changed
}

async fn step_create(ctx: Ctx) {
    let c = ctx.case;
    let file = ctx.created.to_str().expect("UTF-8 path");
    let out = ctx.ok(&["create", "--save-config", "-f", file]).await;
    assert_eq!(out.trim(), format!("{}/{} created", c.kind_ref(), c.name));
}

async fn step_get(ctx: Ctx) {
    let c = ctx.case;
    let obj = ctx.get().await;
    // Every expectation is checked, and all that fail are reported together.
    let mut wrong = Vec::new();
    for (pointer, expected) in c.expect {
        let expected: Value = serde_json::from_str(expected)
            .unwrap_or_else(|e| panic!("{}: bad expectation {expected}: {e}", c.id));
        let got = obj.pointer(pointer);
        if got != Some(&expected) {
            wrong.push(format!("{pointer} should be {expected}, is {got:?}"));
        }
    }
    for pointer in c.assigned {
        let got = obj.pointer(pointer);
        if got.and_then(Value::as_str).is_none_or(str::is_empty) {
            wrong.push(format!("{pointer} should be assigned, is {got:?}"));
        }
    }
    for pointer in c.absent {
        if let Some(got) = obj.pointer(pointer) {
            wrong.push(format!("{pointer} should be absent, is {got}"));
        }
    }
    let meta = &obj["metadata"];
    if meta["uid"].as_str().is_none_or(|u| u.len() != 36) {
        wrong.push("metadata.uid should be a UUID".to_string());
    }
    if meta["creationTimestamp"]
        .as_str()
        .is_none_or(|t| !t.ends_with('Z'))
    {
        wrong.push("metadata.creationTimestamp should be an RFC 3339 UTC time".to_string());
    }
    if meta["resourceVersion"].as_str().is_none_or(str::is_empty) {
        wrong.push("metadata.resourceVersion should be set".to_string());
    }
    assert!(wrong.is_empty(), "{}:\n  {}\n{obj:#}", c.kind, wrong.join("\n  "));
}

async fn step_table(ctx: Ctx) {
    let c = ctx.case;
    let out = ctx.ok(&["get", &c.qualified()]).await;
    let header: Vec<&str> = out.lines().next().unwrap_or("").split_whitespace().collect();
    let expected: Vec<&str> = c.columns.split_whitespace().collect();
    assert_eq!(header, expected, "{} table header\n{out}", c.kind);
    let rows = table_rows(&out);
    assert!(
        rows[1..]
            .iter()
            .any(|row| row.iter().any(|cell| cell == c.row_marker)),
        "no row with {} in\n{out}",
        c.row_marker
    );
}

async fn step_label(ctx: Ctx) {
    let c = ctx.case;
    let out = ctx
        .ok(&[
            "label",
            &c.qualified(),
            c.name,
            "kinds.gatehouse.test/updated=yes",
        ])
        .await;
    assert_eq!(out.trim(), format!("{}/{} labeled", c.kind_ref(), c.name));
    let obj = ctx.get().await;
    assert_eq!(
        obj["metadata"]["labels"]["kinds.gatehouse.test/updated"], "yes",
        "{obj:#}"
    );
}

async fn step_apply(ctx: Ctx) {
    let c = ctx.case;
    let before = ctx.get().await;
    let file = ctx.changed.to_str().expect("UTF-8 path");
    let out = ctx.ok(&["apply", "-f", file]).await;
    assert_eq!(out.trim(), format!("{}/{} configured", c.kind_ref(), c.name));
    let obj = ctx.get().await;
    let annotations = &obj["metadata"]["annotations"];
    assert_eq!(annotations["kinds.gatehouse.test/revision"], "2", "{obj:#}");
    assert!(
        annotations["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .is_some_and(|a| a.contains("kinds.gatehouse.test/revision")),
        "{obj:#}"
    );
    // The label set by `kubectl label` is not the applier's: it stays.
    assert_eq!(
        obj["metadata"]["labels"]["kinds.gatehouse.test/updated"], "yes",
        "{obj:#}"
    );
    assert_eq!(obj["metadata"]["uid"], before["metadata"]["uid"], "{obj:#}");
}

async fn step_delete(ctx: Ctx) {
    let c = ctx.case;
    let out = ctx.ok(&["delete", &c.qualified(), c.name, "--timeout=60s"]).await;
    assert_eq!(out.trim(), format!("{} \"{}\" deleted", c.kind_ref(), c.name));
    let out = ctx.fails(&["get", &c.qualified(), c.name]).await;
    assert!(
        out.stderr.contains(&format!(
            "Error from server (NotFound): {} \"{}\" not found",
            c.qualified(),
            c.name
        )),
        "{out}"
    );
}

/// Runs one step; a step listed in [`KNOWN_GAPS`] must fail (and then `false` is returned).
async fn run_step<F>(case: &Case, step: Step, fut: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(reason) = known_gap(case.id, step) else {
        fut.await;
        return true;
    };
    match tokio::spawn(fut).await {
        Ok(()) => panic!(
            "{} {step:?} passes now: remove it from KNOWN_GAPS ({reason})",
            case.kind
        ),
        Err(e) if e.is_panic() => {
            eprintln!("KNOWN GAP {} {step:?}: {reason}", case.kind);
            false
        }
        Err(e) => panic!("{} {step:?}: {e}", case.kind),
    }
}

async fn lifecycle(id: &str) {
    let case: &'static Case = CASES
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    let server = SERVER.get().await;
    let dir = TempDir::new(id);
    let k = server.kubectl(&dir);
    let ns = unique(&format!("kinds-{id}"));
    let ns_args = if case.namespaced {
        assert_eq!(
            k.ok(&["create", "namespace", &ns]).await.trim(),
            format!("namespace/{ns} created")
        );
        vec!["-n".to_string(), ns.clone()]
    } else {
        Vec::new()
    };
    let manifest = case.manifest.replace("${NAMESPACE}", &ns);
    let ctx = Ctx {
        case,
        k,
        ns_args,
        ns,
        created: dir.write(&format!("{id}.yaml"), &manifest),
        changed: dir.write(&format!("{id}-changed.yaml"), changed_manifest(&manifest)),
    };
    if !run_step(case, Step::Create, step_create(ctx.clone())).await {
        return;
    }
    run_step(case, Step::Get, step_get(ctx.clone())).await;
    run_step(case, Step::Table, step_table(ctx.clone())).await;
    run_step(case, Step::Label, step_label(ctx.clone())).await;
    run_step(case, Step::Apply, step_apply(ctx.clone())).await;
    run_step(case, Step::Delete, step_delete(ctx.clone())).await;
}

macro_rules! kind_tests {
    ($($test:ident => $id:literal,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                lifecycle($id).await;
            }
        )*

        /// Every case has its test.
        #[test]
        fn every_case_has_a_test() {
            let tested: BTreeSet<&str> = [$($id),*].into_iter().collect();
            let cases: BTreeSet<&str> = CASES.iter().map(|c| c.id).collect();
            assert_eq!(tested, cases);
        }
    };
}

kind_tests! {
    configmap => "configmap",
    endpoints => "endpoints",
    event => "event",
    limitrange => "limitrange",
    namespace => "namespace",
    node => "node",
    persistentvolumeclaim => "persistentvolumeclaim",
    persistentvolume => "persistentvolume",
    pod => "pod",
    podtemplate => "podtemplate",
    replicationcontroller => "replicationcontroller",
    resourcequota => "resourcequota",
    secret => "secret",
    serviceaccount => "serviceaccount",
    service => "service",
    mutatingwebhookconfiguration => "mutatingwebhookconfiguration",
    validatingwebhookconfiguration => "validatingwebhookconfiguration",
    validatingadmissionpolicy => "validatingadmissionpolicy",
    validatingadmissionpolicybinding => "validatingadmissionpolicybinding",
    customresourcedefinition => "customresourcedefinition",
    apiservice => "apiservice",
    controllerrevision => "controllerrevision",
    daemonset => "daemonset",
    deployment => "deployment",
    replicaset => "replicaset",
    statefulset => "statefulset",
    horizontalpodautoscaler => "horizontalpodautoscaler",
    cronjob => "cronjob",
    job => "job",
    certificatesigningrequest => "certificatesigningrequest",
    lease => "lease",
    endpointslice => "endpointslice",
    prioritylevelconfiguration => "prioritylevelconfiguration",
    flowschema => "flowschema",
    ingressclass => "ingressclass",
    ingress => "ingress",
    networkpolicy => "networkpolicy",
    runtimeclass => "runtimeclass",
    poddisruptionbudget => "poddisruptionbudget",
    clusterrole => "clusterrole",
    clusterrolebinding => "clusterrolebinding",
    role => "role",
    rolebinding => "rolebinding",
    priorityclass => "priorityclass",
    csidriver => "csidriver",
    csinode => "csinode",
    csistoragecapacity => "csistoragecapacity",
    storageclass => "storageclass",
    volumeattachment => "volumeattachment",
}

// ---------------------------------------------------------------------------------------------
// Discovery: api-resources and explain
// ---------------------------------------------------------------------------------------------

/// The verbs of a fully served resource, as `kubectl api-resources -o wide` prints them.
const FULL: &str = "create,delete,deletecollection,get,list,patch,update,watch";

/// One row of `kubectl api-resources -o wide`.
struct Served {
    name: &'static str,
    short_names: &'static str,
    api_version: &'static str,
    namespaced: bool,
    kind: &'static str,
    verbs: &'static str,
    categories: &'static str,
}

const fn served(
    name: &'static str,
    short_names: &'static str,
    api_version: &'static str,
    namespaced: bool,
    kind: &'static str,
    verbs: &'static str,
    categories: &'static str,
) -> Served {
    Served {
        name,
        short_names,
        api_version,
        namespaced,
        kind,
        verbs,
        categories,
    }
}

/// Every resource Gatehouse serves, in its preferred version (the list of the v1.32 API surface;
/// `autoscaling/v1` is served too, but `api-resources` shows the preferred `autoscaling/v2`).
const SERVED: &[Served] = &[
    served("bindings", "", "v1", true, "Binding", "create", ""),
    served(
        "componentstatuses",
        "cs",
        "v1",
        false,
        "ComponentStatus",
        "get,list",
        "",
    ),
    served("configmaps", "cm", "v1", true, "ConfigMap", FULL, ""),
    served("endpoints", "ep", "v1", true, "Endpoints", FULL, ""),
    served("events", "ev", "v1", true, "Event", FULL, ""),
    served("events", "ev", "events.k8s.io/v1", true, "Event", FULL, ""),
    served("limitranges", "limits", "v1", true, "LimitRange", FULL, ""),
    served(
        "namespaces",
        "ns",
        "v1",
        false,
        "Namespace",
        "create,delete,get,list,patch,update,watch",
        "",
    ),
    served("nodes", "no", "v1", false, "Node", FULL, ""),
    served(
        "persistentvolumeclaims",
        "pvc",
        "v1",
        true,
        "PersistentVolumeClaim",
        FULL,
        "",
    ),
    served(
        "persistentvolumes",
        "pv",
        "v1",
        false,
        "PersistentVolume",
        FULL,
        "",
    ),
    served("pods", "po", "v1", true, "Pod", FULL, "all"),
    served("podtemplates", "", "v1", true, "PodTemplate", FULL, ""),
    served(
        "replicationcontrollers",
        "rc",
        "v1",
        true,
        "ReplicationController",
        FULL,
        "all",
    ),
    served("resourcequotas", "quota", "v1", true, "ResourceQuota", FULL, ""),
    served("secrets", "", "v1", true, "Secret", FULL, ""),
    served("serviceaccounts", "sa", "v1", true, "ServiceAccount", FULL, ""),
    served("services", "svc", "v1", true, "Service", FULL, "all"),
    served(
        "mutatingwebhookconfigurations",
        "",
        "admissionregistration.k8s.io/v1",
        false,
        "MutatingWebhookConfiguration",
        FULL,
        "api-extensions",
    ),
    served(
        "validatingadmissionpolicies",
        "",
        "admissionregistration.k8s.io/v1",
        false,
        "ValidatingAdmissionPolicy",
        FULL,
        "api-extensions",
    ),
    served(
        "validatingadmissionpolicybindings",
        "",
        "admissionregistration.k8s.io/v1",
        false,
        "ValidatingAdmissionPolicyBinding",
        FULL,
        "api-extensions",
    ),
    served(
        "validatingwebhookconfigurations",
        "",
        "admissionregistration.k8s.io/v1",
        false,
        "ValidatingWebhookConfiguration",
        FULL,
        "api-extensions",
    ),
    served(
        "customresourcedefinitions",
        "crd,crds",
        "apiextensions.k8s.io/v1",
        false,
        "CustomResourceDefinition",
        FULL,
        "api-extensions",
    ),
    served(
        "apiservices",
        "",
        "apiregistration.k8s.io/v1",
        false,
        "APIService",
        FULL,
        "api-extensions",
    ),
    served(
        "controllerrevisions",
        "",
        "apps/v1",
        true,
        "ControllerRevision",
        FULL,
        "",
    ),
    served("daemonsets", "ds", "apps/v1", true, "DaemonSet", FULL, "all"),
    served(
        "deployments",
        "deploy",
        "apps/v1",
        true,
        "Deployment",
        FULL,
        "all",
    ),
    served("replicasets", "rs", "apps/v1", true, "ReplicaSet", FULL, "all"),
    served("statefulsets", "sts", "apps/v1", true, "StatefulSet", FULL, "all"),
    served(
        "selfsubjectreviews",
        "",
        "authentication.k8s.io/v1",
        false,
        "SelfSubjectReview",
        "create",
        "",
    ),
    served(
        "tokenreviews",
        "",
        "authentication.k8s.io/v1",
        false,
        "TokenReview",
        "create",
        "",
    ),
    served(
        "localsubjectaccessreviews",
        "",
        "authorization.k8s.io/v1",
        true,
        "LocalSubjectAccessReview",
        "create",
        "",
    ),
    served(
        "selfsubjectaccessreviews",
        "",
        "authorization.k8s.io/v1",
        false,
        "SelfSubjectAccessReview",
        "create",
        "",
    ),
    served(
        "selfsubjectrulesreviews",
        "",
        "authorization.k8s.io/v1",
        false,
        "SelfSubjectRulesReview",
        "create",
        "",
    ),
    served(
        "subjectaccessreviews",
        "",
        "authorization.k8s.io/v1",
        false,
        "SubjectAccessReview",
        "create",
        "",
    ),
    served(
        "horizontalpodautoscalers",
        "hpa",
        "autoscaling/v2",
        true,
        "HorizontalPodAutoscaler",
        FULL,
        "all",
    ),
    served("cronjobs", "cj", "batch/v1", true, "CronJob", FULL, "all"),
    served("jobs", "", "batch/v1", true, "Job", FULL, "all"),
    served(
        "certificatesigningrequests",
        "csr",
        "certificates.k8s.io/v1",
        false,
        "CertificateSigningRequest",
        FULL,
        "",
    ),
    served("leases", "", "coordination.k8s.io/v1", true, "Lease", FULL, ""),
    served(
        "endpointslices",
        "",
        "discovery.k8s.io/v1",
        true,
        "EndpointSlice",
        FULL,
        "",
    ),
    served(
        "flowschemas",
        "",
        "flowcontrol.apiserver.k8s.io/v1",
        false,
        "FlowSchema",
        FULL,
        "",
    ),
    served(
        "prioritylevelconfigurations",
        "",
        "flowcontrol.apiserver.k8s.io/v1",
        false,
        "PriorityLevelConfiguration",
        FULL,
        "",
    ),
    served(
        "ingressclasses",
        "",
        "networking.k8s.io/v1",
        false,
        "IngressClass",
        FULL,
        "",
    ),
    served(
        "ingresses",
        "ing",
        "networking.k8s.io/v1",
        true,
        "Ingress",
        FULL,
        "",
    ),
    served(
        "networkpolicies",
        "netpol",
        "networking.k8s.io/v1",
        true,
        "NetworkPolicy",
        FULL,
        "",
    ),
    served(
        "runtimeclasses",
        "",
        "node.k8s.io/v1",
        false,
        "RuntimeClass",
        FULL,
        "",
    ),
    served(
        "poddisruptionbudgets",
        "pdb",
        "policy/v1",
        true,
        "PodDisruptionBudget",
        FULL,
        "",
    ),
    served(
        "clusterrolebindings",
        "",
        "rbac.authorization.k8s.io/v1",
        false,
        "ClusterRoleBinding",
        FULL,
        "",
    ),
    served(
        "clusterroles",
        "",
        "rbac.authorization.k8s.io/v1",
        false,
        "ClusterRole",
        FULL,
        "",
    ),
    served(
        "rolebindings",
        "",
        "rbac.authorization.k8s.io/v1",
        true,
        "RoleBinding",
        FULL,
        "",
    ),
    served(
        "roles",
        "",
        "rbac.authorization.k8s.io/v1",
        true,
        "Role",
        FULL,
        "",
    ),
    served(
        "priorityclasses",
        "pc",
        "scheduling.k8s.io/v1",
        false,
        "PriorityClass",
        FULL,
        "",
    ),
    served(
        "csidrivers",
        "",
        "storage.k8s.io/v1",
        false,
        "CSIDriver",
        FULL,
        "",
    ),
    served("csinodes", "", "storage.k8s.io/v1", false, "CSINode", FULL, ""),
    served(
        "csistoragecapacities",
        "",
        "storage.k8s.io/v1",
        true,
        "CSIStorageCapacity",
        FULL,
        "",
    ),
    served(
        "storageclasses",
        "sc",
        "storage.k8s.io/v1",
        false,
        "StorageClass",
        FULL,
        "",
    ),
    served(
        "volumeattachments",
        "",
        "storage.k8s.io/v1",
        false,
        "VolumeAttachment",
        FULL,
        "",
    ),
];

/// Served resources that store nothing (and so have no case).
const NOT_STORED: &[&str] = &[
    "bindings",
    "componentstatuses",
    "selfsubjectreviews",
    "tokenreviews",
    "localsubjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "subjectaccessreviews",
];

/// The rows of a kubectl table as column name -> cell, cut at the header's column offsets (cells
/// may be empty, so splitting on whitespace would not do).
fn table_by_columns(out: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("a header row");
    let mut starts = Vec::new();
    let mut prev_space = true;
    for (i, ch) in header.char_indices() {
        if ch != ' ' && prev_space {
            starts.push(i);
        }
        prev_space = ch == ' ';
    }
    let names: Vec<String> = header.split_whitespace().map(str::to_string).collect();
    assert_eq!(names.len(), starts.len(), "{header}");
    lines
        .map(|line| {
            names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let from = starts[i].min(line.len());
                    let to = starts.get(i + 1).copied().unwrap_or(line.len()).min(line.len());
                    (name.clone(), line[from..to].trim().to_string())
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_lists_every_served_resource() {
    let server = SERVER.get().await;
    let dir = TempDir::new("api-resources");
    let k = server.kubectl(&dir);
    let out = k.ok(&["api-resources", "-o", "wide"]).await;
    assert_eq!(
        out.lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "NAME",
            "SHORTNAMES",
            "APIVERSION",
            "NAMESPACED",
            "KIND",
            "VERBS",
            "CATEGORIES"
        ],
        "{out}"
    );
    let rows = table_by_columns(&out);
    let cell = |row: &[(String, String)], column: &str| -> String {
        row.iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut listed = BTreeSet::new();
    for row in &rows {
        let key = (cell(row, "NAME"), cell(row, "APIVERSION"));
        let Some(want) = SERVED.iter().find(|s| s.name == key.0 && s.api_version == key.1) else {
            panic!("unexpected resource {key:?}\n{out}");
        };
        let got = [
            cell(row, "SHORTNAMES"),
            cell(row, "NAMESPACED"),
            cell(row, "KIND"),
            cell(row, "VERBS"),
            cell(row, "CATEGORIES"),
        ];
        let expected = [
            want.short_names.to_string(),
            want.namespaced.to_string(),
            want.kind.to_string(),
            want.verbs.to_string(),
            want.categories.to_string(),
        ];
        assert_eq!(got, expected, "{} {}\n{out}", want.name, want.api_version);
        assert!(listed.insert(key.clone()), "{key:?} listed twice\n{out}");
    }
    let missing: Vec<&str> = SERVED
        .iter()
        .filter(|s| !listed.contains(&(s.name.to_string(), s.api_version.to_string())))
        .map(|s| s.name)
        .collect();
    assert!(missing.is_empty(), "not listed: {missing:?}\n{out}");

    // Every served resource is either stored (and has a case) or stores nothing.
    let stored: BTreeSet<&str> = CASES.iter().map(|c| c.resource).collect();
    let not_stored: BTreeSet<&str> = NOT_STORED.iter().copied().collect();
    for s in SERVED {
        assert!(
            stored.contains(s.name) != not_stored.contains(s.name),
            "{} must be exactly one of stored / not stored",
            s.name
        );
    }
    let names: BTreeSet<&str> = SERVED.iter().map(|s| s.name).collect();
    assert_eq!(stored.len() + not_stored.len(), names.len());
    for c in CASES {
        let s = SERVED
            .iter()
            .find(|s| s.name == c.resource)
            .unwrap_or_else(|| panic!("{} is not in SERVED", c.resource));
        assert_eq!(
            (s.api_version, s.kind, s.namespaced),
            (c.api_version().as_str(), c.kind, c.namespaced)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_every_served_resource() {
    let server = SERVER.get().await;
    let dir = TempDir::new("explain");
    let k = server.kubectl(&dir);
    let mut failures = Vec::new();
    for s in SERVED {
        let (group, version) = s.api_version.rsplit_once('/').unwrap_or(("", s.api_version));
        // `--api-version` names the group unambiguously (`events.events.k8s.io` would not).
        let out = k.run(&["explain", s.name, "--api-version", s.api_version]).await;
        let lines: Vec<Vec<&str>> = out
            .stdout
            .lines()
            .take(4)
            .map(|l| l.split_whitespace().collect())
            .collect();
        let has = |field: &str, value: &str| lines.iter().any(|l| l[..] == [field, value]);
        let ok = out.success()
            && has("KIND:", s.kind)
            && has("VERSION:", version)
            && (group.is_empty() || has("GROUP:", group))
            && out.stdout.contains("DESCRIPTION:")
            && out.stdout.contains("FIELDS:");
        if !ok {
            failures.push(out.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "kubectl explain failed for {} resources:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Who am I, and may I
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_whoami_and_can_i() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth");
    let k = server.kubectl(&dir);
    let out = k.ok(&["auth", "whoami"]).await;
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["ATTRIBUTE", "VALUE"], "{out}");
    assert!(
        rows.iter().any(|r| r[..] == ["Username", "kubernetes-admin"]),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("Groups") && l.contains("system:masters")),
        "{out}"
    );
    assert_eq!(k.ok(&["auth", "can-i", "create", "pods"]).await.trim(), "yes");
    assert_eq!(
        k.ok(&["auth", "can-i", "delete", "deployments.apps", "-n", "kube-system"])
            .await
            .trim(),
        "yes"
    );
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// One refused object: `(manifest, resource, name, the message kubectl prints)`.
const REFUSED: &[(&str, &str, &str, &str)] = &[
    (
        include_str!("../manifests/kinds/invalid/pod-without-containers.yaml"),
        "pods",
        "empty",
        r#"The Pod "empty" is invalid: spec.containers: Required value"#,
    ),
    (
        include_str!("../manifests/kinds/invalid/deployment-selector-mismatch.yaml"),
        "deployments.apps",
        "mismatch",
        r#"The Deployment "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
    ),
    (
        include_str!("../manifests/kinds/invalid/priorityclass-too-high.yaml"),
        "priorityclasses.scheduling.k8s.io",
        "kinds-too-high",
        r#"The PriorityClass "kinds-too-high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000"#,
    ),
    (
        include_str!("../manifests/kinds/invalid/storageclass-without-provisioner.yaml"),
        "storageclasses.storage.k8s.io",
        "kinds-no-provisioner",
        r#"The StorageClass "kinds-no-provisioner" is invalid: provisioner: Required value"#,
    ),
    (
        include_str!("../manifests/kinds/invalid/rolebinding-without-roleref-kind.yaml"),
        "rolebindings.rbac.authorization.k8s.io",
        "no-kind",
        r#"The RoleBinding "no-kind" is invalid: roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole""#,
    ),
    (
        include_str!("../manifests/kinds/invalid/ingress-invalid-host.yaml"),
        "ingresses.networking.k8s.io",
        "bad-host",
        r#"The Ingress "bad-host" is invalid: spec.rules[0].host: Invalid value: "Shop_Front.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"#,
    ),
    (
        include_str!("../manifests/kinds/invalid/hpa-max-below-min.yaml"),
        "horizontalpodautoscalers.autoscaling",
        "inverted",
        r#"The HorizontalPodAutoscaler "inverted" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"#,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_objects_are_refused_with_422() {
    let server = SERVER.get().await;
    let dir = TempDir::new("invalid");
    let k = server.kubectl(&dir);
    let ns = unique("kinds-invalid");
    k.ok(&["create", "namespace", &ns]).await;
    for (i, (manifest, resource, name, message)) in REFUSED.iter().enumerate() {
        let file = dir.write(&format!("invalid-{i}.yaml"), manifest);
        let file = file.to_str().expect("UTF-8 path");
        // -v=6 logs each request with its status line.
        let out = k.fails(&["create", "-f", file, "-n", &ns, "-v=6"]).await;
        assert!(
            out.stderr.contains(" 422 Unprocessable Entity"),
            "{resource}: no 422\n{out}"
        );
        assert!(
            out.stderr.contains(message),
            "{resource}: expected {message}\n{out}"
        );
        let out = k.fails(&["get", resource, name, "-n", &ns]).await;
        assert!(
            out.stderr.contains(&format!(
                "Error from server (NotFound): {resource} \"{name}\" not found"
            )),
            "{out}"
        );
    }
}

/// Resources served in a second version read and write the same stored objects: an
/// events.k8s.io/v1 Event is a core Event, an autoscaling/v2 HPA reads as autoscaling/v1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_versions_convert_to_and_from_the_stored_one() {
    let server = SERVER.get().await;
    let dir = TempDir::new("versions");
    let k = server.kubectl(&dir);
    let ns = unique("versions");
    k.ok(&["create", "namespace", &ns]).await;
    let event = format!(
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: scaled\n  namespace: {ns}\n\
         eventTime: \"2026-11-29T10:00:00.000000Z\"\nreportingController: example.com/ctl\n\
         reportingInstance: ctl-1\naction: Scale\nreason: Scaled\ntype: Normal\nnote: scaled to 3\n\
         regarding:\n  kind: Deployment\n  namespace: {ns}\n  name: web\n"
    );
    let file = dir.write("event.yaml", event);
    k.ok(&["create", "-f", &file.to_string_lossy()]).await;
    let core = parse_json(
        &k.ok(&["get", "events.v1.", "scaled", "-n", &ns, "-o", "json"])
            .await,
    );
    assert_eq!(core["apiVersion"], "v1");
    assert_eq!(core["message"], "scaled to 3");
    assert_eq!(core["involvedObject"]["name"], "web");
    let new = parse_json(
        &k.ok(&[
            "get",
            "events.v1.events.k8s.io",
            "scaled",
            "-n",
            &ns,
            "-o",
            "json",
        ])
        .await,
    );
    assert_eq!(new["apiVersion"], "events.k8s.io/v1");
    assert_eq!(new["note"], "scaled to 3");

    k.ok(&["create", "deployment", "web", "--image=nginx:1.27", "-n", &ns])
        .await;
    k.ok(&[
        "autoscale",
        "deployment",
        "web",
        "--min=2",
        "--max=5",
        "--cpu-percent=60",
        "-n",
        &ns,
    ])
    .await;
    let v1 = parse_json(
        &k.ok(&[
            "get",
            "horizontalpodautoscalers.v1.autoscaling",
            "web",
            "-n",
            &ns,
            "-o",
            "json",
        ])
        .await,
    );
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 60);
    assert_eq!(v1["spec"]["minReplicas"], 2);
    let v2 = parse_json(&k.ok(&["get", "hpa", "web", "-n", &ns, "-o", "json"]).await);
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(
        v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        60
    );
    // A merge patch through v1 lands in the stored v2 object.
    k.ok(&[
        "patch",
        "horizontalpodautoscalers.v1.autoscaling",
        "web",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"targetCPUUtilizationPercentage":75}}"#,
    ])
    .await;
    let v2 = parse_json(&k.ok(&["get", "hpa", "web", "-n", &ns, "-o", "json"]).await);
    assert_eq!(
        v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        75
    );
}

/// Every `kubectl create` generator (they send protobuf bodies) makes its object.
/// `kubectl create token` is left out: TokenRequest is not served yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kubectl_create_generator_works() {
    let server = SERVER.get().await;
    let dir = TempDir::new("generators");
    let k = server.kubectl(&dir);
    let ns = unique("gen");
    k.ok(&["create", "namespace", &ns]).await;
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["clusterrole", "gen-reader", "--verb=get,list", "--resource=pods"],
            "clusterrole",
            "gen-reader",
        ),
        (
            &[
                "clusterrolebinding",
                "gen-reader",
                "--clusterrole=gen-reader",
                "--user=alice",
            ],
            "clusterrolebinding",
            "gen-reader",
        ),
        (
            &["configmap", "gen-cm", "--from-literal=a=b"],
            "configmap",
            "gen-cm",
        ),
        (
            &[
                "cronjob",
                "gen-cj",
                "--image=busybox:1.36",
                "--schedule=*/5 * * * *",
            ],
            "cronjob",
            "gen-cj",
        ),
        (
            &["deployment", "gen-deploy", "--image=nginx:1.27", "--replicas=2"],
            "deployment",
            "gen-deploy",
        ),
        (
            &["ingress", "gen-ing", "--rule=shop.example.com/=web:80"],
            "ingress",
            "gen-ing",
        ),
        (&["job", "gen-job", "--image=busybox:1.36"], "job", "gen-job"),
        (
            &[
                "poddisruptionbudget",
                "gen-pdb",
                "--selector=app=web",
                "--min-available=1",
            ],
            "pdb",
            "gen-pdb",
        ),
        (
            &["priorityclass", "gen-pc", "--value=1000"],
            "priorityclass",
            "gen-pc",
        ),
        (
            &["quota", "gen-quota", "--hard=pods=10,cpu=4"],
            "resourcequota",
            "gen-quota",
        ),
        (
            &["role", "gen-role", "--verb=get", "--resource=configmaps"],
            "role",
            "gen-role",
        ),
        (
            &["rolebinding", "gen-rb", "--role=gen-role", "--user=alice"],
            "rolebinding",
            "gen-rb",
        ),
        (
            &["secret", "generic", "gen-secret", "--from-literal=k=v"],
            "secret",
            "gen-secret",
        ),
        (
            &[
                "secret",
                "docker-registry",
                "gen-pull",
                "--docker-server=r.example",
                "--docker-username=u",
                "--docker-password=p",
            ],
            "secret",
            "gen-pull",
        ),
        (
            &["service", "clusterip", "gen-svc", "--tcp=80:8080"],
            "service",
            "gen-svc",
        ),
        (
            &["service", "nodeport", "gen-np", "--tcp=80:8080"],
            "service",
            "gen-np",
        ),
        (&["serviceaccount", "gen-sa"], "serviceaccount", "gen-sa"),
    ];
    for (args, resource, name) in cases {
        let mut create = vec!["create"];
        create.extend_from_slice(args);
        create.extend_from_slice(&["-n", &ns]);
        k.ok(&create).await;
        let obj = parse_json(&k.ok(&["get", resource, name, "-n", &ns, "-o", "json"]).await);
        assert_eq!(obj["metadata"]["name"], *name, "{args:?}");
        assert!(obj["metadata"]["uid"].is_string(), "{args:?}");
    }
    // What the server filled in.
    let np = parse_json(&k.ok(&["get", "service", "gen-np", "-n", &ns, "-o", "json"]).await);
    let port = np["spec"]["ports"][0]["nodePort"].as_u64().unwrap_or(0);
    assert!((30000..=32767).contains(&port), "{np}");
    let pull = parse_json(
        &k.ok(&["get", "secret", "gen-pull", "-n", &ns, "-o", "json"])
            .await,
    );
    assert_eq!(pull["type"], "kubernetes.io/dockerconfigjson");
    for cluster_scoped in [
        ["clusterrolebinding", "gen-reader"],
        ["clusterrole", "gen-reader"],
        ["priorityclass", "gen-pc"],
    ] {
        k.ok(&["delete", cluster_scoped[0], cluster_scoped[1]]).await;
    }
}

/// `kubectl logs` and `kubectl exec` of a pod whose node's kubelet cannot be reached, and of a
/// pod no node runs: kube-apiserver's answers, word for word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_subresources_without_a_kubelet() {
    let server = SERVER.get().await;
    let dir = TempDir::new("kubelet");
    let k = server.kubectl(&dir);
    let ns = unique("kubelet");
    k.ok(&["create", "namespace", &ns]).await;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let node = unique("node");
    node_with_pod(&k, &dir, &node, "127.0.0.1", port, &ns, "web").await;
    k.ok(&["run", "pending", "--image=nginx:1.27", "-n", &ns]).await;

    let logs = k.run(&["logs", "web", "-n", &ns]).await;
    assert!(!logs.success());
    let want = format!(
        "Error from server: Get \"https://127.0.0.1:{port}/containerLogs/{ns}/web/web\": dial tcp 127.0.0.1:{port}: connect: connection refused"
    );
    assert_eq!(logs.stderr.trim(), want, "{logs}");
    let exec = k.run(&["exec", "web", "-n", &ns, "--", "ls"]).await;
    assert!(!exec.success());
    assert!(
        exec.stderr.contains(&format!(
            "error dialing backend: dial tcp 127.0.0.1:{port}: connect: connection refused"
        )),
        "{exec}"
    );
    let logs = k.run(&["logs", "pending", "-n", &ns]).await;
    assert!(logs.success() && logs.stdout.is_empty(), "{logs}");
    let exec = k.run(&["exec", "pending", "-n", &ns, "--", "ls"]).await;
    assert_eq!(
        exec.stderr.trim(),
        "Error from server (BadRequest): pod pending does not have a host assigned",
        "{exec}"
    );
    k.ok(&["delete", "node", &node]).await;
}

/// The machine's own routable address (proxy backends may not be loopback addresses) and a
/// port of it nothing listens on.
fn routable_closed_port() -> (std::net::IpAddr, u16) {
    let ip = routable_ip();
    let port = std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    (ip, port)
}

/// `pods/proxy`, `services/proxy` and `nodes/proxy` when the backend cannot be reached, or
/// is not there: kube-apiserver's answers through `kubectl get --raw`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_subresources_without_a_backend() {
    let server = SERVER.get().await;
    let dir = TempDir::new("proxy");
    let k = server.kubectl(&dir);
    let ns = unique("proxy");
    k.ok(&["create", "namespace", &ns]).await;
    let (ip, port) = routable_closed_port();
    let raw_error = |out: Output| {
        assert!(!out.success(), "{out}");
        out.stderr.trim().to_string()
    };

    // A pod: no address yet, then an address nothing answers on.
    k.ok(&["run", "web", "--image=nginx:1.27", "--port=8080", "-n", &ns])
        .await;
    let pod_proxy = format!("/api/v1/namespaces/{ns}/pods/web:{port}/proxy/");
    assert_eq!(
        raw_error(k.run(&["get", "--raw", &pod_proxy]).await),
        "Error from server (BadRequest): address not allowed"
    );
    let status = format!(r#"{{"status":{{"podIP":"{ip}","podIPs":[{{"ip":"{ip}"}}]}}}}"#);
    k.ok(&[
        "patch",
        "pod",
        "web",
        "-n",
        &ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ])
    .await;
    let refused = format!("error trying to reach service: dial tcp {ip}:{port}: connect: connection refused");
    let err = raw_error(k.run(&["get", "--raw", &pod_proxy]).await);
    assert!(
        err.contains("(ServiceUnavailable)") && err.contains(&refused),
        "{err}"
    );
    let err = raw_error(
        k.run(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/{ns}/pods/none/proxy/"),
        ])
        .await,
    );
    assert_eq!(err, "Error from server (NotFound): pods \"none\" not found");

    // A service: without endpoints, then with the pod as its endpoint.
    k.ok(&[
        "create",
        "service",
        "clusterip",
        "web",
        &format!("--tcp=80:{port}"),
        "-n",
        &ns,
    ])
    .await;
    let svc_proxy = format!("/api/v1/namespaces/{ns}/services/web:80/proxy/");
    assert_eq!(
        raw_error(k.run(&["get", "--raw", &svc_proxy]).await),
        "Error from server (NotFound): endpoints \"web\" not found"
    );
    let endpoints = dir.write(
        "endpoints.json",
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": ns},
            "subsets": [{"addresses": [{"ip": ip.to_string(),
                "targetRef": {"kind": "Pod", "namespace": ns, "name": "web"}}],
                "ports": [{"name": format!("80-{port}"), "port": port}]}]})
        .to_string(),
    );
    k.ok(&["create", "-f", &endpoints.to_string_lossy()]).await;
    let err = raw_error(k.run(&["get", "--raw", &svc_proxy]).await);
    assert!(
        err.contains("(ServiceUnavailable)") && err.contains(&refused),
        "{err}"
    );
    let err = raw_error(
        k.run(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/{ns}/services/web:81/proxy/"),
        ])
        .await,
    );
    assert!(
        err.contains("no service port 81 found for service \"web\""),
        "{err}"
    );

    // A node: a loopback address is refused, a routable one dialed.
    let node = unique("node");
    let file = dir.write(
        "node.yaml",
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {node}\n"),
    );
    k.ok(&["create", "-f", &file.to_string_lossy()]).await;
    let node_status = |address: String| {
        format!(
            r#"{{"status":{{"addresses":[{{"type":"InternalIP","address":"{address}"}}],"daemonEndpoints":{{"kubeletEndpoint":{{"Port":{port}}}}}}}}}"#
        )
    };
    let node_proxy = format!("/api/v1/nodes/{node}/proxy/metrics");
    k.ok(&[
        "patch",
        "node",
        &node,
        "--subresource=status",
        "--type=merge",
        "-p",
        &node_status("127.0.0.1".into()),
    ])
    .await;
    assert_eq!(
        raw_error(k.run(&["get", "--raw", &node_proxy]).await),
        "Error from server (BadRequest): address not allowed"
    );
    k.ok(&[
        "patch",
        "node",
        &node,
        "--subresource=status",
        "--type=merge",
        "-p",
        &node_status(ip.to_string()),
    ])
    .await;
    let err = raw_error(k.run(&["get", "--raw", &node_proxy]).await);
    assert!(
        err.contains("(ServiceUnavailable)") && err.contains(&refused),
        "{err}"
    );
    k.ok(&["delete", "node", &node]).await;
}

/// `kubectl drain` cordons a node and evicts its pods through `pods/eviction`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_drain_evicts_the_pods_of_a_node() {
    let server = SERVER.get().await;
    let dir = TempDir::new("drain");
    let k = server.kubectl(&dir);
    let ns = unique("drain");
    k.ok(&["create", "namespace", &ns]).await;
    let node = unique("drain-node");
    let file = dir.write(
        "node.yaml",
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {node}\n"),
    );
    k.ok(&["create", "-f", &file.to_string_lossy()]).await;
    let bound = format!(r#"{{"spec":{{"nodeName":"{node}"}}}}"#);
    k.ok(&[
        "run",
        "web",
        "--image=nginx:1.27",
        "-n",
        &ns,
        "--overrides",
        &bound,
    ])
    .await;
    let out = k
        .ok(&["drain", &node, "--force", "--grace-period=0", "--timeout=60s"])
        .await;
    assert!(out.contains(&format!("node/{node} drained")), "{out}");
    let pods = k.ok(&["get", "pods", "-n", &ns, "-o", "name"]).await;
    assert!(pods.trim().is_empty(), "{pods}");
    let cordoned = parse_json(&k.ok(&["get", "node", &node, "-o", "json"]).await);
    assert_eq!(cordoned["spec"]["unschedulable"], true);
    k.ok(&["delete", "node", &node]).await;
}

/// `kubectl drain` evicts a running pod under a disruption budget that allows one
/// disruption, and the eviction takes that disruption from the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_drain_charges_the_disruption_budget() {
    let server = SERVER.get().await;
    let dir = TempDir::new("drain-pdb");
    let k = server.kubectl(&dir);
    let ns = unique("drain-pdb");
    k.ok(&["create", "namespace", &ns]).await;
    let node = unique("drain-pdb-node");
    node_with_pod(&k, &dir, &node, "127.0.0.1", 10250, &ns, "web").await;
    k.ok(&["label", "pod", "web", "-n", &ns, "app=web"]).await;
    k.ok(&[
        "patch",
        "pod",
        "web",
        "-n",
        &ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"phase":"Running"}}"#,
    ])
    .await;
    k.ok(&[
        "create",
        "pdb",
        "web",
        "-n",
        &ns,
        "--selector=app=web",
        "--min-available=0",
    ])
    .await;
    let budget = r#"{"status":{"observedGeneration":1,"disruptionsAllowed":1,"currentHealthy":1,"desiredHealthy":0,"expectedPods":1}}"#;
    k.ok(&[
        "patch",
        "pdb",
        "web",
        "-n",
        &ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        budget,
    ])
    .await;
    let out = k
        .ok(&["drain", &node, "--force", "--grace-period=0", "--timeout=60s"])
        .await;
    assert!(out.contains(&format!("node/{node} drained")), "{out}");
    let pdb = parse_json(&k.ok(&["get", "pdb", "web", "-n", &ns, "-o", "json"]).await);
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0, "{pdb}");
    assert!(pdb["status"]["disruptedPods"]["web"].is_string(), "{pdb}");
    k.ok(&["delete", "node", &node]).await;
}

/// `kubectl certificate approve` (the approval subresource) and `kubectl debug` (ephemeral
/// containers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_and_ephemeral_containers_through_kubectl() {
    let server = SERVER.get().await;
    let dir = TempDir::new("subresources");
    let k = server.kubectl(&dir);
    let name = unique("csr");
    let text = include_str!("../manifests/kinds/certificatesigningrequest.yaml").replacen(
        "name: kinds-client-csr",
        &format!("name: {name}"),
        1,
    );
    let file = dir.write("csr.yaml", text);
    k.ok(&["create", "-f", &file.to_string_lossy()]).await;
    k.ok(&["certificate", "approve", &name]).await;
    let csr = parse_json(&k.ok(&["get", "csr", &name, "-o", "json"]).await);
    assert_eq!(csr["status"]["conditions"][0]["type"], "Approved", "{csr}");
    let table = k.ok(&["get", "csr", &name]).await;
    assert!(table.contains("Approved"), "{table}");
    k.ok(&["delete", "csr", &name]).await;

    let ns = unique("debug");
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["run", "web", "--image=nginx:1.27", "-n", &ns]).await;
    k.ok(&[
        "debug",
        "web",
        "-n",
        &ns,
        "--image=busybox:1.36",
        "--container=dbg",
    ])
    .await;
    let pod = parse_json(&k.ok(&["get", "pod", "web", "-n", &ns, "-o", "json"]).await);
    assert_eq!(pod["spec"]["ephemeralContainers"][0]["name"], "dbg", "{pod}");
    assert_eq!(pod["spec"]["ephemeralContainers"][0]["image"], "busybox:1.36");
}
