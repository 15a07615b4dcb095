//! Which objects belong to an Argo CD app: Argo CD's resource tracking
//! (argoproj/argo-cd `util/argo/resource_tracking.go`).

use serde_json::Value;

/// `argocd.argoproj.io/tracking-id`: `<app>:<group>/<kind>:<namespace>/<name>`.
pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";
/// `application.instanceLabelKey`'s default.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Argo CD's `application.resourceTrackingMethod`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackingMethod {
    /// The tracking-id annotation (Argo CD v3's default).
    Annotation,
    /// The `app.kubernetes.io/instance` label.
    Label,
    /// The annotation tracks; the label is informational.
    #[value(name = "annotation+label")]
    AnnotationAndLabel,
}

impl TrackingMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingMethod::Annotation => "annotation",
            TrackingMethod::Label => "label",
            TrackingMethod::AnnotationAndLabel => "annotation+label",
        }
    }

    /// The method to suggest when this one found nothing.
    pub fn other(self) -> TrackingMethod {
        match self {
            TrackingMethod::Label => TrackingMethod::Annotation,
            _ => TrackingMethod::Label,
        }
    }

    /// A server-side label selector that narrows a LIST (only the label method has one).
    pub fn label_selector(self, app: &str) -> Option<String> {
        (self == TrackingMethod::Label).then(|| format!("{INSTANCE_LABEL}={app}"))
    }

    /// Whether Argo CD would count `obj` as a resource of `app`. For the annotation methods the
    /// tracking id must also name this very object, as Argo CD ignores ids copied onto others.
    pub fn tracks(self, obj: &Value, app: &str) -> bool {
        let meta = &obj["metadata"];
        match self {
            TrackingMethod::Label => meta["labels"][INSTANCE_LABEL].as_str() == Some(app),
            _ => meta["annotations"][TRACKING_ID]
                .as_str()
                .and_then(parse_tracking_id)
                .is_some_and(|id| id.app == app && id.names(obj)),
        }
    }
}

/// A parsed tracking id.
#[derive(Debug, PartialEq, Eq)]
pub struct TrackingId<'a> {
    pub app: &'a str,
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl TrackingId<'_> {
    fn names(&self, obj: &Value) -> bool {
        let group = obj["apiVersion"]
            .as_str()
            .and_then(|v| v.split_once('/'))
            .map_or("", |(g, _)| g);
        let namespace = obj["metadata"]["namespace"].as_str().unwrap_or("");
        self.group == group
            && obj["kind"].as_str() == Some(self.kind)
            && obj["metadata"]["name"].as_str() == Some(self.name)
            && (self.namespace.is_empty() || self.namespace == namespace)
    }
}

/// Splits `<app>:<group>/<kind>:<namespace>/<name>` (Argo CD's `ParseAppInstanceValue`).
pub fn parse_tracking_id(value: &str) -> Option<TrackingId<'_>> {
    let mut parts = value.split(':');
    let (app, gk, nn) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || app.is_empty() {
        return None;
    }
    let (group, kind) = gk.split_once('/')?;
    let (namespace, name) = nn.split_once('/')?;
    Some(TrackingId {
        app,
        group,
        kind,
        namespace,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn annotation_names_the_object() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop",
                "annotations": {TRACKING_ID: "guestbook:apps/Deployment:shop/web"}}});
        assert!(TrackingMethod::Annotation.tracks(&obj, "guestbook"));
        assert!(!TrackingMethod::Annotation.tracks(&obj, "other"));
        assert!(!TrackingMethod::Label.tracks(&obj, "guestbook"));
        let copied = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "copy", "namespace": "shop",
                "annotations": {TRACKING_ID: "guestbook:apps/Deployment:shop/web"}}});
        assert!(!TrackingMethod::AnnotationAndLabel.tracks(&copied, "guestbook"));
    }

    #[test]
    fn core_and_cluster_scoped_ids() {
        let id = parse_tracking_id("app:/ConfigMap:default/cfg").unwrap();
        assert_eq!(
            (id.group, id.kind, id.namespace),
            ("", "ConfigMap", "default")
        );
        let ns = json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "annotations": {TRACKING_ID: "app:/Namespace:/shop"}}});
        assert!(TrackingMethod::Annotation.tracks(&ns, "app"));
        assert_eq!(parse_tracking_id("app:Deployment:web"), None);
    }

    #[test]
    fn label_method_selects_on_the_server() {
        assert_eq!(
            TrackingMethod::Label.label_selector("shop").as_deref(),
            Some("app.kubernetes.io/instance=shop")
        );
        assert_eq!(TrackingMethod::Annotation.label_selector("shop"), None);
    }
}
