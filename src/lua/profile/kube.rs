//! Karmada's `kube` Lua module (`luavm/kube.go`): Kubernetes resource quantities and the pod
//! helpers customization scripts load with `require("kube")`.

use std::collections::{BTreeMap, BTreeSet};

use mlua::{Lua, MultiValue, Table, Value as LuaValue};
use serde_json::{Map, Value, json};

use crate::lua::convert;
use crate::quantity::{Format, Quantity};

/// The module table (`KubeLoader`); `prelude.lua` hands each run a copy.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let m = lua.create_table()?;
    m.raw_set(
        "resourceAdd",
        lua.create_function(|_, args: MultiValue| {
            let mut total = Quantity::ZERO;
            for (i, v) in args.iter().enumerate() {
                total.add(&quantity_arg(v, i + 1)?);
            }
            Ok(total.canonical())
        })?,
    )?;
    m.raw_set(
        "getResourceQuantity",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("getResourceQuantity only accepts one argument"));
            }
            let n = quantity_arg(&args[0], 1)?.as_f64();
            if n < 0.0 {
                return Err(raise(
                    "int approximation unexpectedly returned a negative value",
                ));
            }
            Ok(n)
        })?,
    )?;
    m.raw_set(
        "accuratePodRequirements",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("getPodRequirements only accepts one argument"));
            }
            let template = table_arg(&args[0], 1)?;
            match replica_requirements(&template) {
                Some(r) => convert::to_lua(lua, &r),
                None => Ok(LuaValue::Nil),
            }
        })?,
    )?;
    m.raw_set(
        "getPodDependencies",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 2 {
                return Err(raise("getPodDependencies only accepts two argument"));
            }
            let template = table_arg(&args[0], 1)?;
            let namespace = match &args[1] {
                LuaValue::Nil => "default".to_string(),
                LuaValue::String(s) => s.to_string_lossy(),
                LuaValue::Integer(i) => i.to_string(),
                LuaValue::Number(n) => crate::lua::format_number(*n),
                other => return Err(type_error(2, other)),
            };
            let deps = pod_dependencies(&template, &namespace);
            if deps.is_empty() {
                return Ok(LuaValue::Nil);
            }
            convert::to_lua(lua, &Value::Array(deps))
        })?,
    )?;
    Ok(m)
}

fn raise(msg: &str) -> mlua::Error {
    mlua::Error::runtime(msg.to_string())
}

fn type_error(n: usize, got: &LuaValue) -> mlua::Error {
    mlua::Error::runtime(format!(
        "bad argument #{n} to ? (string expected, got {})",
        convert::type_name(got)
    ))
}

/// `checkResourceQuantity`: nil is zero, a string is parsed (`resource.MustParse`).
fn quantity_arg(v: &LuaValue, n: usize) -> mlua::Result<Quantity> {
    match v {
        LuaValue::Nil => Ok(Quantity::ZERO),
        LuaValue::String(s) => {
            let text = s.to_string_lossy();
            Quantity::parse(&text)
                .map_err(|e| mlua::Error::runtime(format!("cannot parse '{text}': {e}")))
        }
        other => Err(type_error(n, other)),
    }
}

/// `ls.CheckTable(n)` then the table as JSON (`ConvertLuaResultInto` a PodTemplateSpec).
fn table_arg(v: &LuaValue, n: usize) -> mlua::Result<Value> {
    match v {
        LuaValue::Table(t) => convert::encode_json(t).map_err(mlua::Error::runtime),
        other => Err(mlua::Error::runtime(format!(
            "bad argument #{n} to ? (table expected, got {})",
            convert::type_name(other)
        ))),
    }
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn text<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path).and_then(Value::as_str).unwrap_or("")
}

/// Summed requests (`util.Resource`): CPU in millis, the rest in units.
#[derive(Default)]
struct Resources {
    milli_cpu: i64,
    memory: i64,
    ephemeral: i64,
    pods: i64,
    scalar: BTreeMap<String, i64>,
}

