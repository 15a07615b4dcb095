//! Generated files: what an artifact is and how one is compared with, or written over, its
//! committed copy. Which artifacts exist is the `gen` command's business, not this module's.
//!
//! An artifact is a whole file, or a marked region of a file (`<!-- BEGIN GENERATED: name -->` ...
//! `<!-- END GENERATED: name -->`), so docs can live inside the hand-written README.

use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Where an artifact goes inside its file.
pub enum Target {
    WholeFile,
    Region(&'static str),
}

pub struct Artifact {
    /// Path relative to the repository root.
    pub path: &'static str,
    pub target: Target,
    /// Renders the content from the repository root.
    pub render: fn(&Path) -> Result<String>,
}

/// Brings the artifact at `path` (relative to `root`) up to date with `content`, or with `check`
/// only compares; `true` when the committed copy was stale.
///
/// A file that exists but cannot be read is an error, never "stale": overwriting it would
/// destroy whatever it holds.
pub fn refresh(
    root: &Path,
    path: &str,
    target: &Target,
    content: &str,
    check: bool,
) -> Result<bool> {
    let full = root.join(path);
    let current = match std::fs::read_to_string(&full) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => bail!("{path}: cannot read: {e}"),
    };
    let wanted = match target {
        Target::WholeFile => content.to_string(),
        Target::Region(name) => match &current {
            Some(text) => replace_region(text, name, content).with_context(|| path.to_string())?,
            None => bail!("{path}: missing (it holds the generated region `{name}`)"),
        },
    };
    if current.as_deref() == Some(wanted.as_str()) {
        return Ok(false);
    }
    if !check {
        std::fs::write(&full, wanted).with_context(|| format!("writing {path}"))?;
        eprintln!("wrote {path}");
    }
    Ok(true)
}

/// Replaces the text between the markers of region `name`, keeping the markers.
pub fn replace_region(text: &str, name: &str, content: &str) -> Result<String> {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->");
    let end = format!("<!-- END GENERATED: {name} -->");
    let Some(b) = text.find(&begin) else {
        bail!("marker `{begin}` not found");
    };
    let after_begin = b + begin.len();
    let Some(e) = text[after_begin..].find(&end) else {
        bail!("marker `{end}` not found after `{begin}`");
    };
    let e = after_begin + e;
    let mut body = content.to_string();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Ok(format!("{}\n{}{}", &text[..after_begin], body, &text[e..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_region() {
        let text = "a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nb\n";
        let out = replace_region(text, "x", "new").unwrap();
        assert_eq!(
            out,
            "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nb\n"
        );
        assert_eq!(replace_region(&out, "x", "new").unwrap(), out);
        assert!(replace_region("nothing", "x", "new").is_err());
    }

    #[test]
    fn writes_missing_and_stale_files_and_leaves_fresh_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        assert!(refresh(root, "a.txt", &Target::WholeFile, "x\n", true).unwrap());
        assert!(!root.join("a.txt").exists(), "--check never writes");
        assert!(refresh(root, "a.txt", &Target::WholeFile, "x\n", false).unwrap());
        assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "x\n");
        assert!(!refresh(root, "a.txt", &Target::WholeFile, "x\n", false).unwrap());
        let err = refresh(root, "b.md", &Target::Region("r"), "x", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.md: missing (it holds the generated region `r`)"
        );
    }

    /// Regression: a read error used to count as an empty file, so `gen` overwrote it.
    #[test]
    fn an_unreadable_file_is_an_error_and_stays_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = b"not utf-8: \xff\xfe\n";
        std::fs::write(tmp.path().join("a.txt"), bytes).unwrap();
        for check in [true, false] {
            let err = refresh(tmp.path(), "a.txt", &Target::WholeFile, "x\n", check).unwrap_err();
            assert!(
                err.to_string().starts_with("a.txt: cannot read: "),
                "{err:#}"
            );
        }
        assert_eq!(std::fs::read(tmp.path().join("a.txt")).unwrap(), bytes);
    }
}
