//! User-facing diagnostics: one [`Diagnostic`] (file, field path, message, optional hint) and one
//! field reader ([`Field`]) for every user file: `karmada.yaml`, its `source:` and the plugin
//! parameters. Each kind of mistake has one wording here.

use std::fmt;

mod fields;
pub use fields::{Field, Obj, error, join, type_name};

/// A mistake in a user's input, located by file and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How the file (or variable, e.g. `ARGOCD_APP_PARAMETERS`) is named to the user.
    pub file: String,
    /// The field path inside it (`overrides[0].clusters`); empty for the whole file.
    pub path: String,
    pub message: String,
    /// How to fix it; `cli::report` prints it on its own `hint:` line.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(file: &str, path: &str, message: impl fmt::Display) -> Self {
        Diagnostic {
            file: file.to_string(),
            path: path.to_string(),
            message: message.to_string(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl fmt::Display) -> Self {
        self.hint = Some(hint.to_string());
        self
    }

    /// `unknown <what>` with a did-you-mean; the hint lists what is known.
    pub fn unknown<'a>(
        file: &str,
        path: &str,
        what: &str,
        word: &str,
        known: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Self {
        let names: Vec<&str> = known.clone().into_iter().collect();
        let hint = if names.is_empty() {
            format!("no {what}s are allowed here")
        } else {
            format!("known {what}s: {}", names.join(", "))
        };
        Diagnostic::new(
            file,
            path,
            format!("unknown {what}{}", suggestion(word, known)),
        )
        .with_hint(hint)
    }
}

impl fmt::Display for Diagnostic {
    /// `file: path: message` (or `file: message` for the whole file); the hint is not part of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// The hint of the first [`Diagnostic`] in an error's chain.
pub fn hint_of(e: &anyhow::Error) -> Option<&str> {
    e.chain()
        .find_map(|c| c.downcast_ref::<Diagnostic>())
        .and_then(|d| d.hint.as_deref())
}

/// `"x" is not one of "a", "b" (did you mean "a"?)`.
pub fn not_one_of<'a>(word: &str, choices: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let list: Vec<String> = choices
        .clone()
        .into_iter()
        .map(|c| format!("\"{c}\""))
        .collect();
    format!(
        "\"{word}\" is not one of {}{}",
        list.join(", "),
        suggestion(word, choices)
    )
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// ` (did you mean "x"?)` or an empty string.
pub fn suggestion<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match did_you_mean(word, candidates) {
        Some(c) => format!(" (did you mean \"{c}\"?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("membr1", ["member1", "member2"]),
            Some("member1")
        );
        assert_eq!(
            did_you_mean("clustrs", ["clusters", "replicas"]),
            Some("clusters")
        );
        assert_eq!(did_you_mean("zzz", ["clusters", "replicas"]), None);
        assert_eq!(suggestion("zzz", ["clusters"]), "");
    }

    #[test]
    fn diagnostics_print_file_path_message_and_keep_the_hint() {
        let d = Diagnostic::unknown(
            "k.yaml",
            "replica",
            "field",
            "replica",
            ["replicas", "spread"],
        );
        assert_eq!(
            d.to_string(),
            "k.yaml: replica: unknown field (did you mean \"replicas\"?)"
        );
        assert_eq!(d.hint.as_deref(), Some("known fields: replicas, spread"));
        let e = anyhow::Error::new(d).context("while loading");
        assert_eq!(hint_of(&e), Some("known fields: replicas, spread"));
        assert_eq!(Diagnostic::new("f", "", "empty").to_string(), "f: empty");
        assert_eq!(
            not_one_of("Divded", ["Duplicated", "Divided"]),
            "\"Divded\" is not one of \"Duplicated\", \"Divided\" (did you mean \"Divided\"?)"
        );
    }
}
