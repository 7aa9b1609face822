//! Reads: get and list, from storage or from the watch cache when the request allows.

use super::*;

impl Machine {
    /// Answers a get from the watch cache when its resourceVersion allows: "0" (any state)
    /// or a revision the cache has reached. Consistent reads go to storage.
    pub(super) fn get_from_cache(&self, env: &Env<'_>, key: &[u8]) -> Option<Step> {
        if !env.read_from_cache || !env.cache_of(&self.call.def).is_ready() {
            return None;
        }
        let rv = self.call.params.get("resourceVersion").unwrap_or("");
        let fresh_enough = match rv {
            "0" => true,
            "" => false,
            n => n
                .parse::<i64>()
                .is_ok_and(|n| n <= env.cache_of(&self.call.def).revision()),
        };
        if !fresh_enough {
            return None;
        }
        let def = &*self.call.def;
        let Some(obj) = env.cache_of(&self.call.def).get(key) else {
            return Some(fail(ApiError::not_found(
                &def.group,
                &def.resource,
                &self.call.name,
            )));
        };
        let obj = (**obj).clone();
        Some(if self.call.subresource == "scale" {
            ok(200, scale::to_scale(&obj))
        } else {
            ok(200, obj)
        })
    }

    /// Answers a list from the watch cache for resourceVersion "0" (as kube-apiserver, the
    /// whole list, `limit` not applied) and for a revision the cache has reached when no
    /// paging is asked for.
    pub(super) fn list_from_cache(&self, env: &Env<'_>, ls: &ListState) -> Option<Step> {
        if !env.read_from_cache || !env.cache_of(&self.call.def).is_ready() || ls.opts.cont.is_some() {
            return None;
        }
        let served = match ls.opts.rv {
            RvMatch::Any => true,
            RvMatch::NotOlderThan(n) => ls.opts.limit == 0 && n <= env.cache_of(&self.call.def).revision(),
            RvMatch::Latest | RvMatch::Exact(_) => false,
        };
        served.then(|| self.cached_list(env, ls))
    }

    /// Whether a consistent list may be served from the cache once storage's revision is
    /// known (no paging: pages are read from storage at their snapshot).
    pub(super) fn consistent_from_cache(&self, env: &Env<'_>, ls: &ListState) -> bool {
        env.read_from_cache
            && env.cache_of(&self.call.def).is_ready()
            && ls.opts.cont.is_none()
            && ls.opts.limit == 0
            && ls.opts.rv == RvMatch::Latest
    }

    /// The list as the watch cache holds it now.
    pub(super) fn cached_list(&self, env: &Env<'_>, ls: &ListState) -> Step {
        let def = &*self.call.def;
        let items: Vec<Value> = env
            .cache_of(def)
            .list(&ls.prefix)
            .filter(|(_, o)| ls.opts.matches(def, o))
            .map(|(_, o)| list_item((**o).clone()))
            .collect();
        ok(
            200,
            json!({
                "kind": def.list_kind(),
                "apiVersion": def.api_version(),
                "metadata": {"resourceVersion": env.cache_of(&self.call.def).revision().to_string()},
                "items": items,
            }),
        )
    }

