//! Replica division: Karmada's Webster (Sainte-Laguë) method with its UID-parity tie-break
//! (`pkg/util/helper/webstermethod.go`, `pkg/util/helper/binding.go`), static weights
//! (`pkg/scheduler/core/division_algorithm.go` `getStaticWeightInfoList`,
//! `pkg/scheduler/core/assignment.go` `assignByStaticWeightStrategy`).

use std::cmp::Ordering;

/// How exact ties between clusters are broken (`tieBreakerByUID`): by fewer seats, then by name,
/// ascending when the template's UID is empty or hashes (FNV-32a) to an even number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    Ascending,
    Descending,
}

impl TieBreak {
    pub fn for_uid(uid: &str) -> TieBreak {
        if uid.is_empty() || fnv32a(uid.as_bytes()) & 1 == 0 {
            TieBreak::Ascending
        } else {
            TieBreak::Descending
        }
    }
}

fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[derive(Debug, Clone)]
struct Party<'a> {
    name: &'a str,
    votes: i64,
    seats: i32,
}

/// `WebsterPriorityQueue.Less`: does `a` get the next seat before `b`?
fn before(a: &Party<'_>, b: &Party<'_>, tie: TieBreak) -> Ordering {
    // Go compares float64(votes) / float64(2*seats+1); so do we, to tie exactly where Go ties.
    let pa = a.votes as f64 / f64::from(2 * a.seats + 1);
    let pb = b.votes as f64 / f64::from(2 * b.seats + 1);
    if pa == pb {
        if a.seats != b.seats {
            return a.seats.cmp(&b.seats);
        }
        return match tie {
            TieBreak::Ascending => a.name.cmp(b.name),
            TieBreak::Descending => b.name.cmp(a.name),
        };
    }
    pb.partial_cmp(&pa).unwrap_or(Ordering::Equal)
}

/// `AllocateWebsterSeats` with no initial assignment: `seats` handed out one at a time to the
/// party first in Webster order. Returns (name, seats) sorted by name; parties may get 0.
pub fn webster(seats: i32, votes: &[(&str, i64)], tie: TieBreak) -> Vec<(String, i32)> {
    webster_from(seats, votes, &[], tie)
}

/// `AllocateWebsterSeats` on top of seats already held (`initial`; parties only there have no
/// votes).
pub fn webster_from(
    seats: i32,
    votes: &[(&str, i64)],
    initial: &[(&str, i32)],
    tie: TieBreak,
) -> Vec<(String, i32)> {
    let mut parties: Vec<Party<'_>> = initial
        .iter()
        .map(|(name, seats)| Party {
            name,
            votes: 0,
            seats: *seats,
        })
        .collect();
    for (name, v) in votes {
        match parties.iter_mut().find(|p| p.name == *name) {
            Some(p) => p.votes = *v,
            None => parties.push(Party {
                name,
                votes: *v,
                seats: 0,
            }),
        }
    }
    if parties.is_empty() {
        return Vec::new();
    }
    // The ordering is total (names are unique), so a linear scan picks what Go's heap pops.
    for _ in 0..seats.max(0) {
        let mut best = 0;
        for i in 1..parties.len() {
            if before(&parties[i], &parties[best], tie) == Ordering::Less {
                best = i;
            }
        }
        parties[best].seats += 1;
    }
    let mut out: Vec<(String, i32)> = parties
        .into_iter()
        .map(|p| (p.name.to_string(), p.seats))
        .collect();
    out.sort();
    out
}

/// `getStaticWeightInfoList` + `assignByStaticWeightStrategy`: each candidate's weight is the
/// highest weight of the rules matching it; clusters without weight get nothing; when no weight
/// matches any candidate, all weigh 1.
pub fn static_weights(
    replicas: i32,
    candidates: &[&str],
    weight_of: impl Fn(&str) -> i64,
    tie: TieBreak,
) -> Vec<(String, i32)> {
    let mut votes: Vec<(&str, i64)> = candidates
        .iter()
        .map(|c| (*c, weight_of(c)))
        .filter(|(_, w)| *w > 0)
        .collect();
    if votes.iter().map(|(_, w)| w).sum::<i64>() == 0 {
        votes = candidates.iter().map(|c| (*c, 1)).collect();
    }
    webster(replicas, &votes, tie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webster_examples() {
        let r = webster(10, &[("a", 2), ("b", 1)], TieBreak::Ascending);
        assert_eq!(r, [("a".to_string(), 7), ("b".to_string(), 3)]);
        let asc = webster(5, &[("a", 1), ("b", 1)], TieBreak::Ascending);
        let desc = webster(5, &[("a", 1), ("b", 1)], TieBreak::Descending);
        assert_eq!(asc, [("a".to_string(), 3), ("b".to_string(), 2)]);
        assert_eq!(desc, [("a".to_string(), 2), ("b".to_string(), 3)]);
    }

    #[test]
    fn uid_parity() {
        assert_eq!(TieBreak::for_uid(""), TieBreak::Ascending);
        // FNV-32a("a") = 0xe40c292c (even), ("b") = 0xe70c2de5 (odd).
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(TieBreak::for_uid("a"), TieBreak::Ascending);
        assert_eq!(TieBreak::for_uid("b"), TieBreak::Descending);
    }
}
