//! A small Kubernetes API server on 127.0.0.1 for tests: it serves the objects it holds with the
//! real API's URLs and shapes — LIST with label/field selectors, `limit`/`continue` and
//! `resourceVersion`, watch streams, GET, Karmada's cluster proxy, `Status` errors — over HTTP or
//! HTTPS (a generated CA), so kube-rs talks to it exactly as it talks to karmada-apiserver.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::broadcast;

pub mod fixtures;

type Body = BoxBody<Bytes, Infallible>;

/// One stored object and where it lives.
#[derive(Clone)]
struct Stored {
    /// `/api/v1` or `/apis/<group>/<version>`.
    base: String,
    plural: String,
    obj: Value,
}

impl Stored {
    fn namespace(&self) -> Option<&str> {
        self.obj["metadata"]["namespace"].as_str()
    }
    fn name(&self) -> &str {
        self.obj["metadata"]["name"].as_str().unwrap_or("")
    }
}

#[derive(Clone)]
struct Event {
    rv: u64,
    base: String,
    plural: String,
    kind: &'static str,
    obj: Value,
}

#[derive(Default)]
struct State {
    /// The control plane's objects.
    objects: Vec<Stored>,
    /// Each member cluster's objects, reached through the cluster proxy.
    members: BTreeMap<String, Vec<Stored>>,
    rv: u64,
    history: Vec<Event>,
    token: Option<String>,
    /// `(path prefix, code, message)`: answer matching requests with this error.
    faults: Vec<(String, u16, String)>,
    /// Every request as `METHOD path?query`.
    log: Vec<String>,
    /// Ends watches after this many seconds (a real server's `--min-request-timeout`).
    watch_limit: Option<u64>,
    /// Response bodies of GETs by request line, when [`ApiServer::cache_responses`] is on: a
    /// benchmark measures its client, not this server's JSON encoding. Any `put` empties it.
    cache: Option<std::collections::HashMap<String, Bytes>>,
}

pub struct ApiServer {
    pub url: String,
    /// PEM of the CA that signed the server certificate (HTTPS only).
    pub ca_pem: Option<String>,
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<Event>,
}

/// `(base, plural)` of an object, from its apiVersion and kind.
pub fn location(obj: &Value) -> (String, String) {
    let api_version = obj["apiVersion"].as_str().expect("apiVersion");
    let kind = obj["kind"].as_str().expect("kind");
    let base = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    let lower = kind.to_lowercase();
    let plural = if lower.ends_with("ss") || lower.ends_with('x') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    };
    (base, plural)
}

impl ApiServer {
    /// Plain HTTP.
    pub fn start() -> ApiServer {
        ApiServer::launch(false)
    }

    /// HTTPS with a freshly generated CA and a certificate for 127.0.0.1 and localhost.
    pub fn start_tls() -> ApiServer {
        ApiServer::launch(true)
    }