    pub(super) fn resume_get(
        &mut self,
        env: &Env<'_>,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = &*self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        let Some(obj) = first_kv(resp).and_then(|kv| env.storage.decode(&kv)) else {
            return fail(ApiError::not_found(&def.group, &def.resource, &self.call.name));
        };
        if self.call.subresource == "scale" {
            return ok(200, scale::to_scale(&obj));
        }
        ok(200, obj)
    }

    pub(super) fn resume_list(
        &mut self,
        env: &Env<'_>,
        mut ls: ListState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = &*self.call.def;
        if ls.watch_list_read {
            return match result {
                Ok(StorageResponse::Range { revision, kvs, .. }) => Step::Watch(WatchSpec {
                    prefix: ls.prefix,
                    opts: ls.opts,
                    initial: Some((
                        revision,
                        kvs.iter().filter_map(|kv| env.storage.decode(kv)).collect(),
                    )),
                }),
                Ok(_) => fail(ApiError::internal("unexpected storage answer")),
                Err(e) => fail(storage_error(&e)),
            };
        }
        if ls.probing {
            ls.probing = false;
            if let Ok(StorageResponse::Range { revision, .. }) = &result {
                if env.cache_of(&self.call.def).revision() >= *revision {
                    return self.cached_list(env, &ls);
                }
            }
            if let Err(e) = &result {
                return fail(storage_error(e));
            }
            // The cache is behind storage: read the list from storage itself.
            let key = ls.prefix.clone();
            let end = prefix_end(&ls.prefix);
            self.state = State::List(ls);
            return Step::Storage(StorageRequest::Range {
                key,
                range_end: end,
                revision: 0,
                limit: 0,
            });
        }
        let (revision, kvs, more, count) = match result {
            Ok(StorageResponse::Range {
                revision,
                kvs,
                more,
                count,
            }) => (revision, kvs, more, count),
            Ok(_) => return fail(ApiError::internal("unexpected storage answer")),
            Err(StorageError::Compacted { .. }) if ls.opts.cont.is_some() || ls.last_key.is_some() => {
                let start = ls.opts.cont.as_ref().map(|c| c.start.clone()).unwrap_or_default();
                let mut e = ApiError::expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                );
                e.continue_token = Some(Continue { rv: -1, start }.encode());
                return fail(e);
            }
            Err(e) => return fail(storage_error(&e)),
        };
        if ls.snapshot == 0 {
            ls.snapshot = revision;
            if ls.min_rv > revision {
                return fail(ApiError::too_large_resource_version(ls.min_rv, revision));
            }
        }
        if ls.remaining.is_none() && !ls.opts.has_selectors() && more {
            ls.remaining = Some(count - kvs.len() as i64);
        }
        let limit = ls.opts.limit;
        // Planted defect (c), simulator only: the page after a continue token starts one key late.
        #[cfg(feature = "sim-bugs")]
        let kvs: Vec<KeyValue> = if crate::sim_bugs::active(crate::sim_bugs::CONTINUE_SKIPS_KEY)
            && ls.opts.cont.is_some()
            && ls.items.is_empty()
        {
            kvs.into_iter().skip(1).collect()
        } else {
            kvs
        };
        let batch_len = kvs.len();
        let mut stopped_early = false;
        for (i, kv) in kvs.into_iter().enumerate() {
            ls.last_key = Some(kv.key.clone());
            let Some(obj) = env.storage.decode(&kv) else {
                continue;
            };
            if ls.opts.matches(def, &obj) {
                ls.items.push(list_item(obj));
                if limit > 0 && ls.items.len() as i64 >= limit {
                    stopped_early = i + 1 < batch_len;
                    break;
                }
            }
        }
        let full = limit > 0 && ls.items.len() as i64 >= limit;
        if !full && more {
            // Selectors filtered some of this page out: read the next one at the same snapshot.
            let mut start = ls.last_key.clone().unwrap_or_default();
            start.push(0);
            let end = prefix_end(&ls.prefix);
            let revision = ls.snapshot;
            self.state = State::List(ls);
            return Step::Storage(StorageRequest::Range {
                key: start,
                range_end: end,
                revision,
                limit,
            });
        }
        let mut metadata = Map::new();
        metadata.insert("resourceVersion".into(), json!(ls.snapshot.to_string()));
        if full && (more || stopped_early) {
            let last = ls.last_key.clone().unwrap_or_default();
            let rel = String::from_utf8_lossy(last.get(ls.prefix.len()..).unwrap_or_default()).into_owned();
            let token = Continue {
                rv: ls.snapshot,
                start: format!("{rel}\u{0}"),
            };
            metadata.insert("continue".into(), json!(token.encode()));
            if let Some(r) = ls.remaining {
                if r > 0 {
                    metadata.insert("remainingItemCount".into(), json!(r));
                }
            }
        }
        let list = json!({
            "kind": def.list_kind(),
            "apiVersion": def.api_version(),
            "metadata": metadata,
            "items": ls.items,
        });
        ok(200, list)
    }
}

pub(super) fn get_revision(params: &Params) -> Result<i64, ApiError> {
    match params.get("resourceVersion") {
        None | Some("") | Some("0") => Ok(0),
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}"))),
    }
}

/// An object as an item of a typed list, which carries no kind and apiVersion.
fn list_item(mut obj: Value) -> Value {
    if let Value::Object(m) = &mut obj {
        m.shift_remove("kind");
        m.shift_remove("apiVersion");
    }
    obj
}
