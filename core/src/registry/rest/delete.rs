//! Delete and deletecollection: preconditions, propagation finalizers, and graceful removal.

use super::*;

impl Machine {
    pub(super) fn resume_delete(
        &mut self,
        env: &mut Env<'_>,
        mut ds: DeleteState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = &*self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        let current = match resp {
            StorageResponse::Range { kvs, .. } => kvs.into_iter().next(),
            StorageResponse::Txn {
                succeeded: true,
                revision,
                ..
            } => {
                let (obj, removed) = ds.pending.take().unwrap_or((Value::Null, true));
                if self.eviction {
                    return done(Ok(eviction_reply()));
                }
                return done(Ok(Reply {
                    code: 200,
                    object: delete_reply(def, obj, removed, revision),
                    warnings: ds.warnings,
                }));
            }
            StorageResponse::Txn {
                succeeded: false,
                gets,
                ..
            } => {
                ds.attempts += 1;
                if ds.attempts >= MAX_ATTEMPTS {
                    return fail(ApiError::stale(&def.group, &def.resource, &self.call.name));
                }
                let mut gets = gets.into_iter();
                let pod = gets.next().flatten();
                ds.fresh_budget = gets.next().flatten();
                pod
            }
            StorageResponse::Compacted { .. } => {
                return fail(ApiError::internal("unexpected storage answer"))
            }
        };
        let Some(kv) = current else {
            return fail(ApiError::not_found(&def.group, &def.resource, &self.call.name));
        };
        let Some(cur) = env.storage.decode(&kv) else {
            return fail(ApiError::internal("stored object cannot be decoded"));
        };
        if let Err(e) = check_preconditions(def, &ds.opts, &cur, kv.mod_revision) {
            return fail(e);
        }
        if !self.eviction && ds.admitted_at != Some(kv.mod_revision) {
            let request = self.admission_request(admission::Operation::Delete, None, Some(cur.clone()));
            ds.admitting = Some((kv, cur, admission::Phase::Mutating));
            self.state = State::Delete(ds);
            return Step::Admit(admission::Phase::Mutating, Box::new(request));
        }
        self.finish_delete(env, ds, kv, cur)
    }

    /// Deletes `cur` (read as `kv`), admitted.
    pub(super) fn finish_delete(
        &mut self,
        env: &mut Env<'_>,
        mut ds: DeleteState,
        kv: KeyValue,
        cur: Value,
    ) -> Step {
        let def = &*self.call.def;
        let charge = if self.eviction {
            match charge_budget(env, &cur, ds.fresh_budget.as_ref()) {
                Ok(c) => c,
                Err(e) => return fail(e),
            }
        } else {
            None
        };
        let plan = plan_delete(def, &ds.opts, &cur, env.now);
        let (step_obj, removed) = match plan {
            DeletePlan::Unchanged(_) if self.eviction => return done(Ok(eviction_reply())),
            DeletePlan::Unchanged(obj) => {
                return done(Ok(Reply {
                    code: 200,
                    object: obj,
                    warnings: ds.warnings,
                }))
            }
            DeletePlan::Update(obj) => (obj, false),
            DeletePlan::Remove => (cur.clone(), true),
        };
        if self.dry_run && self.eviction {
            return done(Ok(eviction_reply()));
        }
        if self.dry_run {
            return done(Ok(Reply {
                code: 200,
                object: delete_reply(def, step_obj, removed, kv.mod_revision),
                warnings: ds.warnings,
            }));
        }
        let op = if removed {
            TxnOp::Delete { key: ds.key.clone() }
        } else {
            TxnOp::Put {
                key: ds.key.clone(),
                value: env.storage.encode(&ds.key, &step_obj),
                ttl_secs: self.ttl,
            }
        };
        let mut compare = vec![Compare::ModRevision(ds.key.clone(), kv.mod_revision)];
        let mut failure = vec![TxnOp::Get { key: ds.key.clone() }];
        let mut success = vec![op];
        if removed {
            success.extend(allocation::release(def, env.prefix, &cur));
        }
        if let Some(c) = charge {
            // The budget and the pod change together or not at all.
            compare.push(Compare::ModRevision(c.key.clone(), c.revision));
            failure.push(TxnOp::Get { key: c.key.clone() });
            success.push(TxnOp::Put {
                value: env.storage.encode(&c.key, &c.budget),
                key: c.key,
                ttl_secs: None,
            });
        }
        ds.pending = Some((step_obj, removed));
        self.state = State::Delete(ds);
        Step::Storage(StorageRequest::Txn {
            compare,
            success,
            failure,
        })
    }