    fn launch(tls: bool) -> ApiServer {
        let state = Arc::new(Mutex::new(State::default()));
        let (events, _) = broadcast::channel(4096);
        let (tx, rx) = std::sync::mpsc::channel();
        let (st, ev) = (state.clone(), events.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(st, ev, tls, tx));
        });
        let (url, ca_pem) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("server start");
        ApiServer {
            url,
            ca_pem,
            state,
            events,
        }
    }

    /// Adds or replaces a control-plane object (a watch sees ADDED or MODIFIED).
    pub fn put(&self, obj: Value) {
        self.put_in(None, obj);
    }

    /// Adds an object to a member cluster (served through the cluster proxy).
    pub fn put_member(&self, cluster: &str, obj: Value) {
        self.put_in(Some(cluster), obj);
    }

    fn put_in(&self, member: Option<&str>, mut obj: Value) {
        let (base, plural) = location(&obj);
        let mut st = self.state.lock().unwrap();
        if let Some(cache) = &mut st.cache {
            cache.clear();
        }
        st.rv += 1;
        let rv = st.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let stored = Stored {
            base: base.clone(),
            plural: plural.clone(),
            obj: obj.clone(),
        };
        let list = match member {
            Some(c) => st.members.entry(c.to_string()).or_default(),
            None => &mut st.objects,
        };
        let existing = list.iter().position(|s| {
            s.base == stored.base
                && s.plural == stored.plural
                && s.namespace() == stored.namespace()
                && s.name() == stored.name()
        });
        let kind = match existing {
            Some(i) => {
                list[i] = stored;
                "MODIFIED"
            }
            None => {
                list.push(stored);
                "ADDED"
            }
        };
        if member.is_none() {
            let ev = Event {
                rv,
                base,
                plural,
                kind,
                obj,
            };
            st.history.push(ev.clone());
            let _ = self.events.send(ev);
        }
    }

    /// Requires `Authorization: Bearer TOKEN` (401 otherwise).
    pub fn require_token(&self, token: &str) {
        self.state.lock().unwrap().token = Some(token.to_string());
    }

    /// Answers requests whose path starts with `prefix` with `code` and a `Status` object.
    pub fn fail(&self, prefix: &str, code: u16, message: &str) {
        self.state
            .lock()
            .unwrap()
            .faults
            .push((prefix.into(), code, message.into()));
    }

    /// Ends every watch after `seconds` instead of the client's `timeoutSeconds`.
    pub fn end_watches_after(&self, seconds: u64) {
        self.state.lock().unwrap().watch_limit = Some(seconds);
    }

    /// Serves repeated reads (LISTs and GETs) from their first response's bytes until the next
    /// `put`.
    pub fn cache_responses(&self) {
        self.state.lock().unwrap().cache = Some(Default::default());
    }

    /// Every request so far, as `GET /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// A kubeconfig for this server (with the CA for HTTPS, the token if one is required).
    pub fn kubeconfig(&self, token: Option<&str>) -> String {
        use base64::Engine;
        let mut cluster = json!({"server": self.url});
        if let Some(ca) = &self.ca_pem {
            cluster["certificate-authority-data"] =
                json!(base64::engine::general_purpose::STANDARD.encode(ca));
        }
        let user = match token {
            Some(t) => json!({"token": t}),
            None => json!({}),
        };
        json!({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "karmada", "cluster": cluster}],
            "users": [{"name": "admin", "user": user}],
            "contexts": [{"name": "karmada-apiserver", "context": {"cluster": "karmada", "user": "admin"}}],
            "current-context": "karmada-apiserver",
        })
        .to_string()
    }
}

async fn serve(
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<Event>,
    tls: bool,
    ready: std::sync::mpsc::Sender<(String, Option<String>)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (acceptor, ca_pem) = if tls {
        let (a, ca) = tls_acceptor();
        (Some(a), Some(ca))
    } else {
        (None, None)
    };
    let scheme = if tls { "https" } else { "http" };
    ready
        .send((format!("{scheme}://127.0.0.1:{port}"), ca_pem))
        .unwrap();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (state, events, acceptor) = (state.clone(), events.clone(), acceptor.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (state, events) = (state.clone(), events.clone());
                async move { Ok::<_, Infallible>(handle(&state, &events, req)) }
            });
            let builder = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(a) => {
                    if let Ok(s) = a.accept(stream).await {
                        let _ = builder
                            .serve_connection(hyper_util::rt::TokioIo::new(s), service)
                            .await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                }
            }
        });
    }
}

fn tls_acceptor() -> (tokio_rustls::TlsAcceptor, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    use tokio_rustls::rustls;
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "test karmada-apiserver CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_cert.pem(),
    )
}

fn full(code: StatusCode, body: Value) -> Response<Body> {
    bytes(code, Bytes::from(body.to_string()))
}

fn bytes(code: StatusCode, body: Bytes) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(body).boxed())
        .unwrap()
}

/// A `Status` object as the API server sends with every error.
fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    let (code, body) = status_body(code, reason, message);
    full(code, body)
}

