//! End-to-end behaviour of [`super::update`] and [`super::apply`] against the real schemas.

use serde_json::{json, Value};

use super::testing::schemas;
use super::*;

const CM: &str = "io.k8s.api.core.v1.ConfigMap";
const DEPLOY: &str = "io.k8s.api.apps.v1.Deployment";
const T1: &str = "2024-05-01T10:00:00Z";
const T2: &str = "2024-05-01T11:00:00Z";

fn op<'a>(manager: &'a str, api_version: &'a str, time: &'a str) -> Operation<'a> {
    Operation {
        manager,
        api_version,
        subresource: "",
        time,
    }
}

fn mf(obj: &Value) -> Value {
    obj["metadata"]["managedFields"].clone()
}

fn fields_of(obj: &Value, manager: &str) -> Value {
    mf(obj)
        .as_array()
        .and_then(|l| l.iter().find(|e| e["manager"] == manager))
        .map(|e| e["fieldsV1"].clone())
        .unwrap_or(Value::Null)
}

fn cm(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "d"}, "data": data})
}

fn created(manager: &str, obj: Value) -> Value {
    let mut obj = obj;
    update(&schemas(), CM, None, &mut obj, &op(manager, "v1", T1), &[]).unwrap();
    obj
}

#[test]
fn configmap_create_then_update_by_another_manager() {
    let live = created("kubectl-create", cm(json!({"a": "1", "b": "2"})));
    assert_eq!(
        mf(&live),
        json!([{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
            "time": T1, "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}, ".": {}}}}])
    );
    let mut new = live.clone();
    new["data"] = json!({"a": "1", "b": "3", "c": "4"});
    update(
        &schemas(),
        CM,
        Some(&live),
        &mut new,
        &op("kubectl-edit", "v1", T2),
        &[],
    )
    .unwrap();
    assert_eq!(
        fields_of(&new, "kubectl-create"),
        json!({"f:data": {"f:a": {}, ".": {}}})
    );
    assert_eq!(
        fields_of(&new, "kubectl-edit"),
        json!({"f:data": {"f:b": {}, "f:c": {}}})
    );
    // Entries are ordered by time.
    assert_eq!(mf(&new)[1]["manager"], "kubectl-edit");
    assert_eq!(mf(&new)[1]["time"], T2);

    // A write that changes nothing keeps entries and times.
    let mut same = new.clone();
    update(
        &schemas(),
        CM,
        Some(&new),
        &mut same,
        &op("other", "v1", "2024-05-01T12:00:00Z"),
        &[],
    )
    .unwrap();
    assert_eq!(mf(&same), mf(&new));
}

#[test]
fn apply_create_reapply_and_prune() {
    let s = schemas();
    let created = apply(
        &s,
        CM,
        None,
        &cm(json!({"a": "1", "b": "2"})),
        &op("m", "v1", T1),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(created["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        mf(&created),
        json!([{"manager": "m", "operation": "Apply", "apiVersion": "v1", "time": T1,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}}])
    );
    // Dropping b from the configuration removes it from the object.
    let next = apply(
        &s,
        CM,
        Some(&created),
        &cm(json!({"a": "1"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(next["data"], json!({"a": "1"}));
    assert_eq!(fields_of(&next, "m"), json!({"f:data": {"f:a": {}}}));
    assert_eq!(mf(&next)[0]["time"], T2);
    // A no-op apply keeps the time.
    let again = apply(
        &s,
        CM,
        Some(&next),
        &cm(json!({"a": "1"})),
        &op("m", "v1", "2024-06-01T00:00:00Z"),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(mf(&again)[0]["time"], T2);
}

#[test]
fn co_owned_fields_survive_pruning() {
    let s = schemas();
    let one = apply(
        &s,
        CM,
        None,
        &cm(json!({"a": "1", "b": "2"})),
        &op("m", "v1", T1),
        false,
        &[],
    )
    .unwrap();
    let two = apply(
        &s,
        CM,
        Some(&one),
        &cm(json!({"b": "2"})),
        &op("n", "v1", T1),
        false,
        &[],
    )
    .unwrap();
    let three = apply(
        &s,
        CM,
        Some(&two),
        &cm(json!({"a": "1"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(three["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(fields_of(&three, "n"), json!({"f:data": {"f:b": {}}}));
}

#[test]
fn conflict_with_update_manager_then_force() {
    let s = schemas();
    let live = created("kubectl-client-side-apply", cm(json!({"k": "1"})));
    let err = apply(
        &s,
        CM,
        Some(&live),
        &cm(json!({"k": "2"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap_err();
    let ApplyError::Conflicts(c) = err else {
        panic!("expected conflicts, got {err:?}");
    };
    assert_eq!(
        c.message(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.k"
    );
    assert_eq!(
        c.causes(),
        vec![(
            "conflict with \"kubectl-client-side-apply\" using v1".to_string(),
            ".data.k".to_string()
        )]
    );
    // The same value is no conflict: ownership is shared.
    let shared = apply(
        &s,
        CM,
        Some(&live),
        &cm(json!({"k": "1"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(fields_of(&shared, "m"), json!({"f:data": {"f:k": {}}}));
    assert_eq!(
        fields_of(&shared, "kubectl-client-side-apply"),
        json!({"f:data": {"f:k": {}, ".": {}}})
    );

    let forced = apply(
        &s,
        CM,
        Some(&live),
        &cm(json!({"k": "2"})),
        &op("m", "v1", T2),
        true,
        &[],
    )
    .unwrap();
    assert_eq!(forced["data"]["k"], "2");
    assert_eq!(fields_of(&forced, "m"), json!({"f:data": {"f:k": {}}}));
    // Only the map node itself is left: a member without children is written as `{}`.
    assert_eq!(
        fields_of(&forced, "kubectl-client-side-apply"),
        json!({"f:data": {}})
    );
}

#[test]
fn several_conflicts_message() {
    let s = schemas();
    let one = apply(
        &s,
        CM,
        None,
        &cm(json!({"a": "1"})),
        &op("alpha", "v1", T1),
        false,
        &[],
    )
    .unwrap();
    let mut two = one.clone();
    two["data"]["b"] = json!("1");
    two["data"]["c"] = json!("1");
    update(&s, CM, Some(&one), &mut two, &op("beta", "v1", T1), &[]).unwrap();
    let err = apply(
        &s,
        CM,
        Some(&two),
        &cm(json!({"a": "2", "b": "2", "c": "2"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 3 conflicts: conflicts with \"alpha\":\n- .data.a\n\
         conflicts with \"beta\" using v1:\n- .data.b\n- .data.c"
    );
}

fn deployment(containers: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": containers}}}})
}

#[test]
fn deployment_lists_merge_by_schema() {
    let s = schemas();
    let live = apply(
        &s,
        DEPLOY,
        None,
        &deployment(json!([
            {"name": "a", "image": "a:1", "args": ["x", "y"], "ports": [{"containerPort": 80}]}
        ])),
        &op("m", "apps/v1", T1),
        false,
        &[],
    )
    .unwrap();
    let fields = fields_of(&live, "m");
    let container = &fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"a\"}"];
    assert_eq!(
        container["f:ports"],
        json!({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {"f:containerPort": {}, ".": {}}})
    );
    assert_eq!(container["f:args"], json!({}));

    // Another applier adds a container and a port, and replaces the atomic args.
    let other = apply(
        &s,
        DEPLOY,
        Some(&live),
        &deployment(json!([
            {"name": "b", "image": "b:1"},
            {"name": "a", "ports": [{"containerPort": 81, "protocol": "UDP"}]}
        ])),
        &op("n", "apps/v1", T2),
        false,
        &[],
    )
    .unwrap();
    let cs = &other["spec"]["template"]["spec"]["containers"];
    assert_eq!(cs[0]["name"], "b");
    assert_eq!(cs[1]["name"], "a");
    assert_eq!(cs[1]["args"], json!(["x", "y"]));
    assert_eq!(
        cs[1]["ports"],
        json!([{"containerPort": 80}, {"containerPort": 81, "protocol": "UDP"}])
    );

    let err = apply(
        &s,
        DEPLOY,
        Some(&other),
        &deployment(json!([
            {"name": "a", "args": ["z"]}
        ])),
        &op("n", "apps/v1", T2),
        false,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"m\": \
         .spec.template.spec.containers[name=\"a\"].args"
    );
    // m drops container a's port; n's port and container b stay.
    let pruned = apply(
        &s,
        DEPLOY,
        Some(&other),
        &deployment(json!([
            {"name": "a", "image": "a:1", "args": ["x", "y"]}
        ])),
        &op("m", "apps/v1", T2),
        false,
        &[],
    )
    .unwrap();
    let cs = &pruned["spec"]["template"]["spec"]["containers"];
    assert_eq!(cs[1]["ports"], json!([{"containerPort": 81, "protocol": "UDP"}]));
    assert_eq!(cs[0]["name"], "b");
}

#[test]
fn finalizers_are_a_set() {
    let s = schemas();
    let mut obj = cm(json!({}));
    obj["metadata"]["finalizers"] = json!(["a/x"]);
    let one = apply(&s, CM, None, &obj, &op("m", "v1", T1), false, &[]).unwrap();
    let mut obj2 = cm(json!({}));
    obj2["metadata"]["finalizers"] = json!(["b/y"]);
    let two = apply(&s, CM, Some(&one), &obj2, &op("n", "v1", T1), false, &[]).unwrap();
    assert_eq!(two["metadata"]["finalizers"], json!(["a/x", "b/y"]));
    assert_eq!(
        fields_of(&two, "n")["f:metadata"],
        json!({"f:finalizers": {"v:\"b/y\"": {}}})
    );
    let path = Path(vec![
        PathElement::Field("metadata".into()),
        PathElement::Field("finalizers".into()),
        PathElement::Value(json!("a/x")),
    ]);
    assert_eq!(path.to_string(), ".metadata.finalizers[=\"a/x\"]");
}

#[test]
fn reset_paths_are_not_owned() {
    let s = schemas();
    let mut obj = deployment(json!([{"name": "a", "image": "a:1"}]));
    obj["status"] = json!({"replicas": 3});
    let reset: &[&[&str]] = &[&["status"]];
    let created = apply(&s, DEPLOY, None, &obj, &op("m", "apps/v1", T1), false, reset).unwrap();
    assert!(created.get("status").is_none());
    assert!(fields_of(&created, "m").get("f:status").is_none());

    let mut live = created.clone();
    live["status"] = json!({"replicas": 1});
    let mut new = live.clone();
    new["status"] = json!({"replicas": 2});
    new["spec"]["replicas"] = json!(2);
    update(
        &s,
        DEPLOY,
        Some(&live),
        &mut new,
        &op("ctl", "apps/v1", T2),
        reset,
    )
    .unwrap();
    assert_eq!(fields_of(&new, "ctl"), json!({"f:spec": {"f:replicas": {}}}));
    // Applying status values under a reset path keeps the live ones.
    let again = apply(
        &s,
        DEPLOY,
        Some(&new),
        &obj,
        &op("m", "apps/v1", T2),
        false,
        reset,
    )
    .unwrap();
    assert_eq!(again["status"], json!({"replicas": 2}));
}

#[test]
fn update_managers_are_capped() {
    let s = schemas();
    let mut live = created("m0", cm(json!({"k0": "v"})));
    for i in 1..=11 {
        let mut new = live.clone();
        new["data"][format!("k{i}")] = json!("v");
        let manager = format!("m{i}");
        let time = format!("2024-05-01T10:{i:02}:00Z");
        update(&s, CM, Some(&live), &mut new, &op(&manager, "v1", &time), &[]).unwrap();
        live = new;
    }
    let list = mf(&live);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    let ancient = list.iter().find(|e| e["manager"] == ANCIENT_CHANGES).unwrap();
    assert_eq!(
        ancient["fieldsV1"],
        json!({"f:data": {"f:k0": {}, "f:k1": {}, "f:k2": {}, ".": {}}})
    );
    assert_eq!(ancient["time"], "2024-05-01T10:02:00Z");
}

#[test]
fn clients_reset_replace_or_garble_managed_fields() {
    let s = schemas();
    let live = created("a", cm(json!({"k": "1"})));
    // [{}] clears, and the object stays untracked.
    let mut new = live.clone();
    new["metadata"]["managedFields"] = json!([{}]);
    update(&s, CM, Some(&live), &mut new, &op("b", "v1", T2), &[]).unwrap();
    assert!(new["metadata"].get("managedFields").is_none());
    let mut later = new.clone();
    later["data"]["k"] = json!("2");
    update(&s, CM, Some(&new), &mut later, &op("b", "v1", T2), &[]).unwrap();
    assert!(later["metadata"].get("managedFields").is_none());
    // The first apply hands existing fields to before-first-apply.
    let applied = apply(
        &s,
        CM,
        Some(&later),
        &cm(json!({"j": "1"})),
        &op("m", "v1", T2),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(
        fields_of(&applied, BEFORE_FIRST_APPLY),
        json!({"f:data": {"f:k": {}, ".": {}}})
    );

    // A valid replacement list is taken as sent.
    let mut replaced = live.clone();
    replaced["metadata"]["managedFields"] = json!([{"manager": "z", "operation": "Update",
        "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:k": {}}}}]);
    update(&s, CM, Some(&live), &mut replaced, &op("b", "v1", T2), &[]).unwrap();
    assert_eq!(fields_of(&replaced, "z"), json!({"f:data": {"f:k": {}}}));
    assert!(fields_of(&replaced, "a").is_null());

    // An invalid one is ignored in favour of the stored list.
    let mut garbled = live.clone();
    garbled["metadata"]["managedFields"] = json!([{"manager": "z", "operation": "Update",
        "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"nonsense": 1}}]);
    update(&s, CM, Some(&live), &mut garbled, &op("b", "v1", T2), &[]).unwrap();
    assert_eq!(mf(&garbled), mf(&live));

    // Apply configurations may not carry managedFields; stored garbage is an error.
    let mut bad = cm(json!({}));
    bad["metadata"]["managedFields"] = json!([]);
    assert!(matches!(
        apply(&s, CM, Some(&live), &bad, &op("m", "v1", T2), false, &[]),
        Err(ApplyError::BadRequest(_))
    ));
    let mut stored = live.clone();
    stored["metadata"]["managedFields"][0]["fieldsV1"] = json!({"k:[": {}});
    assert!(matches!(
        apply(
            &s,
            CM,
            Some(&stored),
            &cm(json!({})),
            &op("m", "v1", T2),
            false,
            &[]
        ),
        Err(ApplyError::Internal(_))
    ));
}

#[test]
fn bad_configurations_are_errors_not_panics() {
    let s = schemas();
    let err = apply(
        &s,
        DEPLOY,
        None,
        &deployment(json!([{"image": "x"}])),
        &op("m", "apps/v1", T1),
        false,
        &[],
    )
    .unwrap_err();
    assert!(matches!(err, ApplyError::Invalid(_)), "{err:?}");
    let err = apply(
        &s,
        CM,
        None,
        &json!({"apiVersion": "v2"}),
        &op("m", "v1", T1),
        false,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1"
    );
    let mut deep = json!("leaf");
    for _ in 0..(MAX_DEPTH + 10) {
        deep = json!({ "x": deep });
    }
    let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"annotations": {}}, "data": {}, "x": deep});
    assert!(matches!(
        apply(&s, CM, None, &obj, &op("m", "v1", T1), false, &[]),
        Err(ApplyError::Invalid(_))
    ));
    let mut new = obj.clone();
    assert!(update(&s, CM, None, &mut new, &op("m", "v1", T1), &[]).is_err());
}