    pub(super) fn resume_collection(
        &mut self,
        env: &mut Env<'_>,
        mut cs: CollectionState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = &*self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        if !cs.listed {
            cs.listed = true;
            if let StorageResponse::Range { kvs, .. } = resp {
                for kv in kvs.into_iter().rev() {
                    if let Some(obj) = env.storage.decode(&kv) {
                        if cs.opts.matches(def, &obj) {
                            cs.todo.push((kv.key.clone(), obj, kv.mod_revision));
                        }
                    }
                }
            }
        } else if let StorageResponse::Txn {
            succeeded, revision, ..
        } = resp
        {
            // The item just written; a conflict means it changed under us and is skipped,
            // as kube's deletecollection skips objects that vanish or conflict.
            if let Some((_, obj, _)) = cs.todo.pop() {
                if succeeded {
                    cs.done.push(with_rv(obj, revision));
                }
            }
        }
        while let Some((key, obj, rev)) = cs.todo.last().cloned() {
            let plan = plan_delete(def, &cs.delete, &obj, env.now);
            let op = match plan {
                DeletePlan::Unchanged(o) => {
                    cs.todo.pop();
                    cs.done.push(o);
                    continue;
                }
                DeletePlan::Update(o) => {
                    if let Some(last) = cs.todo.last_mut() {
                        last.1 = o.clone();
                    }
                    TxnOp::Put {
                        key: key.clone(),
                        value: env.storage.encode(&key, &o),
                        ttl_secs: self.ttl,
                    }
                }
                DeletePlan::Remove => TxnOp::Delete { key: key.clone() },
            };
            let mut success = vec![op];
            if matches!(success[0], TxnOp::Delete { .. }) {
                success.extend(allocation::release(def, env.prefix, &obj));
            }
            if self.dry_run {
                cs.todo.pop();
                cs.done.push(obj);
                continue;
            }
            self.state = State::DeleteCollection(cs);
            return Step::Storage(StorageRequest::Txn {
                compare: vec![Compare::ModRevision(key, rev)],
                success,
                failure: vec![],
            });
        }
        ok(
            200,
            json!({"kind": def.list_kind(), "apiVersion": def.api_version(), "metadata": {}, "items": cs.done}),
        )
    }
}

/// The answer to an eviction that went through.
fn eviction_reply() -> Reply {
    Reply {
        code: 201,
        object: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        warnings: Vec::new(),
    }
}

/// The disruption budget an eviction charges: its storage key, the budget as written back
/// (disruptionsAllowed one lower, the pod listed as disrupted) and the revision it was read at.
#[derive(Debug)]
pub(super) struct Charge {
    key: Vec<u8>,
    budget: Value,
    revision: i64,
}

