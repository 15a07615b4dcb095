//! The ConfigManagementPlugin (`plugin.yaml`) as cmp-server reads it: YAML -> JSON -> Go struct
//! (case-insensitive keys, unknown fields ignored, `apiVersion` never checked), then three checks.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};

use super::godecode::{Decoder, field};

/// argv pieces: `command` + `args`, never through a shell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandSpec {
    pub command: Vec<String>,
    pub args: Vec<String>,
}

impl CommandSpec {
    pub fn is_empty(&self) -> bool {
        self.command.is_empty()
    }

    /// The full argv.
    pub fn argv(&self) -> Vec<String> {
        self.command.iter().chain(&self.args).cloned().collect()
    }
}

/// `spec.discover`; only the first defined of fileName, find.glob, find.command is used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discover {
    pub file_name: String,
    pub glob: String,
    pub find: CommandSpec,
}

/// The rule that actually decides, in Argo CD's order.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscoveryRule<'a> {
    FileName(&'a str),
    Glob(&'a str),
    Command(&'a CommandSpec),
}

impl Discover {
    pub fn rule(&self) -> Option<DiscoveryRule<'_>> {
        if !self.file_name.is_empty() {
            Some(DiscoveryRule::FileName(&self.file_name))
        } else if !self.glob.is_empty() {
            Some(DiscoveryRule::Glob(&self.glob))
        } else if !self.find.is_empty() {
            Some(DiscoveryRule::Command(&self.find))
        } else {
            None
        }
    }
}

/// A ParameterAnnouncement (repository.proto), kept as the JSON the UI would receive.
pub type Announcement = Value;

#[derive(Debug, Clone, Default)]
pub struct PluginConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub init: CommandSpec,
    pub generate: CommandSpec,
    pub discover: Discover,
    pub static_parameters: Vec<Announcement>,
    pub dynamic_parameters: CommandSpec,
    pub preserve_file_mode: bool,
    pub provide_git_creds: bool,
}

impl PluginConfig {
    /// `<name>-<version>` (or `<name>`): the socket name, which `spec.source.plugin.name` must equal.
    pub fn identity(&self) -> String {
        if self.version.is_empty() {
            self.name.clone()
        } else {
            format!("{}-{}", self.name, self.version)
        }
    }

    pub fn read(path: &Path) -> Result<PluginConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        Self::parse(&text).with_context(|| path.display().to_string())
    }

    pub fn parse(text: &str) -> Result<PluginConfig> {
        // sigs.k8s.io/yaml converts the first document only.
        let docs = crate::yaml::parse_stream(text, "plugin.yaml")
            .map_err(|e| anyhow!("error converting YAML to JSON: {}", root_cause(&e)))?;
        let doc = docs.into_iter().next().unwrap_or(Value::Null);
        let config = decode(&doc)?;
        config.validate()?;
        Ok(config)
    }

    /// `ValidatePluginConfig`, same order, same words.
    fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            bail!("invalid plugin configuration file. metadata.name should be non-empty");
        }
        if self.kind != "ConfigManagementPlugin" {
            bail!(
                "invalid plugin configuration file. kind should be ConfigManagementPlugin, found {}",
                self.kind
            );
        }
        if self.generate.is_empty() {
            bail!("invalid plugin configuration file. spec.generate command should be non-empty");
        }
        Ok(())
    }
}

fn root_cause(e: &anyhow::Error) -> String {
    e.chain().last().map(|c| c.to_string()).unwrap_or_default()
}

fn command(d: &mut Decoder, v: Option<&Value>, path: &str) -> CommandSpec {
    let Some(m) = d.object(v, "PluginConfigSpec", path, "plugin.Command") else {
        return CommandSpec::default();
    };
    CommandSpec {
        command: d.strings(field(m, "command"), "Command", &format!("{path}.command")),
        args: d.strings(field(m, "args"), "Command", &format!("{path}.args")),
    }
}

fn decode(doc: &Value) -> Result<PluginConfig> {
    let mut d = Decoder::default();
    let mut c = PluginConfig::default();
    if let Some(root) = d.root(doc, "plugin.PluginConfig") {
        c.kind = d.string(field(root, "kind"), "PluginConfig", "kind");
        d.string(field(root, "apiVersion"), "PluginConfig", "apiVersion");
        if let Some(meta) = d.object(
            field(root, "metadata"),
            "PluginConfig",
            "metadata",
            "v1.ObjectMeta",
        ) {
            c.name = d.string(field(meta, "name"), "ObjectMeta", "metadata.name");
        }
        if let Some(spec) = d.object(
            field(root, "spec"),
            "PluginConfig",
            "spec",
            "plugin.PluginConfigSpec",
        ) {
            decode_spec(&mut d, spec, &mut c);
        }
    }
    d.finish().map_err(|e| anyhow!(e))?;
    Ok(c)
}

