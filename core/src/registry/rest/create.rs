//! Create: naming, server fields, validation, namespace admission, and the create-only
//! transaction; service address allocation.

use super::*;

impl Machine {
    pub(super) fn start_create(&mut self, env: &mut Env<'_>, cs: &mut CreateState, _key: Vec<u8>) -> Step {
        let def = self.call.def;
        let validation = match FieldValidation::parse(self.call.params.get("fieldValidation")) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let mut d = match body::decode_object(
            def,
            &self.call.content_type,
            &self.call.body,
            validation,
            env.openapi,
        ) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        if let Err(e) = body::reconcile_name_namespace(def, &mut d.object, &self.call.namespace, None) {
            return fail(e);
        }
        cs.warnings = d.warnings;
        let mut obj = d.object;
        if api::name(&obj).is_empty() {
            let gn = api::meta_str(&obj, "generateName").to_string();
            if !gn.is_empty() {
                cs.generate_name = Some(gn);
                let name = generate(cs.generate_name.as_deref().unwrap_or(""), env.rng);
                api::set_meta(&mut obj, "name", json!(name));
            }
        }
        self.prepare_new(env, cs, obj)
    }

    /// Server fields, validation and admission of a new object, then the namespace check.
    pub(super) fn prepare_new(&mut self, env: &mut Env<'_>, cs: &mut CreateState, mut obj: Value) -> Step {
        let def = self.call.def;
        strategy::prepare_for_create(def, &mut obj, env.now, env.rng);
        if def.group.is_empty() && def.kind == "Service" {
            if let Err(e) = allocate_service_addresses(env, &mut obj) {
                return fail(e);
            }
        }
        if let Err(e) = strategy::validate_create(def, &obj) {
            return fail(e);
        }
        cs.key = object_key(env.prefix, def, api::namespace(&obj), api::name(&obj));
        cs.obj = obj;
        if def.namespaced {
            let ns = api::namespace(&cs.obj).to_string();
            let ns_def = find("", "v1", "namespaces");
            if let Some(ns_def) = ns_def {
                let ns_key = object_key(env.prefix, ns_def, "", &ns);
                match env.cache.get(&ns_key) {
                    Some(nsobj) => {
                        if let Err(e) = namespace_lifecycle::admit_create(&ns, Some(nsobj)) {
                            return fail(e);
                        }
                    }
                    None => {
                        // Not in the cache (yet): ask storage before refusing.
                        cs.checking_namespace = true;
                        return Step::Storage(StorageRequest::Range {
                            key: ns_key,
                            range_end: Vec::new(),
                            revision: 0,
                            limit: 0,
                        });
                    }
                }
            }
        }
        self.write_new(cs)
    }

    pub(super) fn write_new(&mut self, cs: &mut CreateState) -> Step {
        if self.dry_run {
            return done(Ok(Reply {
                code: cs.code,
                object: cs.obj.clone(),
                warnings: std::mem::take(&mut cs.warnings),
            }));
        }
        Step::Storage(StorageRequest::Txn {
            compare: vec![Compare::CreateRevision(cs.key.clone(), 0)],
            success: vec![TxnOp::Put {
                key: cs.key.clone(),
                value: stored_bytes(&cs.obj),
                ttl_secs: self.ttl,
            }],
            failure: vec![],
        })
    }

    pub(super) fn resume_create(
        &mut self,
        env: &mut Env<'_>,
        mut cs: CreateState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            // Planted defect (d), simulator only: the create is acknowledged although storage
            // did not confirm it.
            #[cfg(feature = "sim-bugs")]
            Err(StorageError::Timeout | StorageError::Unavailable(_))
                if !cs.checking_namespace && crate::sim_bugs::active(crate::sim_bugs::ACK_BEFORE_STORED) =>
            {
                let object = with_rv(cs.obj, env.cache.revision() + 1);
                return done(Ok(Reply {
                    code: cs.code,
                    object,
                    warnings: cs.warnings,
                }));
            }
            Err(e) => return fail(storage_error(&e)),
        };
        if cs.checking_namespace {
            cs.checking_namespace = false;
            let ns = api::namespace(&cs.obj).to_string();
            let nsobj = first_kv(resp).and_then(|kv| decode_stored(&kv));
            if let Err(e) = namespace_lifecycle::admit_create(&ns, nsobj.as_ref()) {
                return fail(e);
            }
            let step = self.write_new(&mut cs);
            self.state = State::Create(cs);
            return step;
        }
        match resp {
            StorageResponse::Txn {
                succeeded: true,
                revision,
                ..
            } => done(Ok(Reply {
                code: cs.code,
                object: with_rv(cs.obj, revision),
                warnings: cs.warnings,
            })),
            StorageResponse::Txn { succeeded: false, .. } => {
                if let Some(gn) = cs.generate_name.clone() {
                    if cs.attempts < 8 {
                        // A generated name collided: pick another, as kube-apiserver retries.
                        cs.attempts += 1;
                        let name = generate(&gn, env.rng);
                        api::set_meta(&mut cs.obj, "name", json!(name));
                        cs.key = object_key(env.prefix, def, api::namespace(&cs.obj), &name);
                        let step = self.write_new(&mut cs);
                        self.state = State::Create(cs);
                        return step;
                    }
                }
                fail(ApiError::already_exists(
                    def.group,
                    def.resource,
                    api::name(&cs.obj),
                ))
            }
            _ => fail(ApiError::internal("unexpected storage answer")),
        }
    }
}

fn generate(prefix: &str, rng: &mut Rng) -> String {
    // kube-apiserver keeps generated names within 63 characters.
    let base: String = prefix.chars().take(58).collect();
    format!("{base}{}", rng.name_suffix())
}

fn allocate_service_addresses(env: &mut Env<'_>, obj: &mut Value) -> Result<(), ApiError> {
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
    for (key, svc) in env.cache.list(prefix.as_bytes()) {
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
            for p in ports.iter_mut() {
                if p.get("nodePort").and_then(Value::as_u64).is_some() {
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
