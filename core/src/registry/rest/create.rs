//! Create: naming, admission, server fields, validation, and the create-only transaction;
//! service address allocation.

use super::*;

impl Machine {
    pub(super) fn start_create(&mut self, env: &mut Env<'_>, cs: &mut CreateState, _key: Vec<u8>) -> Step {
        let def = &*self.call.def;
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

    /// Sends a new object to mutating admission; [`Machine::prepare_admitted`] goes on.
    pub(super) fn prepare_new(&mut self, _env: &mut Env<'_>, _cs: &mut CreateState, obj: Value) -> Step {
        let request = self.admission_request(admission::Operation::Create, Some(obj), None);
        Step::Admit(admission::Phase::Mutating, Box::new(request))
    }

    /// Server fields, allocation and validation of an admitted new object, then its write.
    pub(super) fn prepare_admitted(
        &mut self,
        env: &mut Env<'_>,
        cs: &mut CreateState,
        mut obj: Value,
    ) -> Step {
        let def = &*self.call.def;
        // A mutating plugin may not move the object elsewhere than the request names.
        if let Err(e) = body::reconcile_name_namespace(def, &mut obj, &self.call.namespace, None) {
            return fail(e);
        }
        strategy::prepare_for_create(def, &mut obj, env.now, env.rng);
        if def.is("certificates.k8s.io", "CertificateSigningRequest") {
            strategy::record_requester(&mut obj, &self.call.user);
        }
        if allocation::allocates(def) {
            cs.unallocated = Some(obj.clone());
            if let Err(e) = allocation::allocate(env, &mut obj, &cs.claimed) {
                return fail(e);
            }
        }
        if let Err(e) = strategy::validate_create(def, &obj) {
            return fail(e);
        }
        complete(def, &mut obj);
        if !cs.applied {
            self.track_fields(env, None, &mut obj);
        }
        cs.key = object_key(env.prefix, def, api::namespace(&obj), api::name(&obj));
        cs.validating = true;
        let request = self.admission_request(admission::Operation::Create, Some(obj), None);
        Step::Admit(admission::Phase::Validating, Box::new(request))
    }

    pub(super) fn write_new(&mut self, env: &Env<'_>, cs: &mut CreateState) -> Step {
        if self.dry_run {
            return done(Ok(Reply {
                code: cs.code,
                object: cs.obj.clone(),
                warnings: std::mem::take(&mut cs.warnings),
            }));
        }
        let mut compare = vec![Compare::CreateRevision(cs.key.clone(), 0)];
        let mut success = vec![TxnOp::Put {
            key: cs.key.clone(),
            value: env.storage.encode(&cs.key, &cs.obj),
            ttl_secs: self.ttl,
        }];
        let mut failure = Vec::new();
        if allocation::allocates(&self.call.def) {
            // Each address is claimed with the Service, or nothing is written.
            let prefix = self.prefix_of(&cs.key);
            failure.push(TxnOp::Get { key: cs.key.clone() });
            for key in allocation::keys(&prefix, &cs.obj) {
                compare.push(Compare::CreateRevision(key.clone(), 0));
                success.push(TxnOp::Put {
                    key: key.clone(),
                    value: cs.key.clone(),
                    ttl_secs: None,
                });
                failure.push(TxnOp::Get { key });
            }
        }
        Step::Storage(StorageRequest::Txn {
            compare,
            success,
            failure,
        })
    }

    /// The storage prefix `key` was built under (`<prefix>/<storage>/...`).
    fn prefix_of(&self, key: &[u8]) -> String {
        let key = String::from_utf8_lossy(key);
        let marker = format!("/{}/", self.call.def.storage);
        key.find(&marker)
            .map(|i| key[..i].to_string())
            .unwrap_or_default()
    }

    pub(super) fn resume_create(
        &mut self,
        env: &mut Env<'_>,
        mut cs: CreateState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = &*self.call.def;
        let resp = match result {
            Ok(r) => r,
            // Planted defect (d), simulator only: the create is acknowledged although storage
            // did not confirm it.
            #[cfg(feature = "sim-bugs")]
            Err(StorageError::Timeout | StorageError::Unavailable(_))
                if crate::sim_bugs::active(crate::sim_bugs::ACK_BEFORE_STORED) =>
            {
                let object = with_rv(cs.obj, env.cache_of(def).revision() + 1);
                return done(Ok(Reply {
                    code: cs.code,
                    object,
                    warnings: cs.warnings,
                }));
            }
            Err(e) => return fail(storage_error(&e)),
        };
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
            StorageResponse::Txn {
                succeeded: false,
                gets,
                ..
            } => {
                // A Service that lost an address to another: pick again.
                let taken: Vec<Vec<u8>> = gets.iter().skip(1).flatten().map(|kv| kv.key.clone()).collect();
                let exists = gets.first().is_some_and(Option::is_some);
                if let (false, false, Some(original)) = (exists, taken.is_empty(), cs.unallocated.clone()) {
                    cs.attempts += 1;
                    if cs.attempts > 8 {
                        return fail(ApiError::internal(
                            "failed to allocate service addresses: too many conflicts",
                        ));
                    }
                    cs.claimed.extend(taken);
                    let mut obj = original;
                    if let Err(e) = allocation::allocate(env, &mut obj, &cs.claimed) {
                        return fail(e);
                    }
                    cs.obj = obj;
                    let step = self.write_new(env, &mut cs);
                    self.state = State::Create(cs);
                    return step;
                }
                if let Some(gn) = cs.generate_name.clone() {
                    if cs.attempts < 8 {
                        // A generated name collided: pick another, as kube-apiserver retries.
                        cs.attempts += 1;
                        let name = generate(&gn, env.rng);
                        api::set_meta(&mut cs.obj, "name", json!(name));
                        cs.key = object_key(env.prefix, def, api::namespace(&cs.obj), &name);
                        let step = self.write_new(env, &mut cs);
                        self.state = State::Create(cs);
                        return step;
                    }
                }
                fail(ApiError::already_exists(
                    &def.group,
                    &def.resource,
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
