//! The placement file `karmada.yaml`.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::render::AppContext;

/// The parsed placement file.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// The raw `source:` section; the source module interprets it.
    pub source: Option<Value>,
}

impl Placement {
    /// Reads `karmada.yaml` from the app directory and applies the plugin parameters.
    pub fn load(ctx: &AppContext) -> Result<Placement> {
        let shown = ctx.display("karmada.yaml");
        let text = std::fs::read_to_string(ctx.app_dir.join("karmada.yaml"))
            .with_context(|| format!("{shown}: cannot read"))?;
        let doc = crate::yaml::parse_one(&text, &shown)?;
        Ok(Placement {
            source: doc.get("source").cloned(),
        })
    }
}