fn decode_spec(d: &mut Decoder, spec: &Map<String, Value>, c: &mut PluginConfig) {
    const S: &str = "PluginConfigSpec";
    c.version = d.string(field(spec, "version"), S, "spec.version");
    c.init = command(d, field(spec, "init"), "spec.init");
    c.generate = command(d, field(spec, "generate"), "spec.generate");
    if let Some(disc) = d.object(
        field(spec, "discover"),
        S,
        "spec.discover",
        "plugin.Discover",
    ) {
        c.discover.file_name = d.string(
            field(disc, "fileName"),
            "Discover",
            "spec.discover.fileName",
        );
        if let Some(find) = d.object(
            field(disc, "find"),
            "Discover",
            "spec.discover.find",
            "plugin.Find",
        ) {
            c.discover.glob = d.string(field(find, "glob"), "Find", "spec.discover.find.glob");
            c.discover.find = CommandSpec {
                command: d.strings(field(find, "command"), "Find", "spec.discover.find.command"),
                args: d.strings(field(find, "args"), "Find", "spec.discover.find.args"),
            };
        }
    }
    // The Go field has only a yaml tag, so JSON matches the field name `Parameters` (any case).
    if let Some(params) = d.object(
        field(spec, "parameters"),
        S,
        "spec.Parameters",
        "plugin.Parameters",
    ) {
        let items = d.objects(
            field(params, "static"),
            "Parameters",
            "spec.Parameters.Static",
            "[]*apiclient.ParameterAnnouncement",
            "apiclient.ParameterAnnouncement",
        );
        c.static_parameters = items
            .into_iter()
            .map(|m| announcement(d, m, "spec.Parameters.Static"))
            .collect();
        if let Some(dynamic) = d.object(
            field(params, "dynamic"),
            "Parameters",
            "spec.Parameters.Dynamic",
            "plugin.Command",
        ) {
            c.dynamic_parameters = CommandSpec {
                command: d.strings(
                    field(dynamic, "command"),
                    "Command",
                    "spec.Parameters.Dynamic.command",
                ),
                args: d.strings(
                    field(dynamic, "args"),
                    "Command",
                    "spec.Parameters.Dynamic.args",
                ),
            };
        }
    }
    c.preserve_file_mode = d.boolean(field(spec, "preserveFileMode"), S, "spec.preserveFileMode");
    c.provide_git_creds = d.boolean(field(spec, "provideGitCreds"), S, "spec.provideGitCreds");
}

/// One ParameterAnnouncement, re-encoded with only its known fields (as the protobuf would),
/// in the field order of repository.proto.
pub fn announcement(d: &mut Decoder, m: Option<&Map<String, Value>>, prefix: &str) -> Value {
    const S: &str = "ParameterAnnouncement";
    let path = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    let mut out = Map::new();
    let Some(m) = m else {
        return Value::Object(out);
    };
    for key in ["name", "title", "tooltip"] {
        if let Some(s) = d.opt_string(field(m, key), S, &path(key))
            && !s.is_empty()
        {
            out.insert(key.into(), Value::String(s));
        }
    }
    if d.boolean(field(m, "required"), S, &path("required")) {
        out.insert("required".into(), Value::Bool(true));
    }
    for key in ["itemType", "collectionType", "string"] {
        if let Some(s) = d.opt_string(field(m, key), S, &path(key))
            && !s.is_empty()
        {
            out.insert(key.into(), Value::String(s));
        }
    }
    if let Some(a) = d.opt_strings(field(m, "array"), S, &path("array"))
        && !a.is_empty()
    {
        out.insert("array".into(), a.into());
    }
    if let Some(map) = d.opt_string_map(field(m, "map"), S, &path("map"))
        && !map.is_empty()
    {
        let map: BTreeMap<String, String> = map;
        out.insert("map".into(), serde_json::to_value(map).unwrap_or_default());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", PluginConfig::parse(text).unwrap_err())
    }

    #[test]
    fn parses_like_go_json() {
        let c = PluginConfig::parse(
            "apiVersion: anything\nKind: ConfigManagementPlugin\nmetadata: {name: p}\nspec:\n  Version: v1\n  GENERATE: {command: [sh, -c], args: [echo]}\n  discover: {find: {command: [ls], glob: '**/x'}}\n  parameters: {static: [{name: a, required: true, unknown: 1}]}\n  preserveFileMode: true\n  extra: ignored\n",
        )
        .unwrap();
        assert_eq!(c.identity(), "p-v1");
        assert_eq!(c.generate.argv(), ["sh", "-c", "echo"]);
        assert_eq!(c.discover.rule(), Some(DiscoveryRule::Glob("**/x")));
        assert_eq!(
            c.static_parameters,
            vec![serde_json::json!({"name": "a", "required": true})]
        );
        assert!(c.preserve_file_mode);
    }

    #[test]
    fn validates_with_argo_words() {
        assert_eq!(
            err("kind: ConfigManagementPlugin\nspec: {generate: {command: [x]}}\n"),
            "invalid plugin configuration file. metadata.name should be non-empty"
        );
        assert_eq!(
            err("kind: Plugin\nmetadata: {name: p}\n"),
            "invalid plugin configuration file. kind should be ConfigManagementPlugin, found Plugin"
        );
        assert_eq!(
            err(
                "kind: ConfigManagementPlugin\nmetadata: {name: p}\nspec: {generate: {args: [x]}}\n"
            ),
            "invalid plugin configuration file. spec.generate command should be non-empty"
        );
        assert_eq!(
            err(
                "kind: ConfigManagementPlugin\nmetadata: {name: p}\nspec: {generate: {command: sh}}\n"
            ),
            "json: cannot unmarshal string into Go struct field Command.spec.generate.command of type []string"
        );
        assert_eq!(
            err("- a\n"),
            "json: cannot unmarshal array into Go value of type plugin.PluginConfig"
        );
    }
}
