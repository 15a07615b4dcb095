//! A `kube::Client` for karmada-apiserver: a kubeconfig as kubectl takes it, in-cluster config,
//! or the cluster secret Argo CD already stores for it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Value, json};

/// Where the connection comes from (the `status` flags).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`; else `KUBECONFIG`, else `~/.kube/config`, else in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `--argocd-cluster-secret`: an Argo CD cluster Secret manifest.
    pub argocd_cluster_secret: Option<PathBuf>,
    /// Bound on connecting and on each response (`None` while watching).
    pub read_timeout: Option<Duration>,
    pub connect_timeout: Duration,
}

/// The client and the server URL (for messages).
pub async fn connect(opts: &ConnectOptions) -> Result<(kube::Client, String)> {
    let kco = KubeConfigOptions {
        context: opts.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = if let Some(path) = &opts.argocd_cluster_secret {
        let kc = argocd_cluster_secret(path)?;
        kube::Config::from_custom_kubeconfig(kc, &kco)
            .await
            .with_context(|| format!("{}: cannot use the cluster secret", path.display()))?
    } else if let Some(path) = &opts.kubeconfig {
        let kc = Kubeconfig::read_from(path)
            .with_context(|| format!("{}: cannot read the kubeconfig", path.display()))?;
        kube::Config::from_custom_kubeconfig(kc, &kco)
            .await
            .with_context(|| format!("{}: cannot use the kubeconfig", path.display()))?
    } else {
        match kube::Config::from_kubeconfig(&kco).await {
            Ok(c) => c,
            Err(kubeconfig_err) if opts.context.is_none() => match in_cluster()? {
                Some(kc) => kube::Config::from_custom_kubeconfig(kc, &kco)
                    .await
                    .context("cannot use the in-cluster config")?,
                None => return Err(kubeconfig_err).context(
                    "no usable kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a cluster",
                ),
            },
            Err(e) => return Err(e).context("cannot use the kubeconfig"),
        }
    };
    config.connect_timeout = Some(opts.connect_timeout);
    config.read_timeout = opts.read_timeout;
    config.write_timeout = Some(opts.connect_timeout);
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config)
        .with_context(|| format!("{server}: cannot set up the client"))?;
    Ok((client, server))
}

/// Where a pod's service account credentials are mounted (client-go `rest.InClusterConfig`).
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Moves [`SERVICE_ACCOUNT_DIR`]: only for tests, which cannot write to the real one.
pub const SERVICE_ACCOUNT_DIR_ENV: &str = "ARGOCD_KARMADA_SERVICE_ACCOUNT_DIR";

/// The in-cluster config as a one-context kubeconfig, or `None` outside a pod. Like client-go's
/// `rest.InClusterConfig` (and kube's `Config::incluster_env`): the server from
/// `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, the service account's CA and token
/// files, the token read again when it rotates (kube's `tokenFile`).
fn in_cluster() -> Result<Option<Kubeconfig>> {
    let (Ok(host), Ok(port)) = (
        std::env::var("KUBERNETES_SERVICE_HOST"),
        std::env::var("KUBERNETES_SERVICE_PORT"),
    ) else {
        return Ok(None);
    };
    if host.is_empty() || port.is_empty() {
        return Ok(None);
    }
    let dir = std::env::var_os(SERVICE_ACCOUNT_DIR_ENV)
        .map_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR), PathBuf::from);
    let server = in_cluster_server(&host, &port)?;
    let file = |name: &str| -> Result<String> {
        let path = dir.join(name);
        std::fs::metadata(&path).with_context(|| {
            format!(
                "{}: cannot read the service account's credentials (in-cluster config)",
                path.display()
            )
        })?;
        path.to_str()
            .map(str::to_string)
            .with_context(|| format!("{}: not a UTF-8 path", path.display()))
    };
    let (token, ca) = (file("token")?, file("ca.crt")?);
    let kc = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "in-cluster", "cluster": {
            "server": server, "certificate-authority": ca}}],
        "users": [{"name": "in-cluster", "user": {"tokenFile": token}}],
        "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster", "user": "in-cluster"}}],
        "current-context": "in-cluster",
    });
    Kubeconfig::from_yaml(&kc.to_string())
        .map(Some)
        .context("cannot build the in-cluster config")
}

/// `https://host:port`, IPv6 hosts in brackets, as client-go joins them (`net.JoinHostPort`).
fn in_cluster_server(host: &str, port: &str) -> Result<String> {
    let port: u16 = port
        .parse()
        .context("KUBERNETES_SERVICE_PORT: not a port number (in-cluster config)")?;
    Ok(if host.contains(':') {
        format!("https://[{host}]:{port}")
    } else {
        format!("https://{host}:{port}")
    })
}

