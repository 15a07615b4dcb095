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
        let api = self.api(rt, namespace);
        let mut params = ListParams::default().limit(self.page_size);
        if let Some(sel) = label_selector {
            params = params.labels(sel);
        }
        let mut out = Listed::default();
        loop {
            let meta = match shape {
                Shape::Full => {
                    let page = api.list(&params).await.map_err(fail)?;
                    out.items.extend(page.items.iter().map(|o| typed(rt, o)));
                    page.metadata
                }
                Shape::Metadata => {
                    let page = api.list_metadata(&params).await.map_err(fail)?;
                    out.items.extend(page.items.iter().map(|o| typed(rt, o)));
                    page.metadata
                }
            };
            out.resource_version = meta.resource_version.unwrap_or_default();
            match meta.continue_.filter(|c| !c.is_empty()) {
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
                WatchEvent::Added(o) => Ok(("ADDED".to_string(), typed(&rt2, &o))),
                WatchEvent::Modified(o) => Ok(("MODIFIED".to_string(), typed(&rt2, &o))),
                WatchEvent::Deleted(o) => Ok(("DELETED".to_string(), typed(&rt2, &o))),
                WatchEvent::Bookmark(_) => Ok(("BOOKMARK".to_string(), Value::Null)),
                WatchEvent::Error(e) => Err(ListError::Other {
                    what: what2.clone(),
                    message: format!("watch failed: {} ({})", e.message, e.code),
                }),
            }))
    }
}

/// Items of a LIST carry no `apiVersion`/`kind` on a real API server (and metadata-only items
/// say `meta.k8s.io/v1 PartialObjectMetadata`); health scripts and keys need the real ones.
fn typed(rt: &ResourceType, obj: &impl serde::Serialize) -> Value {
    let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(rt.api_version.clone()));
        map.insert("kind".into(), Value::String(rt.kind.clone()));
    }
    v
}