/// `lifted.IsScalarResourceName`: extended, hugepages, prefixed native, attachable volumes.
fn is_scalar(name: &str) -> bool {
    name.contains('/') || name.starts_with("hugepages-") || name.starts_with("attachable-volumes-")
}

impl Resources {
    /// `Resource.Add` (`max` false) or `Resource.SetMaxResource` (`max` true).
    fn merge(&mut self, list: &Map<String, Value>, max: bool) {
        for (name, q) in list {
            let Some(q) = crate::quantity::from_json(q) else {
                continue;
            };
            let slot = match name.as_str() {
                "cpu" => {
                    let v = q.scaled(-3);
                    Some((&mut self.milli_cpu, v))
                }
                "memory" => Some((&mut self.memory, q.scaled(0))),
                "ephemeral-storage" => Some((&mut self.ephemeral, q.scaled(0))),
                "pods" => Some((&mut self.pods, q.scaled(0))),
                n if is_scalar(n) => {
                    Some((self.scalar.entry(n.to_string()).or_insert(0), q.scaled(0)))
                }
                _ => None,
            };
            if let Some((cur, v)) = slot {
                *cur = if max {
                    (*cur).max(v)
                } else {
                    cur.saturating_add(v)
                };
            }
        }
    }

    /// `Resource.ResourceList` as JSON quantities; `None` when empty.
    fn to_list(&self) -> Option<Value> {
        let mut out = Map::new();
        let mut put = |name: &str, q: Quantity| {
            out.insert(name.to_string(), json!(q.canonical()));
        };
        if self.milli_cpu > 0 {
            put("cpu", Quantity::new(self.milli_cpu, -3, Format::DecimalSI));
        }
        if self.memory > 0 {
            put("memory", Quantity::new(self.memory, 0, Format::BinarySI));
        }
        if self.ephemeral > 0 {
            put(
                "ephemeral-storage",
                Quantity::new(self.ephemeral, 0, Format::BinarySI),
            );
        }
        if self.pods > 0 {
            put("pods", Quantity::new(self.pods, 0, Format::DecimalSI));
        }
        for (name, v) in &self.scalar {
            if *v > 0 {
                let format = if name.starts_with("hugepages-") {
                    Format::BinarySI
                } else {
                    Format::DecimalSI
                };
                put(name, Quantity::new(*v, 0, format));
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// A container's requests with each limit standing in for a missing request
/// (`Resource.AddPodTemplateRequest`).
fn requests(container: &Value) -> Map<String, Value> {
    let mut r = container
        .pointer("/resources/requests")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(limits) = container
        .pointer("/resources/limits")
        .and_then(Value::as_object)
    {
        for (k, v) in limits {
            r.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    r
}

/// `helper.GenerateReplicaRequirements` (feature gate `ResourceQuotaEstimate` off, its default).
fn replica_requirements(template: &Value) -> Option<Value> {
    let spec = template.get("spec").unwrap_or(&Value::Null);
    let mut res = Resources::default();
    for c in list(spec.get("containers")) {
        res.merge(&requests(c), false);
    }
    for c in list(spec.get("initContainers")) {
        res.merge(&requests(c), true);
    }
    if let Some(overhead) = spec.get("overhead").and_then(Value::as_object) {
        res.merge(overhead, false);
    }
    let mut claim = Map::new();
    if let Some(sel) = spec.get("nodeSelector").filter(|v| v.is_object()) {
        claim.insert("nodeSelector".into(), sel.clone());
    }
    if let Some(t) = spec
        .get("tolerations")
        .filter(|t| !list(Some(t)).is_empty())
    {
        claim.insert("tolerations".into(), t.clone());
    }
    if let Some(aff) = spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution")
        .filter(|v| !v.is_null())
    {
        claim.insert("hardNodeAffinity".into(), aff.clone());
    }
    let resource_request = res.to_list();
    if claim.is_empty() && resource_request.is_none() {
        return None;
    }
    let mut out = Map::new();
    if !claim.is_empty() {
        out.insert("nodeClaim".into(), Value::Object(claim));
    }
    if let Some(r) = resource_request {
        out.insert("resourceRequest".into(), r);
    }
    Some(Value::Object(out))
}

/// `helper.GetDependenciesFromPodTemplate`: ConfigMaps, Secrets, the ServiceAccount and PVCs a
/// pod refers to (each kind's names sorted; Karmada's order comes from a set).
fn pod_dependencies(template: &Value, namespace: &str) -> Vec<Value> {
    let spec = template.get("spec").unwrap_or(&Value::Null);
    let containers: Vec<&Value> = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| list(spec.get(*k)))
        .collect();
    let volumes = list(spec.get("volumes"));
    let mut config_maps = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for c in &containers {
        for e in list(c.get("envFrom")) {
            config_maps.insert(text(e, "/configMapRef/name"));
            secrets.insert(text(e, "/secretRef/name"));
        }
        for e in list(c.get("env")) {
            config_maps.insert(text(e, "/valueFrom/configMapKeyRef/name"));
            secrets.insert(text(e, "/valueFrom/secretKeyRef/name"));
        }
    }
    for r in list(spec.get("imagePullSecrets")) {
        secrets.insert(text(r, "/name"));
    }
    for v in volumes {
        // lifted.VisitPodSecretNames / VisitPodConfigmapNames: the first source type present
        let has = |k: &str| v.get(k).is_some_and(|x| !x.is_null());
        let secret_ref = |k: &str| text(v, &format!("/{k}/secretRef/name"));
        if has("azureFile") {
            secrets.insert(text(v, "/azureFile/secretName"));
        } else if has("cephfs") {
            secrets.insert(secret_ref("cephfs"));
        } else if has("cinder") {
            secrets.insert(secret_ref("cinder"));
        } else if has("flexVolume") {
            secrets.insert(secret_ref("flexVolume"));
        } else if has("projected") {
            for s in list(v.pointer("/projected/sources")) {
                secrets.insert(text(s, "/secret/name"));
                config_maps.insert(text(s, "/configMap/name"));
            }
        } else if has("rbd") {
            secrets.insert(secret_ref("rbd"));
        } else if has("secret") {
            secrets.insert(text(v, "/secret/secretName"));
        } else if has("scaleIO") {
            secrets.insert(secret_ref("scaleIO"));
        } else if has("iscsi") {
            secrets.insert(secret_ref("iscsi"));
        } else if has("storageos") {
            secrets.insert(secret_ref("storageos"));
        } else if has("csi") {
            secrets.insert(text(v, "/csi/nodePublishSecretRef/name"));
        }
        if !has("projected") && has("configMap") {
            config_maps.insert(text(v, "/configMap/name"));
        }
    }
    let mut service_accounts = BTreeSet::new();
    let sa = text(spec, "/serviceAccountName");
    if sa != "default" {
        service_accounts.insert(sa);
    }
    let pvcs: BTreeSet<&str> = volumes
        .iter()
        .map(|v| text(v, "/persistentVolumeClaim/claimName"))
        .collect();
    let mut out = Vec::new();
    for (kind, names) in [
        ("ConfigMap", config_maps),
        ("Secret", secrets),
        ("ServiceAccount", service_accounts),
        ("PersistentVolumeClaim", pvcs),
    ] {
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let mut d = Map::new();
            d.insert("apiVersion".into(), json!("v1"));
            d.insert("kind".into(), json!(kind));
            if !namespace.is_empty() {
                d.insert("namespace".into(), json!(namespace));
            }
            d.insert("name".into(), json!(name));
            out.push(Value::Object(d));
        }
    }
    out
}
