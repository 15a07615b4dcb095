//! Error texts as gopher-lua words them.

/// The message of an mlua error without mlua's wrapping or Lua tracebacks (the Go hosts strip
/// them).
pub fn text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(m) => gopher_wording(match m.rfind("\nstack traceback:\n") {
            Some(i) => &m[..i],
            None => m,
        }),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(_) => "not enough memory".into(),
        mlua::Error::CallbackError { cause, .. } => text(cause),
        mlua::Error::WithContext { cause, .. } => text(cause),
        other => other.to_string(),
    }
}

/// Rewords the LuaJIT run-time errors that no metamethod intercepts (calling or comparing
/// tables) the way gopher-lua words them.
fn gopher_wording(msg: &str) -> String {
    let (pos, body) = match msg.strip_prefix("<string>:") {
        Some(rest) => match rest.split_once(": ") {
            Some((line, body)) if line.bytes().all(|b| b.is_ascii_digit()) => {
                (format!("<string>:{line}: "), body)
            }
            _ => (String::new(), msg),
        },
        None => (String::new(), msg),
    };
    let body = if body.starts_with("attempt to call ") {
        "attempt to call a non-function object".to_string()
    } else if let Some(t) = body
        .strip_prefix("attempt to compare two ")
        .and_then(|r| r.strip_suffix(" values"))
    {
        format!("attempt to compare {t} with {t}")
    } else {
        return msg.to_string();
    };
    format!("{pos}{body}")
}

#[cfg(test)]
mod tests {
    use super::gopher_wording;

    #[test]
    fn rewords_luajit_texts() {
        assert_eq!(
            gopher_wording("<string>:3: attempt to call a table value"),
            "<string>:3: attempt to call a non-function object"
        );
        assert_eq!(
            gopher_wording("<string>:1: attempt to compare two table values"),
            "<string>:1: attempt to compare table with table"
        );
        assert_eq!(gopher_wording("<string>:1: boom"), "<string>:1: boom");
    }
}
