//! Small helpers for user-facing diagnostics.

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
}