/// Argo CD's cluster secret as a one-context kubeconfig. The secret holds `server` and `config`
/// (argoproj/argo-cd `pkg/apis/application/v1alpha1/types.go` `ClusterConfig`: `username`,
/// `password`, `bearerToken`, `tlsClientConfig{insecure, serverName, caData, certData, keyData}`),
/// base64 under `data` or plain under `stringData`.
pub fn argocd_cluster_secret(path: &Path) -> Result<Kubeconfig> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    let secret = crate::yaml::parse_one(&text, &origin)?;
    if secret["kind"].as_str() != Some("Secret") {
        bail!("{origin}: kind: expected a Secret (Argo CD's cluster secret)");
    }
    let field = |key: &str| -> Result<Option<String>> {
        if let Some(s) = secret["stringData"][key].as_str() {
            return Ok(Some(s.to_string()));
        }
        let Some(b64) = secret["data"][key].as_str() else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .with_context(|| format!("{origin}: data.{key}: not base64"))?;
        String::from_utf8(bytes)
            .map(Some)
            .with_context(|| format!("{origin}: data.{key}: not UTF-8"))
    };
    let server = field("server")?.with_context(|| format!("{origin}: data.server: missing"))?;
    let config: Value = match field("config")? {
        Some(c) => {
            serde_json::from_str(&c).with_context(|| format!("{origin}: data.config: not JSON"))?
        }
        None => json!({}),
    };
    for unsupported in ["execProviderConfig", "awsAuthConfig"] {
        if !config[unsupported].is_null() {
            bail!("{origin}: data.config.{unsupported}: not supported by status; use --kubeconfig");
        }
    }
    let tls = &config["tlsClientConfig"];
    let mut cluster = json!({"server": server});
    let mut user = json!({});
    let set = |target: &mut Value, key: &str, v: &Value| {
        if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
            target[key] = json!(s);
        }
    };
    set(&mut cluster, "certificate-authority-data", &tls["caData"]);
    set(&mut cluster, "tls-server-name", &tls["serverName"]);
    set(&mut user, "client-certificate-data", &tls["certData"]);
    set(&mut user, "client-key-data", &tls["keyData"]);
    set(&mut user, "token", &config["bearerToken"]);
    set(&mut user, "username", &config["username"]);
    set(&mut user, "password", &config["password"]);
    if tls["insecure"] == true {
        cluster["insecure-skip-tls-verify"] = json!(true);
    }
    let kc = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "argocd", "cluster": cluster}],
        "users": [{"name": "argocd", "user": user}],
        "contexts": [{"name": "argocd", "context": {"cluster": "argocd", "user": "argocd"}}],
        "current-context": "argocd",
    });
    Kubeconfig::from_yaml(&kc.to_string())
        .with_context(|| format!("{origin}: data.config: not a usable cluster config"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_secret_becomes_a_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.yaml");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let config =
            r#"{"bearerToken":"t0k3n","tlsClientConfig":{"insecure":false,"caData":"Q0E="}}"#;
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: karmada}}\ndata:\n  server: {}\n  config: {}\n",
                b64("https://karmada.example:5443"),
                b64(config)
            ),
        )
        .unwrap();
        let kc = argocd_cluster_secret(&path).unwrap();
        let cluster = kc.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.server.as_deref(),
            Some("https://karmada.example:5443")
        );
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("Q0E="));
        assert!(kc.auth_infos[0].auth_info.as_ref().unwrap().token.is_some());
    }

    #[test]
    fn in_cluster_server_url() {
        assert_eq!(
            in_cluster_server("10.96.0.1", "443").unwrap(),
            "https://10.96.0.1:443"
        );
        assert_eq!(
            in_cluster_server("fd00::1", "6443").unwrap(),
            "https://[fd00::1]:6443"
        );
        let e = format!("{:#}", in_cluster_server("10.96.0.1", "https").unwrap_err());
        assert!(e.starts_with("KUBERNETES_SERVICE_PORT"), "{e}");
    }

    #[test]
    fn cluster_secret_errors_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.yaml");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Secret\nstringData: {config: '{}'}\n",
        )
        .unwrap();
        let e = format!("{:#}", argocd_cluster_secret(&path).unwrap_err());
        assert!(e.contains("data.server: missing"), "{e}");
    }
}
