//! The repository copy a plugin command runs in: what repo-server tars and cmp-server untars.
//! Fresh per request, modes reset to 0644/0755 (unless `preserveFileMode`), `.git` included,
//! in-repo symlinks only.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

/// repo-server refuses repositories with absolute symlinks or symlinks whose target leaves the
/// root (`CheckOutOfBoundsSymlinks`, `.git` skipped).
pub fn check_out_of_bounds_symlinks(root: &Path) -> Result<()> {
    fn walk(root: &Path, dir: &Path) -> Result<()> {
        for entry in sorted_entries(dir)? {
            let path = entry;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if rel == Path::new(".git") {
                continue;
            }
            let meta = fs::symlink_metadata(&path)
                .with_context(|| format!("{}: cannot stat", path.display()))?;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path)
                    .with_context(|| format!("failed to read link {}", path.display()))?;
                if escapes(root, path.parent().unwrap_or(root), &target) {
                    bail!(
                        "repository contains out-of-bounds symlinks. file: {}",
                        rel.display()
                    );
                }
            } else if meta.is_dir() {
                walk(root, &path)?;
            }
        }
        Ok(())
    }
    walk(root, root)
}

/// Walks the link target part by part from the link's directory; leaving `root` at any step (or
/// an absolute target) is out of bounds.
fn escapes(root: &Path, link_dir: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return true;
    }
    let Ok(rel_dir) = link_dir.strip_prefix(root) else {
        return true;
    };
    let mut depth: Vec<Component> = rel_dir.components().collect();
    for c in target.components() {
        match c {
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return true;
                }
            }
            Component::CurDir => {}
            other => depth.push(other),
        }
    }
    false
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
        out.push(
            e.with_context(|| format!("{}: cannot list", dir.display()))?
                .path(),
        );
    }
    out.sort();
    Ok(out)
}

/// `util/app/path.Path`: the app directory inside the root, with Argo CD's messages.
pub fn app_path(root: &Path, rel: &str) -> Result<PathBuf> {
    if Path::new(rel).is_absolute() {
        bail!("{rel}: app path is absolute");
    }
    let joined = lexical_join(root, rel);
    if !joined.starts_with(root) {
        bail!("{rel}: app path outside root");
    }
    match fs::metadata(&joined) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{rel}: app path does not exist")
        }
        Err(e) => bail!("{rel}: {e}"),
        Ok(m) if !m.is_dir() => bail!("{rel}: app path is not a directory"),
        Ok(_) => Ok(joined),
    }
}

/// `filepath.Join` + `Clean` without touching the file system.
pub fn lexical_join(root: &Path, rel: &str) -> PathBuf {
    let mut out = root.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            _ => {}
        }
    }
    out
}

/// A fresh copy of the repository, removed on drop.
pub struct Workspace {
    dir: TempDir,
}

impl Workspace {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `repo` into a new directory under `base` as cmp-server's untar would lay it out.
    pub fn create(repo: &Path, base: &Path, preserve_file_mode: bool) -> Result<Workspace> {
        let dir = tempfile::Builder::new()
            .prefix("_cmp_server-")
            .tempdir_in(base)
            .with_context(|| format!("error creating temp dir in {}", base.display()))?;
        copy_tree(repo, dir.path(), dir.path(), preserve_file_mode)?;
        Ok(Workspace { dir })
    }
}

fn copy_tree(src: &Path, dst: &Path, dst_root: &Path, preserve: bool) -> Result<()> {
    for path in sorted_entries(src)? {
        let meta = fs::symlink_metadata(&path)
            .with_context(|| format!("{}: cannot stat", path.display()))?;
        let target = dst.join(path.file_name().expect("entries have names"));
        let ft = meta.file_type();
        if ft.is_symlink() {
            let link = fs::read_link(&path)?;
            if escapes(dst_root, dst, &link) {
                bail!(
                    "illegal filepath in symlink: {}",
                    lexical_join(dst, &link.to_string_lossy()).display()
                );
            }
            std::os::unix::fs::symlink(&link, &target)
                .with_context(|| format!("error creating symlink {}", target.display()))?;
        } else if ft.is_dir() {
            fs::create_dir(&target)
                .with_context(|| format!("error creating nested folders {}", target.display()))?;
            copy_tree(&path, &target, dst_root, preserve)?;
            let mode = if preserve { meta.mode_bits() } else { 0o755 };
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
        } else if ft.is_file() {
            fs::copy(&path, &target)
                .with_context(|| format!("error creating file {:?}", target.display()))?;
            let mode = if preserve { meta.mode_bits() } else { 0o644 };
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
        }
        // Sockets, fifos and devices are not archived.
    }
    Ok(())
}

trait ModeBits {
    fn mode_bits(&self) -> u32;
}

impl ModeBits for fs::Metadata {
    fn mode_bits(&self) -> u32 {
        self.permissions().mode() & 0o7777
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn copies_with_reset_modes_and_in_repo_symlinks() {
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        fs::create_dir_all(r.join("app/sub")).unwrap();
        fs::write(r.join("app/run.sh"), "x").unwrap();
        fs::set_permissions(r.join("app/run.sh"), fs::Permissions::from_mode(0o700)).unwrap();
        symlink("../run.sh", r.join("app/sub/link")).unwrap();
        check_out_of_bounds_symlinks(r).unwrap();
        let base = tempfile::tempdir().unwrap();
        let ws = Workspace::create(r, base.path(), false).unwrap();
        let copied = ws.root().join("app/run.sh");
        assert_eq!(
            fs::metadata(&copied).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(
            fs::metadata(ws.root().join("app/sub"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
        assert_eq!(
            fs::read_to_string(ws.root().join("app/sub/link")).unwrap(),
            "x"
        );
        let ws = Workspace::create(r, base.path(), true).unwrap();
        assert_eq!(
            fs::metadata(ws.root().join("app/run.sh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }

    #[test]
    fn rejects_out_of_bounds_symlinks() {
        let repo = tempfile::tempdir().unwrap();
        fs::create_dir(repo.path().join("a")).unwrap();
        symlink("../../etc/passwd", repo.path().join("a/evil")).unwrap();
        let err = check_out_of_bounds_symlinks(repo.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "repository contains out-of-bounds symlinks. file: a/evil"
        );
        let repo = tempfile::tempdir().unwrap();
        symlink("/etc/passwd", repo.path().join("abs")).unwrap();
        assert!(check_out_of_bounds_symlinks(repo.path()).is_err());
    }

    #[test]
    fn app_path_errors_match_argo() {
        let repo = tempfile::tempdir().unwrap();
        fs::write(repo.path().join("f"), "").unwrap();
        let e = |p: &str| app_path(repo.path(), p).unwrap_err().to_string();
        assert_eq!(e("missing"), "missing: app path does not exist");
        assert_eq!(e("f"), "f: app path is not a directory");
        assert_eq!(e("/abs"), "/abs: app path is absolute");
        assert_eq!(e("../x"), "../x: app path outside root");
        assert_eq!(app_path(repo.path(), "").unwrap(), repo.path());
    }
}
