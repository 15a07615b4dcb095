//! Paginated LISTs (one per resource type and namespace), watches, and errors that say what failed.

use std::fmt;

use futures::{Stream, StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use serde_json::Value;

use super::resources::ResourceType;

/// Lists resource types on one API server.
#[derive(Clone)]
pub struct Lister {
    pub client: kube::Client,
    /// The server URL, for messages.
    pub server: String,
    /// `limit` of each LIST page.
    pub page_size: u32,
}

/// What a LIST returns of each object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Whole objects (bindings and clusters, which the health library judges).
    Full,
    /// Only `metadata` (templates: identity and tracking; never a Secret's data).
    Metadata,
}

/// The items of one LIST (every page), each with `apiVersion` and `kind` set.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    pub items: Vec<Value>,
    pub resource_version: String,
}

/// Why a request failed, in the terms a person acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// 401: the credentials are missing, wrong or expired.
    Unauthorized {
        server: String,
        message: String,
    },
    /// 403 on one resource type (or path).
    Forbidden {
        what: String,
        message: String,
    },
    /// 404: the type is not served (e.g. Karmada's APIs are not installed).
    NotFound {
        what: String,
    },
    /// No connection, TLS failure or timeout.
    Unreachable {
        server: String,
        message: String,
    },
    Other {
        what: String,
        message: String,
    },
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::Unauthorized { server, message } => write!(
                f,
                "{server}: unauthorized (401): the token or certificate is missing, wrong or expired: {message}"
            ),
            ListError::Forbidden { what, message } => {
                write!(f, "{what}: forbidden (403): {message}")
            }
            ListError::NotFound { what } => write!(f, "{what}: not found (404) on the server"),
            ListError::Unreachable { server, message } => {
                write!(f, "{server}: cannot reach the API server: {message}")
            }
            ListError::Other { what, message } => write!(f, "{what}: {message}"),
        }
    }
}

impl std::error::Error for ListError {}

impl ListError {
    /// Classifies a kube error for the request described by `what`.
    pub fn from_kube(e: kube::Error, what: &str, server: &str) -> ListError {
        match e {
            kube::Error::Api(resp) => match resp.code {
                401 => ListError::Unauthorized {
                    server: server.into(),
                    message: resp.message,
                },
                403 => ListError::Forbidden {
                    what: what.into(),
                    message: resp.message,
                },
                404 => ListError::NotFound { what: what.into() },
                code => ListError::Other {
                    what: what.into(),
                    message: format!("{} ({code})", resp.message),
                },
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) => ListError::Unreachable {
                server: server.into(),
                message: root_cause(&e),
            },
            other => ListError::Other {
                what: what.into(),
                message: root_cause(&other),
            },
        }
    }
}

/// The innermost cause, which names the real problem ("Connection refused", "deadline has
/// elapsed", "invalid peer certificate").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

impl Lister {
    pub fn api(&self, rt: &ResourceType, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = rt.api_resource();
        match namespace.filter(|_| rt.namespaced) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// Every object of `rt` (in `namespace`, or everywhere), page by page.
    pub async fn list(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        shape: Shape,
    ) -> Result<Listed, ListError> {
        let what = rt.path(namespace);
        let fail = |e| ListError::from_kube(e, &what, &self.server);
        let request = kube::core::Request::new(&what);
        let mut params = ListParams::default().limit(self.page_size);
        if let Some(sel) = label_selector {
            params = params.labels(sel);
        }
        let mut out = Listed::default();
        loop {
            // The same requests as kube's `Api::list`/`list_metadata`, decoded straight into
            // JSON values: kube's `DynamicObject` would buffer every object for its flattened
            // fields and then be serialised again into the values the health library reads.
            let built = match shape {
                Shape::Full => request.list(&params),
                Shape::Metadata => request.list_metadata(&params),
            };
            let req = built.map_err(|e| fail(kube::Error::BuildRequest(e)))?;
            let page: Page = self.client.request(req).await.map_err(fail)?;
            out.items.reserve(page.items.len());
            out.items
                .extend(page.items.into_iter().map(|o| typed(rt, o)));
            out.resource_version = page.metadata.resource_version.unwrap_or_default();
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
        Ok(out)
    }

    /// Watch events of `rt` after `resource_version`, as `(type, object)`.
    pub async fn watch(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        resource_version: &str,
    ) -> Result<impl Stream<Item = Result<(String, Value), ListError>> + use<>, ListError> {
        let what = rt.path(namespace);
        let server = self.server.clone();
        let rt2 = rt.clone();
        let stream = self
            .api(rt, namespace)
            .watch(&WatchParams::default().timeout(290), resource_version)
            .await
            .map_err(|e| ListError::from_kube(e, &what, &self.server))?;
        let what2 = what.clone();
        Ok(stream
            .map_err(move |e| ListError::from_kube(e, &what, &server))
            .map(move |ev| match ev? {
                WatchEvent::Added(o) => Ok(("ADDED".to_string(), typed(&rt2, json(&o)))),
                WatchEvent::Modified(o) => Ok(("MODIFIED".to_string(), typed(&rt2, json(&o)))),
                WatchEvent::Deleted(o) => Ok(("DELETED".to_string(), typed(&rt2, json(&o)))),
                WatchEvent::Bookmark(_) => Ok(("BOOKMARK".to_string(), Value::Null)),
                WatchEvent::Error(e) => Err(ListError::Other {
                    what: what2.clone(),
                    message: format!("watch failed: {} ({})", e.message, e.code),
                }),
            }))
    }
}

fn json(obj: &impl serde::Serialize) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// One page of a LIST: `metadata.continue`, `metadata.resourceVersion` and the items as sent.
#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default, deserialize_with = "null_as_empty")]
    items: Vec<Value>,
}

#[derive(Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageMeta {
    #[serde(rename = "continue")]
    continue_: Option<String>,
    resource_version: Option<String>,
}

/// `items: null` is how Go encodes an empty slice that was never allocated.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    use serde::Deserialize;
    Ok(Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default())
}

/// Items of a LIST carry no `apiVersion`/`kind` on a real API server (and metadata-only items
/// say `meta.k8s.io/v1 PartialObjectMetadata`); health scripts and keys need the real ones,
/// first as in any manifest.
fn typed(rt: &ResourceType, obj: Value) -> Value {
    let Value::Object(fields) = obj else {
        return Value::Null;
    };
    let mut out = serde_json::Map::with_capacity(fields.len() + 2);
    out.insert("apiVersion".into(), Value::String(rt.api_version.clone()));
    out.insert("kind".into(), Value::String(rt.kind.clone()));
    for (k, v) in fields {
        if k != "apiVersion" && k != "kind" {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}
