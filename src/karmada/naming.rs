//! Policy names (DNS-1123 labels derived from the app name) and name checks.

pub use crate::kube::{MAX_LABEL, is_dns1123_label};

/// Karmada's affinityName: a qualified name part (1-32 chars; alphanumerics, '-', '_', '.';
/// alphanumeric at both ends).
pub fn is_affinity_name(s: &str) -> bool {
    s.len() <= 32 && is_name_part(s)
}

fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A Kubernetes label key: optional DNS subdomain prefix, '/', name part.
pub fn is_label_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        None => is_name_part(s),
        Some((prefix, name)) => {
            is_name_part(name)
                && !prefix.is_empty()
                && prefix.len() <= 253
                && prefix.split('.').all(is_dns1123_label)
        }
    }
}

/// A Kubernetes label value: empty, or at most 63 alphanumerics, '-', '_', '.', alphanumeric at
/// both ends.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_name_part(s)
}

/// FNV-1a: a small stable hash (the same on every platform and release).
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lower-cases and replaces characters a DNS-1123 label cannot hold by '-' (no runs, no ends).
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn truncate(s: &str, max: usize) -> String {
    let mut t: String = s.chars().take(max).collect();
    while t.ends_with('-') {
        t.pop();
    }
    t
}

/// A DNS-1123 label from `parts` joined by '-': lower-cased, other characters replaced by '-',
/// and, when anything had to change or it is too long, suffixed with a hash of the original.
/// Shortening takes from the first part (the app name) before the others, so the tail that
/// tells policies apart (kind, object name) stays readable.
pub fn label(parts: &[&str]) -> String {
    let raw = parts.join("-");
    if is_dns1123_label(&raw) {
        return raw;
    }
    // Sanitising may have merged distinct inputs: the hash of the original keeps them apart.
    let hash = format!("{:08x}", stable_hash(&raw) as u32);
    let room = MAX_LABEL - hash.len() - 1;
    let (first, rest) = parts.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
    let first = sanitize(first);
    let rest = sanitize(&rest.join("-"));
    let head = if rest.is_empty() {
        truncate(&first, room)
    } else {
        let rest = truncate(
            &rest,
            room.saturating_sub(first.len().min(16) + 1).max(room / 2),
        );
        let first_room = room.saturating_sub(rest.len() + 1);
        let first = truncate(&first, first_room);
        [first, rest]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    if head.is_empty() {
        hash
    } else {
        format!("{head}-{hash}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_names_stay_readable() {
        assert_eq!(label(&["guestbook"]), "guestbook");
        assert_eq!(
            label(&["guestbook", "deployment", "web"]),
            "guestbook-deployment-web"
        );
    }

    #[test]
    fn other_names_are_sanitised_and_hashed() {
        let a = label(&["Guest_Book"]);
        assert!(is_dns1123_label(&a), "{a}");
        assert!(a.starts_with("guest-book-"), "{a}");
        // Sanitised forms that would collide stay distinct.
        assert_ne!(label(&["a.b"]), label(&["a_b"]));
        let long = "x".repeat(100);
        let l = label(&[&long]);
        assert_eq!(l.len(), MAX_LABEL);
        assert!(is_dns1123_label(&l));
        assert_ne!(l, label(&[&"x".repeat(101)]));
        assert!(is_dns1123_label(&label(&["---"])));
        // The app name gives way first; the object part stays readable.
        let op = label(&[&"app".repeat(30), "deployment", "web"]);
        assert_eq!(op.len(), MAX_LABEL);
        assert!(op.contains("-deployment-web-"), "{op}");
        assert!(is_dns1123_label(&op));
        let long_obj = label(&["shop", "configmap", &"c".repeat(100)]);
        assert!(long_obj.starts_with("shop-configmap-ccc"), "{long_obj}");
        assert!(is_dns1123_label(&long_obj));
        assert_eq!(label(&["é"]), label(&["é"]));
    }

    #[test]
    fn name_checks() {
        assert!(is_dns1123_label("member-1"));
        assert!(!is_dns1123_label("Member1"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_affinity_name("primary_1.a"));
        assert!(!is_affinity_name(&"a".repeat(33)));
        assert!(!is_affinity_name("-a"));
        assert!(is_label_key("example.com/state"));
        assert!(is_label_key("state"));
        assert!(!is_label_key("/state"));
        assert!(!is_label_key("Ex_ample.com/state"));
        assert!(is_label_value(""));
        assert!(is_label_value("v1.2_x"));
        assert!(!is_label_value("has space"));
        assert!(!is_label_value(&"v".repeat(64)));
    }
}
