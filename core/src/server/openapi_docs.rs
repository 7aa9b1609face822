//! The OpenAPI documents served, each built once on first request: they depend only on the
//! resource table, and building them costs milliseconds the driver should not spend per
//! request.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::openapi::OpenApi;

use super::encode::{json_response, raw_response};
use super::nonresource::openapi_gvs;

/// The schemas and the responses made from them.
pub(super) struct Documents {
    /// The schemas (also used for strict field validation), parsed once for the process.
    pub api: &'static OpenApi,
    v3_root: OnceCell<Vec<u8>>,
    v3: OnceCell<BTreeMap<(String, String), Vec<u8>>>,
    v2_proto: OnceCell<Vec<u8>>,
    v2_json: OnceCell<Vec<u8>>,
}

impl Documents {
    /// Loads the embedded schemas.
    pub fn load() -> Self {
        Documents {
            api: OpenApi::shared(),
            v3_root: OnceCell::new(),
            v3: OnceCell::new(),
            v2_proto: OnceCell::new(),
            v2_json: OnceCell::new(),
        }
    }

    /// The `/openapi/v3` response.
    pub fn v3_root(&self) -> &[u8] {
        self.v3_root
            .get_or_init(|| json_response(200, "application/json", &self.api.v3_root(&openapi_gvs()), &[]))
    }

    /// The `/openapi/v3/<group-version>` response, if that group-version is served.
    pub fn v3(&self, group: &str, version: &str) -> Option<&[u8]> {
        let all = self.v3.get_or_init(|| {
            openapi_gvs()
                .iter()
                .map(|gv| {
                    let (doc, _hash) = self.api.v3_group_version(gv);
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
    pub fn v2(&self, protobuf: bool) -> &[u8] {
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
                    &self.api.v2_protobuf(&openapi_gvs()),
                )
            })
        } else {
            self.v2_json.get_or_init(|| {
                json_response(200, "application/json", &self.api.v2_json(&openapi_gvs()), &[])
            })
        }
    }
}
