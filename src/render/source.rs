//! Sources: plain directories, kustomize, helm.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::AppContext;
use crate::exec::Command;

/// Time limit for one external renderer run.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(45);

/// Renders the app's base objects in input order.
pub fn render(_ctx: &AppContext, _spec: Option<&Value>) -> Result<Vec<Value>> {
    bail!("sources are being built (issue 2)")
}

/// `kustomize build DIR`, falling back to `kubectl kustomize DIR` when kustomize is not installed.
pub fn kustomize_build(ctx: &AppContext, dir: &Path) -> Result<Vec<Value>> {
    let shown = dir
        .strip_prefix(&ctx.app_dir)
        .map(|p| ctx.display(&p.to_string_lossy()))
        .unwrap_or_else(|_| dir.display().to_string());
    let candidates = [
        Command::new("kustomize").arg("build").arg(dir),
        Command::new("kubectl").arg("kustomize").arg(dir),
    ];
    for cmd in candidates {
        let cmd = cmd.cwd(&ctx.app_dir).timeout(TOOL_TIMEOUT);
        let out = match cmd.run() {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("{shown}: cannot run `{}`", cmd.display()));
            }
        };
        if out.timed_out {
            bail!(
                "{shown}: `{}` timed out after {:?}",
                cmd.display(),
                TOOL_TIMEOUT
            );
        }
        if !out.success() {
            bail!(
                "{shown}: `{}` failed (exit {}): {}",
                cmd.display(),
                out.code(),
                out.stderr_text()
            );
        }
        let text = String::from_utf8(out.stdout)
            .with_context(|| format!("{shown}: `{}` printed invalid UTF-8", cmd.display()))?;
        return crate::yaml::parse_stream(&text, &format!("{shown} (kustomize output)"));
    }
    bail!(
        "{shown}: neither `kustomize` nor `kubectl` is installed; install one to render kustomizations"
    )
}