fn status_body(code: u16, reason: &str, message: &str) -> (StatusCode, Value) {
    (
        StatusCode::from_u16(code).unwrap(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

fn reason_of(code: u16) -> &'static str {
    match code {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        410 => "Expired",
        _ => "InternalError",
    }
}

fn query(req: &Request<Incoming>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k), decode(v));
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed resource path.
struct Target {
    base: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (base, rest) = match *segs.first()? {
        "api" if segs.len() >= 2 => (format!("/api/{}", segs[1]), &segs[2..]),
        "apis" if segs.len() >= 3 => (format!("/apis/{}/{}", segs[1], segs[2]), &segs[3..]),
        _ => return None,
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 1 => Some(Target {
            base,
            namespace: Some(ns.to_string()),
            plural: plural.to_string(),
            name: tail.first().map(|s| s.to_string()),
        }),
        [plural, tail @ ..] if tail.len() <= 1 && !rest.is_empty() => Some(Target {
            base,
            namespace: None,
            plural: plural.to_string(),
            name: tail.first().map(|s| s.to_string()),
        }),
        _ => None,
    }
}

const PROXY: &str = "/apis/cluster.karmada.io/v1alpha1/clusters/";

fn handle(
    state: &Arc<Mutex<State>>,
    events: &broadcast::Sender<Event>,
    req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    let q = query(&req);
    // kube's `list_metadata` asks for `PartialObjectMetadataList` in the Accept header.
    let metadata = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
    let mut st = state.lock().unwrap();
    st.log.push(format!(
        "{} {}{}",
        req.method(),
        req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
        if metadata { " (metadata)" } else { "" }
    ));
    if let Some(token) = &st.token {
        let sent = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if sent != Some(&format!("Bearer {token}")) {
            return status(401, "Unauthorized", "Unauthorized");
        }
    }
    if let Some((_, code, message)) = st
        .faults
        .iter()
        .find(|(p, _, _)| path.starts_with(p.as_str()))
    {
        return status(*code, reason_of(*code), message);
    }
    if req.method() != hyper::Method::GET {
        return status(405, "MethodNotAllowed", "only GET is served");
    }
    // Karmada's cluster proxy: the rest of the path is a request to that member's API server.
    if let Some(rest) = path.strip_prefix(PROXY)
        && let Some((cluster, member_path)) = rest.split_once("/proxy")
    {
        let Some(objects) = st.members.get(cluster) else {
            return status(
                404,
                "NotFound",
                &format!("clusters.cluster.karmada.io \"{cluster}\" not found"),
            );
        };
        let (code, body) = serve_read(objects, member_path, &q, st.rv, metadata);
        return full(code, body);
    }
    let Some(target) = parse_path(&path) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    if target.name.is_none() && matches!(q.get("watch").map(String::as_str), Some("1" | "true")) {
        let from: u64 = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let timeout: u64 = q
            .get("timeoutSeconds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(290)
            .min(st.watch_limit.unwrap_or(u64::MAX));
        let backlog: Vec<Event> = st
            .history
            .iter()
            .filter(|e| e.rv > from && matches(&target, e))
            .cloned()
            .collect();
        let rx = events.subscribe();
        drop(st);
        return watch_response(target, backlog, rx, from, timeout);
    }
    let key = format!("{} {metadata}", req.uri());
    if let Some(hit) = st.cache.as_ref().and_then(|c| c.get(&key)) {
        return bytes(StatusCode::OK, hit.clone());
    }
    // Served under the lock: only the matching objects are copied into the response.
    let (code, body) = serve_read(&st.objects, &path, &q, st.rv, metadata);
    let body = Bytes::from(body.to_string());
    if let Some(cache) = st.cache.as_mut().filter(|_| code == StatusCode::OK) {
        cache.insert(key, body.clone());
    }
    bytes(code, body)
}

fn matches(t: &Target, e: &Event) -> bool {
    e.base == t.base
        && e.plural == t.plural
        && (t.namespace.is_none()
            || e.obj["metadata"]["namespace"].as_str() == t.namespace.as_deref())
}

/// GET of one object or a LIST, on the control plane or a member.
fn serve_read(
    objects: &[Stored],
    path: &str,
    q: &BTreeMap<String, String>,
    rv: u64,
    metadata: bool,
) -> (StatusCode, Value) {
    let Some(t) = parse_path(path) else {
        return status_body(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let in_scope = |s: &&Stored| {
        s.base == t.base
            && s.plural == t.plural
            && (t.namespace.is_none() || s.namespace() == t.namespace.as_deref())
    };
    if let Some(name) = &t.name {
        return match objects.iter().filter(in_scope).find(|s| s.name() == name) {
            Some(s) => (StatusCode::OK, s.obj.clone()),
            None => status_body(
                404,
                "NotFound",
                &format!("{} \"{name}\" not found", t.plural),
            ),
        };
    }
    let label = q.get("labelSelector").map(String::as_str).unwrap_or("");
    let field = q.get("fieldSelector").map(String::as_str).unwrap_or("");
    let mut items: Vec<&Stored> = objects
        .iter()
        .filter(in_scope)
        .filter(|s| label_match(label, &s.obj) && field_match(field, &s.obj))
        .collect();
    items.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let page: Vec<Value> = items[start.min(end)..end]
        .iter()
        .map(|s| match metadata {
            true => json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                           "metadata": s.obj["metadata"]}),
            false => list_item(&s.obj),
        })
        .collect();
    let mut list_meta = json!({"resourceVersion": rv.to_string()});
    if end < items.len() {
        list_meta["continue"] = json!(end.to_string());
    }
    let kind = items
        .first()
        .and_then(|s| s.obj["kind"].as_str())
        .map(|k| format!("{k}List"))
        .unwrap_or_else(|| "List".into());
    let (api_version, kind) = match metadata {
        true => (
            "meta.k8s.io/v1".to_string(),
            "PartialObjectMetadataList".to_string(),
        ),
        false => (
            t.base
                .trim_start_matches("/apis/")
                .trim_start_matches("/api/")
                .to_string(),
            kind,
        ),
    };
    (
        StatusCode::OK,
        json!({"apiVersion": api_version, "kind": kind, "metadata": list_meta, "items": page}),
    )
}

/// Built-in types' LIST items carry no apiVersion/kind (custom resources' do), as on a real server.
fn list_item(obj: &Value) -> Value {
    let mut o = obj.clone();
    let group = obj["apiVersion"]
        .as_str()
        .and_then(|v| v.split_once('/'))
        .map_or("", |(g, _)| g);
    let custom = group.contains('.') && !group.ends_with(".k8s.io");
    if !custom && let Some(m) = o.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    o
}

/// Equality-based selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated (all must hold).
pub fn label_match(selector: &str, obj: &Value) -> bool {
    let labels = &obj["metadata"]["labels"];
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels[k].as_str() != Some(v)
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            labels[k].as_str() == Some(v)
        } else if let Some(k) = term.strip_prefix('!') {
            labels[k].is_null()
        } else {
            !labels[term].is_null()
        }
    })
}

