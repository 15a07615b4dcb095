//! Helm charts: `helm template`, with the arguments Argo CD's own helm source passes.

use std::ffi::OsString;

use anyhow::{Context, Result, anyhow, bail};

use super::spec::HelmOpts;
use super::{RepoRoot, TOOL_TIMEOUT};
use crate::exec::Command;
use crate::render::AppContext;

/// The helm binary: `$HELM_BIN`, else `helm` on `PATH`.
fn helm_bin() -> (OsString, bool) {
    match std::env::var_os("HELM_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => (bin, true),
        None => ("helm".into(), false),
    }
}

/// The default release name: the app name, without the `<namespace>_` prefix Argo CD adds for
/// apps outside its own namespace (helm forbids `_`), as Argo CD's own helm source does.
pub fn release_name(app_name: &str) -> &str {
    match app_name.split_once('_') {
        Some((_, name)) if !name.is_empty() => name,
        _ => app_name,
    }
}

/// The argv after `helm` (`extra_values`: the temp file holding inline values).
pub fn template_args(
    ctx: &AppContext,
    opts: &HelmOpts,
    value_files: &[std::path::PathBuf],
    extra_values: Option<&std::path::Path>,
) -> Vec<OsString> {
    let release = opts
        .release_name
        .clone()
        .unwrap_or_else(|| release_name(&ctx.app_name).to_string());
    let mut args: Vec<OsString> = vec![
        "template".into(),
        release.into(),
        ".".into(),
        "--namespace".into(),
        ctx.namespace.clone().into(),
    ];
    if let Some(v) = &ctx.kube_version {
        args.extend(["--kube-version".into(), v.into()]);
    }
    for f in value_files {
        args.extend(["--values".into(), f.into()]);
    }
    if let Some(f) = extra_values {
        args.extend(["--values".into(), f.into()]);
    }
    for v in &ctx.api_versions {
        args.extend(["--api-versions".into(), v.into()]);
    }
    // Argo CD's helm source includes the chart's CRDs unless told to skip them.
    if !opts.skip_crds {
        args.push("--include-crds".into());
    }
    if opts.skip_tests {
        args.push("--skip-tests".into());
    }
    args
}

/// Renders the chart in the app directory.
/// `chart` names the source in messages (`Chart.yaml`, or `karmada.yaml: source.helm`).
pub fn render(ctx: &AppContext, opts: &HelmOpts, root: &RepoRoot, chart: &str) -> Result<String> {
    let karmada = ctx.display("karmada.yaml");
    let mut value_files = Vec::new();
    for (i, f) in opts.value_files.iter().enumerate() {
        let field = format!("{karmada}: source.helm.valueFiles[{i}]");
        let path = ctx.app_dir.join(f);
        let canonical = std::fs::canonicalize(&path)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{field}: cannot read \"{f}\""))?;
        if !root.contains(&canonical) {
            bail!("{field}: \"{f}\" is outside the repository");
        }
        if !canonical.is_file() {
            bail!("{field}: \"{f}\" is not a file");
        }
        value_files.push(canonical);
    }
    // Inline values go through a private temp file, never through the command line or a shell.
    let extra = match &opts.values {
        None => None,
        Some(v) => {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => serde_json::to_string(other).context("cannot write inline values")?,
            };
            let mut f = tempfile::Builder::new()
                .prefix("values-")
                .suffix(".yaml")
                .tempfile()
                .with_context(|| {
                    format!("{karmada}: source.helm.values: cannot write a temp file")
                })?;
            std::io::Write::write_all(&mut f, text.as_bytes()).with_context(|| {
                format!("{karmada}: source.helm.values: cannot write a temp file")
            })?;
            Some(f)
        }
    };
    let args = template_args(ctx, opts, &value_files, extra.as_ref().map(|f| f.path()));
    let (bin, from_env) = helm_bin();
    let cmd = Command::new(&bin)
        .args(args)
        .cwd(&ctx.app_dir)
        .timeout(TOOL_TIMEOUT);
    let out = match cmd.run() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && from_env => bail!(
            "{chart}: HELM_BIN: \"{}\" not found; point it at the helm binary or unset it to use helm from PATH",
            bin.to_string_lossy()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{chart}: helm is not installed; install helm 3 in the plugin's sidecar image (or set HELM_BIN to its path)"
        ),
        Err(e) => bail!("{chart}: cannot run helm: {e}"),
    };
    if out.timed_out {
        bail!(
            "{chart}: `helm template` timed out after {:?}",
            TOOL_TIMEOUT
        );
    }
    if out.stdout_truncated {
        bail!(
            "{chart}: `helm template` printed more than {} bytes",
            cmd.max_stdout
        );
    }
    if !out.success() {
        bail!(
            "{chart}: `helm template` failed (exit {}): {}",
            out.code(),
            one_line(&out.stderr_text())
        );
    }
    String::from_utf8(out.stdout)
        .map_err(|_| anyhow!("{chart}: `helm template` printed invalid UTF-8"))
}

/// Tool stderr on one line, so the first stderr line Argo CD shows carries the cause.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_name_drops_the_app_namespace() {
        assert_eq!(release_name("team-a_guestbook"), "guestbook");
        assert_eq!(release_name("guestbook"), "guestbook");
    }
}