/// kube-apiserver's disruption budget check of an eviction: pods that run nowhere (pending,
/// finished, terminating) go; otherwise the one budget selecting the pod must allow a
/// disruption, and the eviction takes one away from it. `fresh` is a budget re-read after a
/// conflicting write, which replaces the cached copy of the same key.
fn charge_budget(env: &Env<'_>, pod: &Value, fresh: Option<&KeyValue>) -> Result<Option<Charge>, ApiError> {
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
    if matches!(phase, "Pending" | "Succeeded" | "Failed" | "") || api::is_terminating(pod) {
        return Ok(None);
    }
    let prefix = format!("{}/poddisruptionbudgets/{}/", env.prefix, api::namespace(pod));
    let labels = pod.pointer("/metadata/labels").and_then(Value::as_object);
    let selects = |pdb: &Value| {
        // A budget with an empty selector selects nothing here.
        let sel = pdb.pointer("/spec/selector");
        let empty = sel.and_then(Value::as_object).is_none_or(|m| {
            m.get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(|l| l.is_empty())
                && m.get("matchExpressions")
                    .and_then(Value::as_array)
                    .is_none_or(|e| e.is_empty())
        });
        !empty && crate::validation::selector_matches(sel, labels)
    };
    let fresh = fresh.and_then(|kv| Some((kv.key.clone(), env.storage.decode(kv)?, kv.mod_revision)));
    let mut budgets: Vec<(Vec<u8>, Value, i64)> = env
        .caches
        .for_key(prefix.as_bytes())
        .list(prefix.as_bytes())
        .map(|(key, pdb)| match &fresh {
            Some((k, v, rev)) if **key == k[..] => (k.clone(), v.clone(), *rev),
            _ => {
                let rev = api::meta_str(pdb, "resourceVersion").parse().unwrap_or(0);
                (key.to_vec(), (**pdb).clone(), rev)
            }
        })
        .filter(|(_, pdb, _)| selects(pdb))
        .collect();
    let (key, mut pdb, revision) = match budgets.len() {
        0 => return Ok(None),
        1 => budgets.remove(0),
        _ => {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ))
        }
    };
    let name = api::name(&pdb).to_string();
    let refuse = |why: String, retry_after: u32| {
        let mut e = ApiError::too_many_requests(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            "DisruptionBudget",
            why,
        );
        e.retry_after = (retry_after > 0).then_some(retry_after);
        e
    };
    let num = |p: &str| pdb.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    if num("/status/observedGeneration") < num("/metadata/generation") {
        return Err(refuse(
            format!("The disruption budget {name} is still being processed by the server."),
            10,
        ));
    }
    let allowed = num("/status/disruptionsAllowed");
    if allowed < 0 {
        return Err(ApiError::forbidden(
            "policy",
            "poddisruptionbudget",
            &name,
            "pdb disruptions allowed is negative",
        ));
    }
    let disrupted = pdb
        .pointer("/status/disruptedPods")
        .and_then(Value::as_object)
        .map_or(0, |m| m.len());
    if disrupted > MAX_DISRUPTED_PODS {
        return Err(ApiError::forbidden(
            "policy",
            "poddisruptionbudget",
            &name,
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        ));
    }
    if allowed == 0 {
        return Err(refuse(
            format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                num("/status/desiredHealthy"),
                num("/status/currentHealthy")
            ),
            0,
        ));
    }
    // The disruption controller learns from disruptedPods not to count the pod as
    // available before it sees the deletion.
    let now = crate::time::format_rfc3339(env.now.wall_secs());
    if let Some(status) = pdb.get_mut("status").and_then(Value::as_object_mut) {
        status.insert("disruptionsAllowed".into(), json!(allowed - 1));
        let pods = status.entry("disruptedPods").or_insert_with(|| json!({}));
        if let Some(pods) = pods.as_object_mut() {
            pods.insert(api::name(pod).to_string(), json!(now));
        }
        if allowed == 1 {
            set_disruption_condition(status, &now);
        }
    }
    Ok(Some(Charge {
        key,
        budget: pdb,
        revision,
    }))
}

/// Budgets refuse evictions once this many are unconfirmed by the disruption controller.
const MAX_DISRUPTED_PODS: usize = 2000;

/// Sets the budget's DisruptionAllowed condition to False (InsufficientPods), as the
/// eviction that takes its last allowed disruption does.
fn set_disruption_condition(status: &mut serde_json::Map<String, Value>, now: &str) {
    let observed = status.get("observedGeneration").cloned().unwrap_or(json!(0));
    let conditions = status.entry("conditions").or_insert_with(|| json!([]));
    let Some(list) = conditions.as_array_mut() else {
        return;
    };
    let wanted = json!({"type": "DisruptionAllowed", "status": "False", "observedGeneration": observed,
        "lastTransitionTime": now, "reason": "InsufficientPods", "message": ""});
    match list
        .iter_mut()
        .find(|c| c.get("type") == Some(&json!("DisruptionAllowed")))
    {
        Some(c) if c.get("status") == Some(&json!("False")) => {
            c["reason"] = json!("InsufficientPods");
            c["observedGeneration"] = wanted["observedGeneration"].clone();
        }
        Some(c) => *c = wanted,
        None => list.push(wanted),
    }
}

fn check_preconditions(def: &ResourceDef, o: &DeleteOptions, cur: &Value, rev: i64) -> Result<(), ApiError> {
    let name = api::name(cur);
    if let Some(uid) = &o.precondition_uid {
        let actual = api::meta_str(cur, "uid");
        if uid != actual {
            return Err(ApiError::conflict(
                &def.group,
                &def.resource,
                name,
                &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"),
            ));
        }
    }
    if let Some(rv) = &o.precondition_rv {
        if *rv != rev.to_string() {
            return Err(ApiError::conflict(
                &def.group,
                &def.resource,
                name,
                &format!("Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {rev}"),
            ));
        }
    }
    Ok(())
}