/// Field selectors on dotted paths, e.g. `metadata.name=web,involvedObject.kind=Deployment`.
fn field_match(selector: &str, obj: &Value) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (path, want, negate) = match term.split_once("!=") {
            Some((p, v)) => (p, v, true),
            None => match term.split_once("==").or_else(|| term.split_once('=')) {
                Some((p, v)) => (p, v, false),
                None => return false,
            },
        };
        let mut v = obj;
        for part in path.split('.') {
            v = &v[part];
        }
        (v.as_str().unwrap_or("") == want) != negate
    })
}

fn watch_response(
    target: Target,
    backlog: Vec<Event>,
    rx: broadcast::Receiver<Event>,
    from: u64,
    timeout: u64,
) -> Response<Body> {
    let line = |e: &Event| {
        let mut s = json!({"type": e.kind, "object": e.obj}).to_string();
        s.push('\n');
        Ok::<_, Infallible>(Frame::data(Bytes::from(s)))
    };
    let first = futures::stream::iter(backlog.iter().map(line).collect::<Vec<_>>());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let live = futures::stream::unfold(
        (rx, target, from),
        move |(mut rx, target, from)| async move {
            loop {
                let next = tokio::time::timeout_at(deadline, rx.recv()).await;
                match next {
                    Ok(Ok(e)) if e.rv > from && matches(&target, &e) => {
                        let mut s = json!({"type": e.kind, "object": e.obj}).to_string();
                        s.push('\n');
                        return Some((Ok(Frame::data(Bytes::from(s))), (rx, target, from)));
                    }
                    Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                    _ => return None,
                }
            }
        },
    );
    use futures::StreamExt;
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(StreamBody::new(first.chain(live))))
        .unwrap()
}
