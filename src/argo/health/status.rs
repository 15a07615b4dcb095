//! Health codes and the conversion of a script's encoded result into a `HealthStatus`.

use serde_json::Value;

use super::HealthStatus;

/// Health codes Argo CD accepts (exact case).
pub const VALID_STATUSES: [&str; 6] = [
    "Healthy",
    "Progressing",
    "Suspended",
    "Degraded",
    "Missing",
    "Unknown",
];

pub const INVALID_STATUS: &str = "Lua returned an invalid health status";

/// A health code, ordered from best to worst as gitops-engine's `health.IsWorse` orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HealthCode {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl HealthCode {
    /// The code of a status text; an empty or unknown text is `Unknown`.
    pub fn parse(status: &str) -> HealthCode {
        match status {
            "Healthy" => HealthCode::Healthy,
            "Suspended" => HealthCode::Suspended,
            "Progressing" => HealthCode::Progressing,
            "Missing" => HealthCode::Missing,
            "Degraded" => HealthCode::Degraded,
            _ => HealthCode::Unknown,
        }
    }

    /// Our exit status for it: 0 Healthy, 1 on the way (Progressing, Suspended), 2 otherwise.
    pub fn exit_status(self) -> u8 {
        match self {
            HealthCode::Healthy => 0,
            HealthCode::Suspended | HealthCode::Progressing => 1,
            HealthCode::Missing | HealthCode::Degraded | HealthCode::Unknown => 2,
        }
    }
}

/// Go `json.Unmarshal` of the encoded table into `HealthStatus{Status, Message}`: keys match
/// case-insensitively (the last match wins, in the encoder's sorted key order), null leaves a
/// field empty, any other non-string value (or a top-level array) is an `UnmarshalTypeError`,
/// which Argo CD turns into an empty status. A status outside the valid codes is `Unknown`.
pub fn health_from_json(json: &Value) -> HealthStatus {
    let Value::Object(map) = json else {
        return HealthStatus::default();
    };
    let mut hs = HealthStatus::default();
    for (key, value) in map {
        let field = if go_fold_eq(key, "status") {
            &mut hs.status
        } else if go_fold_eq(key, "message") {
            &mut hs.message
        } else {
            continue;
        };
        match value {
            Value::String(s) => *field = s.clone(),
            Value::Null => {}
            _ => return HealthStatus::default(),
        }
    }
    if !VALID_STATUSES.contains(&hs.status.as_str()) {
        return HealthStatus {
            status: "Unknown".into(),
            message: INVALID_STATUS.into(),
        };
    }
    hs
}

/// Go `encoding/json` field-name folding, restricted to what can match an ASCII field name:
/// ASCII case, plus U+017F (long s) ~ `s` and U+212A (Kelvin sign) ~ `k`.
fn go_fold_eq(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17F}' => 'S',
        '\u{212A}' => 'K',
        c => c.to_ascii_uppercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_conversion() {
        let hs = health_from_json(&json!({"STATUS": "Healthy", "Message": "ok", "x": 1}));
        assert_eq!(hs.status, "Healthy");
        assert_eq!(hs.message, "ok");
        assert_eq!(health_from_json(&json!([])), HealthStatus::default());
        assert_eq!(
            health_from_json(&json!({"status": "Healthy", "message": 3})),
            HealthStatus::default()
        );
        assert_eq!(
            health_from_json(&json!({"status": "healthy"})).message,
            INVALID_STATUS
        );
        assert_eq!(
            health_from_json(&json!({"\u{17F}tatus": "Degraded"})).status,
            "Degraded"
        );
    }

    #[test]
    fn codes_order_and_exit_statuses() {
        let order = [
            "Healthy",
            "Suspended",
            "Progressing",
            "Missing",
            "Degraded",
            "Unknown",
        ];
        let codes: Vec<HealthCode> = order.iter().map(|s| HealthCode::parse(s)).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        let exits: Vec<u8> = codes.iter().map(|c| c.exit_status()).collect();
        assert_eq!(exits, [0, 1, 1, 2, 2, 2]);
        assert_eq!(HealthCode::parse(""), HealthCode::Unknown);
    }
}
