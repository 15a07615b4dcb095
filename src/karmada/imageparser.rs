//! Container image references as Karmada's image overrider sees them: `pkg/util/imageparser/parser.go`
//! on top of `github.com/distribution/reference` v0.6.0 (`Parse`, `reference.go`, `regexp.go`) and
//! `github.com/opencontainers/go-digest` (`digest.go`, `algorithm.go`).
//!
//! Karmada keeps a tag *or* a digest: a reference with both loses its digest when overridden.

use std::fmt;

/// Longest repository name `reference.Parse` accepts.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// The parts of an image, as Karmada's `imageparser.Components`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Components {
    pub hostname: String,
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

impl Components {
    pub fn tag_or_digest(&self) -> &str {
        if self.tag.is_empty() {
            &self.digest
        } else {
            &self.tag
        }
    }

    /// `SetTagOrDigest`: a valid tag replaces tag and digest, a valid digest likewise; anything
    /// else changes nothing (Karmada does not report it).
    pub fn set_tag_or_digest(&mut self, input: &str) {
        if is_tag(input) {
            self.tag = input.to_string();
            self.digest.clear();
        } else if is_digest_syntax(input) {
            self.digest = input.to_string();
            self.tag.clear();
        }
    }

    pub fn remove_tag_or_digest(&mut self) {
        if !self.tag.is_empty() {
            self.tag.clear();
        } else {
            self.digest.clear();
        }
    }

    fn full_repository(&self) -> String {
        if self.hostname.is_empty() {
            self.repository.clone()
        } else {
            format!("{}/{}", self.hostname, self.repository)
        }
    }
}

impl fmt::Display for Components {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let repo = self.full_repository();
        if !self.tag.is_empty() {
            write!(f, "{repo}:{}", self.tag)
        } else if !self.digest.is_empty() {
            write!(f, "{repo}@{}", self.digest)
        } else {
            f.write_str(&repo)
        }
    }
}

/// `imageparser.Parse`: the error text is distribution/reference's.
pub fn parse(image: &str) -> Result<Components, String> {
    let (name, tag, digest) = match split(image) {
        Some(parts) => parts,
        None if image.is_empty() => {
            return Err("repository name must have at least one component".into());
        }
        None if split(&image.to_lowercase()).is_some() => {
            return Err("repository name must be lowercase".into());
        }
        None => return Err("invalid reference format".into()),
    };
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(format!(
            "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        ));
    }
    if let Some(d) = digest {
        validate_digest(d)?;
    }
    let (hostname, repository) = split_hostname(name);
    let mut c = Components {
        hostname: hostname.to_string(),
        repository: repository.to_string(),
        ..Components::default()
    };
    // A reference with a tag is `Tagged`; Karmada then ignores its digest.
    match (tag, digest) {
        (Some(t), _) => c.tag = t.to_string(),
        (None, Some(d)) => c.digest = d.to_string(),
        (None, None) => {}
    }
    Ok(c)
}

/// `SplitHostname`: the first path component is a registry when it has a `.` or `:` or is
/// `localhost`.
fn split_hostname(name: &str) -> (&str, &str) {
    match name.find('/') {
        Some(i) if name[..i].contains(['.', ':']) || &name[..i] == "localhost" => {
            (&name[..i], &name[i + 1..])
        }
        _ => ("", name),
    }
}

/// `ReferenceRegexp`: `name [":" tag] ["@" digest]`, anchored.
fn split(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest_syntax(d)) {
        return None;
    }
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        // `host:5000` without a path: the port-looking part can only be a tag.
        return None;
    }
    is_name(name).then_some((name, tag, digest))
}

/// `[domain "/"] path`.
fn is_name(name: &str) -> bool {
    if is_path(name) {
        return true;
    }
    match name.split_once('/') {
        Some((domain, path)) => is_domain(domain) && is_path(path),
        None => false,
    }
}

/// Path components joined by `/`; each `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn is_path(path: &str) -> bool {
    path.split('/').all(is_path_component)
}

fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host [":" port]`; host is a DNS-like name or a bracketed IPv6 address.
fn is_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let ip = &rest[..end];
        if ip.is_empty() || !ip.bytes().all(|x| x.is_ascii_hexdigit() || x == b':') {
            return false;
        }
        ("ipv6", &rest[end + 1..])
    } else {
        match domain.find(':') {
            Some(i) => (&domain[..i], &domain[i..]),
            None => (domain, ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|x| x.is_ascii_digit()));
    port_ok && host.split('.').all(is_domain_component)
}

fn is_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|x| word(*x) || *x == b'.' || *x == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`.
fn is_digest_syntax(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|c| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|x| x.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate` for the algorithms Karmada registers (sha256, sha384, sha512).
fn validate_digest(d: &str) -> Result<(), String> {
    let (alg, hex) = d.split_once(':').unwrap_or((d, ""));
    let size = match alg {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => return Err("unsupported digest algorithm".into()),
    };
    if hex.len() != size * 2 {
        return Err("invalid checksum digest length".into());
    }
    if !hex
        .bytes()
        .all(|x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x))
    {
        return Err("invalid checksum digest format".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c";

    #[test]
    fn parses_like_karmada() {
        let c = parse("fictional.registry.example:10443/subpath/imagename:v1.0.0").unwrap();
        assert_eq!(c.hostname, "fictional.registry.example:10443");
        assert_eq!(c.repository, "subpath/imagename");
        assert_eq!(c.tag, "v1.0.0");
        let c = parse("subpath/imagename:v1").unwrap();
        assert_eq!(
            (c.hostname.as_str(), c.repository.as_str()),
            ("", "subpath/imagename")
        );
        let c = parse(&format!("localhost/x@{SHA}")).unwrap();
        assert_eq!((c.hostname.as_str(), c.digest.as_str()), ("localhost", SHA));
        assert_eq!(parse("host:5000").unwrap().tag, "5000");
    }

    #[test]
    fn tag_and_digest_keeps_only_the_tag() {
        let c = parse(&format!("nginx:1.25@{SHA}")).unwrap();
        assert_eq!(c.to_string(), "nginx:1.25");
    }

    #[test]
    fn errors_are_distribution_reference_errors() {
        assert_eq!(
            parse("").unwrap_err(),
            "repository name must have at least one component"
        );
        assert_eq!(
            parse("Nginx").unwrap_err(),
            "repository name must be lowercase"
        );
        assert_eq!(parse("nginx:").unwrap_err(), "invalid reference format");
        assert_eq!(parse("a//b").unwrap_err(), "invalid reference format");
        assert_eq!(
            parse("nginx@md5:0123456789abcdef0123456789abcdef").unwrap_err(),
            "unsupported digest algorithm"
        );
        assert_eq!(
            parse("nginx@sha256:0123456789abcdef0123456789abcdef").unwrap_err(),
            "invalid checksum digest length"
        );
        let long = format!("{}:1", "a".repeat(256));
        assert!(parse(&long).unwrap_err().contains("255"));
    }

    #[test]
    fn set_tag_or_digest_ignores_invalid_values() {
        let mut c = parse("nginx:1").unwrap();
        c.set_tag_or_digest("not a tag");
        assert_eq!(c.to_string(), "nginx:1");
        c.set_tag_or_digest(SHA);
        assert_eq!(c.to_string(), format!("nginx@{SHA}"));
        c.remove_tag_or_digest();
        assert_eq!(c.to_string(), "nginx");
    }
}