enum DeletePlan {
    /// Already terminating with nothing to change.
    Unchanged(Value),
    /// Mark terminating (finalizers remain).
    Update(Value),
    /// Remove now.
    Remove,
}

/// The grace period a pod's deletion gets, as kube-apiserver's pod strategy decides it: the
/// request's, else the pod's terminationGracePeriodSeconds (30 by default); 0 for a pod no
/// node runs (unbound, or finished), which goes at once.
fn pod_grace(o: &DeleteOptions, pod: &Value) -> i64 {
    let bound = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let finished = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    if !bound || finished {
        return 0;
    }
    o.grace_period
        .unwrap_or_else(|| {
            pod.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30)
        })
        .max(0)
}

fn is_pod(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.kind == "Pod"
}

fn plan_delete(def: &ResourceDef, o: &DeleteOptions, cur: &Value, now: Now) -> DeletePlan {
    let mut obj = cur.clone();
    let original = api::finalizers(cur);
    let mut list = original.clone();
    match o.propagation.as_deref() {
        Some("Orphan") => {
            list.retain(|f| f != "foregroundDeletion");
            if !list.iter().any(|f| f == "orphan") {
                list.push("orphan".into());
            }
        }
        Some("Foreground") => {
            list.retain(|f| f != "orphan");
            if !list.iter().any(|f| f == "foregroundDeletion") {
                list.push("foregroundDeletion".into());
            }
        }
        Some(_) => list.retain(|f| f != "orphan" && f != "foregroundDeletion"),
        None => {}
    }
    let fins: BTreeSet<String> = list.iter().cloned().collect();
    let namespace_pending = is_namespace_pending(def, cur);
    let terminating = api::is_terminating(cur);
    // Graceful deletion (pods only): the object stays, terminating, until the grace period is
    // cut to 0 (the kubelet's final delete, or `--grace-period=0 --force`).
    let grace = if is_pod(def) { pod_grace(o, cur) } else { 0 };
    let current_grace = cur
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64);
    let shorten =
        terminating && is_pod(def) && o.grace_period.is_some() && current_grace.is_some_and(|g| grace < g);
    let graceful_now = !terminating && grace > 0;
    let finished_grace = grace == 0 && (!terminating || shorten || current_grace.unwrap_or(0) == 0);
    if fins.is_empty() && !namespace_pending && !graceful_now && finished_grace {
        return DeletePlan::Remove;
    }
    if terminating && list == original && !shorten {
        return DeletePlan::Unchanged(obj);
    }
    let m = api::meta_mut(&mut obj);
    if list.is_empty() {
        m.shift_remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(list));
    }
    if shorten {
        // Only ever shortened: the deadline moves back by the difference.
        let old = current_grace.unwrap_or(0);
        let deadline = api::meta_str(cur, "deletionTimestamp");
        let at = crate::printers::parse_rfc3339(deadline).unwrap_or(now.wall_secs()) - old + grace;
        m.insert("deletionTimestamp".into(), json!(format_rfc3339(at)));
        m.insert("deletionGracePeriodSeconds".into(), json!(grace));
    } else if !terminating {
        m.insert(
            "deletionTimestamp".into(),
            json!(format_rfc3339(now.wall_secs() + grace)),
        );
        m.insert("deletionGracePeriodSeconds".into(), json!(grace));
        if def.tracks_generation {
            let g = cur
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            m.insert("generation".into(), json!(g + 1));
        }
    }
    if namespace_pending {
        if let Value::Object(o) = &mut obj {
            o.insert("status".into(), json!({"phase": "Terminating"}));
        }
    }
    DeletePlan::Update(obj)
}

fn delete_reply(def: &ResourceDef, obj: Value, removed: bool, revision: i64) -> Value {
    if !removed {
        return with_rv(obj, revision);
    }
    if def.returns_deleted_object {
        return obj;
    }
    let mut details = Map::new();
    details.insert("name".into(), json!(api::name(&obj)));
    if !def.group.is_empty() {
        details.insert("group".into(), json!(def.group));
    }
    details.insert("kind".into(), json!(def.resource));
    details.insert("uid".into(), json!(api::meta_str(&obj, "uid")));
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}
