//! Update and patch: read, change, check the resourceVersion precondition, and write with a
//! compare on the modify revision, retrying conflicts that no precondition asked for.

use super::*;

impl Machine {
    pub(super) fn decode_replacement(&self, env: &Env<'_>) -> Result<(Value, Vec<String>), ApiError> {
        let def = &*self.call.def;
        let validation = FieldValidation::parse(self.call.params.get("fieldValidation"))?;
        if self.call.subresource == "scale" {
            let v: Value = serde_json::from_slice(&self.call.body).map_err(|e| {
                ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
            })?;
            if api::name(&v) != self.call.name && !api::name(&v).is_empty() {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({})",
                    api::name(&v),
                    self.call.name
                )));
            }
            return Ok((v, Vec::new()));
        }
        let mut d = body::decode_object(
            def,
            &self.call.content_type,
            &self.call.body,
            validation,
            env.openapi,
        )?;
        body::reconcile_name_namespace(def, &mut d.object, &self.call.namespace, Some(&self.call.name))?;
        Ok((d.object, d.warnings))
    }

    pub(super) fn resume_update(
        &mut self,
        env: &mut Env<'_>,
        mut us: UpdateState,
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
                let written = us.pending.take().unwrap_or(Value::Null);
                if us.deleting {
                    let mut last = written;
                    api::set_meta(&mut last, "resourceVersion", json!(revision.to_string()));
                    return done(Ok(Reply {
                        code: 200,
                        object: last,
                        warnings: us.warnings,
                    }));
                }
                if self.call.subresource == "binding" {
                    return done(Ok(Reply {
                        code: 201,
                        object: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                        warnings: us.warnings,
                    }));
                }
                let obj = with_rv(written, revision);
                let obj = if self.call.subresource == "scale" {
                    scale::to_scale(&obj)
                } else {
                    obj
                };
                return done(Ok(Reply {
                    code: 200,
                    object: obj,
                    warnings: us.warnings,
                }));
            }
            StorageResponse::Txn {
                succeeded: false,
                gets,
                ..
            } => {
                if us.explicit_rv {
                    return fail(ApiError::stale(&def.group, &def.resource, &self.call.name));
                }
                us.attempts += 1;
                if us.attempts >= MAX_ATTEMPTS {
                    return fail(ApiError::stale(&def.group, &def.resource, &self.call.name));
                }
                gets.into_iter().next().flatten()
            }
            StorageResponse::Compacted { .. } => {
                return fail(ApiError::internal("unexpected storage answer"))
            }
        };
        let Some(kv) = current else {
            if let Change::Replace(obj) = &us.change {
                if def.create_on_update && self.call.subresource.is_empty() && !us.explicit_rv {
                    // PUT of a missing object creates it, for the kinds that allow it.
                    let mut cs = CreateState {
                        warnings: std::mem::take(&mut us.warnings),
                        code: 201,
                        ..CreateState::default()
                    };
                    let step = self.prepare_new(env, &mut cs, obj.clone());
                    self.state = State::Create(cs);
                    return step;
                }
            }
            if let (Change::Apply, "") = (&us.change, self.call.subresource.as_str()) {
                // An apply of a missing object creates it.
                let mut obj = match self.apply_config(env, None) {
                    Ok(o) => o,
                    Err(e) => return fail(e),
                };
                if !api::meta_str(&obj, "resourceVersion").is_empty() {
                    // Its resourceVersion precondition cannot hold.
                    return fail(ApiError::not_found(&def.group, &def.resource, &self.call.name));
                }
                api::meta_mut(&mut obj).shift_remove("resourceVersion");
                let mut cs = CreateState {
                    warnings: std::mem::take(&mut us.warnings),
                    code: 201,
                    applied: true,
                    ..CreateState::default()
                };
                let step = self.prepare_new(env, &mut cs, obj);
                self.state = State::Create(cs);
                return step;
            }
            return fail(ApiError::not_found(&def.group, &def.resource, &self.call.name));
        };
        let Some(cur) = env.storage.decode(&kv) else {
            return fail(ApiError::internal("stored object cannot be decoded"));
        };
        let new = match self.apply_change(&us.change, &cur, env) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        // Planted defect (f), simulator only: a retry goes on without mutating admission.
        #[cfg(feature = "sim-bugs")]
        if us.attempts > 0 && crate::sim_bugs::active(crate::sim_bugs::RETRY_SKIPS_ADMISSION) {
            return self.write_update(env, us, kv, cur, new);
        }
        // Mutating admission sees each attempt: a retry after a conflict is admitted again.
        let request = self.admission_request(admission::Operation::Update, Some(new), Some(cur));
        us.admitting = Some((kv, admission::Phase::Mutating));
        self.state = State::Update(us);
        Step::Admit(admission::Phase::Mutating, Box::new(request))
    }

    /// The rest of an update attempt once admission has seen `new`: preconditions, server
    /// fields, validation, and the write guarded by the stored revision.
    pub(super) fn write_update(
        &mut self,
        env: &mut Env<'_>,
        mut us: UpdateState,
        kv: KeyValue,
        cur: Value,
        mut new: Value,
    ) -> Step {
        let def = &*self.call.def;
        let new_rv = api::meta_str(&new, "resourceVersion").to_string();
        let cur_rv = kv.mod_revision.to_string();
        if let Change::Patch(..) | Change::Apply = us.change {
            us.explicit_rv = !new_rv.is_empty() && new_rv != cur_rv;
        }
        // Planted defect (b), simulator only: a stale resourceVersion passes the check.
        #[cfg(feature = "sim-bugs")]
        let new_rv = if crate::sim_bugs::active(crate::sim_bugs::STALE_UPDATE_ACCEPTED) {
            cur_rv.clone()
        } else {
            new_rv
        };
        if !new_rv.is_empty() && new_rv != cur_rv {
            return fail(ApiError::stale(&def.group, &def.resource, &self.call.name));
        }
        strategy::prepare_for_update(def, &self.call.subresource, &mut new, &cur);
        complete(def, &mut new);
        if !matches!(us.change, Change::Apply) {
            self.track_fields(env, Some(&cur), &mut new);
        }
        let has_ip = new
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .is_some_and(|ip| !ip.is_empty());
        if allocation::allocates(def) && self.call.subresource.is_empty() && has_ip {
            // A Service that became a NodePort (or gained ports) needs node ports; its
            // cluster IP cannot change (validation refuses an unset one).
            if let Err(e) = allocation::allocate(env, &mut new, &Default::default()) {
                return fail(e);
            }
        }
        // A binding changes only what the server itself set (nodeName, the condition).
        let checked = match self.call.subresource.as_str() {
            "binding" => Ok(()),
            "ephemeralcontainers" => strategy::validate_ephemeral_containers(def, &new, &cur),
            _ => strategy::validate_update(def, &new, &cur),
        };
        if let Err(e) = checked {
            return fail(e);
        }
        let request = self.admission_request(admission::Operation::Update, Some(new), Some(cur));
        us.admitting = Some((kv, admission::Phase::Validating));
        self.state = State::Update(us);
        Step::Admit(admission::Phase::Validating, Box::new(request))
    }

    /// The end of an update attempt once validating admission has passed `new`: a no-op or a
    /// dry run answers at once; otherwise the write, guarded by the stored revision.
    pub(super) fn commit_update(
        &mut self,
        env: &mut Env<'_>,
        mut us: UpdateState,
        kv: KeyValue,
        cur: Value,
        new: Value,
    ) -> Step {
        let def = &*self.call.def;
        let unchanged = strategy::same_object(&new, &cur);
        if unchanged || self.dry_run {
            let obj = with_rv(new, kv.mod_revision);
            let obj = if self.call.subresource == "scale" {
                scale::to_scale(&obj)
            } else {
                obj
            };
            return done(Ok(Reply {
                code: 200,
                object: obj,
                warnings: us.warnings,
            }));
        }
        // The last finalizer of a terminating object removed: the object goes.
        us.deleting =
            api::is_terminating(&new) && api::finalizers(&new).is_empty() && !is_namespace_pending(def, &new);
        let op = if us.deleting {
            TxnOp::Delete { key: us.key.clone() }
        } else {
            TxnOp::Put {
                key: us.key.clone(),
                value: env.storage.encode(&us.key, &new),
                ttl_secs: self.ttl,
            }
        };
        let mut success = vec![op];
        let mut compare = vec![Compare::ModRevision(us.key.clone(), kv.mod_revision)];
        if us.deleting {
            success.extend(allocation::release(def, env.prefix, &new));
        } else if allocation::allocates(def) {
            // Addresses the update adds are claimed (if free), those it drops released.
            let before = allocation::keys(env.prefix, &cur);
            let after = allocation::keys(env.prefix, &new);
            for key in after.iter().filter(|k| !before.contains(k)) {
                compare.push(Compare::CreateRevision(key.clone(), 0));
                success.push(TxnOp::Put {
                    key: key.clone(),
                    value: us.key.clone(),
                    ttl_secs: None,
                });
            }
            for key in before.into_iter().filter(|k| !after.contains(k)) {
                success.push(TxnOp::Delete { key });
            }
        }
        us.pending = Some(new);
        let failure = vec![TxnOp::Get { key: us.key.clone() }];
        self.state = State::Update(us);
        Step::Storage(StorageRequest::Txn {
            compare,
            success,
            failure,
        })
    }

    pub(super) fn apply_change(
        &self,
        change: &Change,
        cur: &Value,
        env: &Env<'_>,
    ) -> Result<Value, ApiError> {
        let openapi = env.openapi;
        let def = &*self.call.def;
        let is_scale = self.call.subresource == "scale";
        match change {
            Change::Bind { node, annotations } => {
                let name = api::name(cur);
                if api::is_terminating(cur) {
                    return Err(ApiError::conflict(
                        "",
                        "pods",
                        name,
                        &format!("pod {name} is being deleted, cannot be assigned to a host"),
                    ));
                }
                let bound = cur
                    .pointer("/spec/nodeName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !bound.is_empty() {
                    return Err(ApiError::conflict(
                        "",
                        "pods",
                        name,
                        &format!("pod {name} is already assigned to node {bound:?}"),
                    ));
                }
                let mut pod = cur.clone();
                if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("nodeName".into(), json!(node));
                }
                let meta = api::meta_mut(&mut pod);
                if !annotations.is_empty() {
                    let into = meta.entry("annotations").or_insert_with(|| json!({}));
                    if let Value::Object(m) = into {
                        m.extend(annotations.clone());
                    }
                }
                set_pod_scheduled(&mut pod);
                Ok(pod)
            }
            Change::Apply => self.apply_config(env, Some(cur)),
            Change::Replace(body) => {
                if is_scale {
                    scale::apply_scale(cur, body, &def.kind)
                } else {
                    Ok(body.clone())
                }
            }
            Change::Patch(pt, bytes) => {
                // The patch speaks the version the client asked for.
                let served = &*self.call.served;
                let (group, kind, base) = if is_scale {
                    ("autoscaling", "Scale", scale::to_scale(cur))
                } else {
                    (&*served.group, &*served.kind, to_served(served, cur.clone())?)
                };
                let mut patched = crate::patch::apply(*pt, group, kind, &base, bytes).map_err(patch_error)?;
                if let (Some(o), false) = (openapi, is_scale) {
                    // As decoding the patched object into its type does.
                    o.prune(&served.definition, &mut patched);
                }
                if is_scale {
                    return scale::apply_scale(cur, &patched, &def.kind);
                }
                body::check_type_meta(served, &patched)?;
                let patched = to_stored(served, &patched)?;
                if api::name(&patched) != api::name(cur) || api::namespace(&patched) != api::namespace(cur) {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({})",
                        api::name(&patched),
                        self.call.name
                    )));
                }
                Ok(patched)
            }
        }
    }
}

pub(super) fn patch_error(e: crate::patch::PatchError) -> ApiError {
    match e.http_status() {
        // kube-apiserver answers an inapplicable patch with a generic 422 and no details.
        422 => {
            let mut api = ApiError::invalid("", "", "", e.message(), vec![]);
            api.kind = None;
            api
        }
        413 => ApiError::too_large(e.message()),
        500 => ApiError::internal(e.message()),
        _ => ApiError::bad_request(e.message()),
    }
}

/// Sets the pod's PodScheduled condition to True, as binding it does.
fn set_pod_scheduled(pod: &mut Value) {
    let Some(obj) = pod.as_object_mut() else { return };
    let status = obj.entry("status").or_insert_with(|| json!({}));
    let Some(status) = status.as_object_mut() else {
        return;
    };
    let conditions = status.entry("conditions").or_insert_with(|| json!([]));
    let Some(list) = conditions.as_array_mut() else {
        return;
    };
    match list
        .iter_mut()
        .find(|c| c.get("type") == Some(&json!("PodScheduled")))
    {
        Some(c) => c["status"] = json!("True"),
        None => list.push(json!({"type": "PodScheduled", "status": "True"})),
    }
}
