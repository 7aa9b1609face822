//! The OpenAPI documents served, each built on first request and kept until the registry of
//! served resources changes: they depend only on it, and building them costs milliseconds
//! the driver should not spend per request.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::openapi::OpenApi;
use crate::registry::Resources;

use super::encode::{json_response, raw_response};
use super::nonresource::openapi_gvs;

/// The schemas and the responses made from them.
pub(crate) struct Documents {
    /// The schemas of resources added at run time, merged into the embedded ones (which are
    /// parsed once for the process), when there are any.
    own: Option<OpenApi>,
    v3_root: OnceLock<Vec<u8>>,
    v3: OnceLock<BTreeMap<(String, String), Vec<u8>>>,
    v2_proto: OnceLock<Vec<u8>>,
    v2_json: OnceLock<Vec<u8>>,
}

impl Documents {
    /// Loads the embedded schemas.
    pub fn load() -> Self {
        Documents {
            own: None,
            v3_root: OnceLock::new(),
            v3: OnceLock::new(),
            v2_proto: OnceLock::new(),
            v2_json: OnceLock::new(),
        }
    }

    /// The schemas (also used for strict field validation and pruning).
    pub fn api(&self) -> &OpenApi {
        self.own.as_ref().unwrap_or_else(|| OpenApi::shared())
    }

    /// Forgets the documents built: the served resources changed.
    pub fn invalidate(&mut self, served: &Resources) {
        *self = Documents::load();
        let extra: Vec<(String, serde_json::Value)> = served
            .iter()
            .filter_map(|d| Some((d.definition.to_string(), d.schema.as_deref()?.clone())))
            .collect();
        if !extra.is_empty() {
            self.own = Some(OpenApi::shared().with_definitions(extra));
        }
    }

    /// The `/openapi/v3` response.
    pub fn v3_root(&self, served: &Resources) -> &[u8] {
        self.v3_root.get_or_init(|| {
            json_response(
                200,
                "application/json",
                &self.api().v3_root(&openapi_gvs(served)),
                &[],
            )
        })
    }

    /// The `/openapi/v3/<group-version>` response, if that group-version is served.
    pub fn v3(&self, served: &Resources, group: &str, version: &str) -> Option<&[u8]> {
        let all = self.v3.get_or_init(|| {
            openapi_gvs(served)
                .iter()
                .map(|gv| {
                    let (doc, _hash) = self.api().v3_group_version(gv);
                    (
                        (gv.group.clone(), gv.version.clone()),
                        json_response(200, "application/json", &doc, &[]),
                    )
                })
                .collect()
        });
        all.get(&(group.to_string(), version.to_string()))
            .map(Vec::as_slice)
    }

    /// The `/openapi/v2` response: protobuf (gnostic) when asked for, else JSON.
    pub fn v2(&self, served: &Resources, protobuf: bool) -> &[u8] {
        if protobuf {
            self.v2_proto.get_or_init(|| {
                raw_response(
                    200,
                    vec![
                        (
                            "Content-Type".into(),
                            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf".into(),
                        ),
                        ("Vary".into(), "Accept".into()),
                    ],
                    &self.api().v2_protobuf(&openapi_gvs(served)),
                )
            })
        } else {
            self.v2_json.get_or_init(|| {
                json_response(
                    200,
                    "application/json",
                    &self.api().v2_json(&openapi_gvs(served)),
                    &[],
                )
            })
        }
    }
}
