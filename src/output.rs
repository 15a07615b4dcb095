//! Command output on stdout. A reader that stops early (`... | head`) is success: the rest of
//! the output is simply not wanted, so there is no error text and no panic (Rust ignores
//! SIGPIPE, so a closed pipe shows up as `BrokenPipe` here).

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};

/// Writes `text` to stdout in one go and flushes it; a closed pipe is `Ok`.
pub fn stdout(text: &str) -> Result<()> {
    write_to(&mut std::io::stdout().lock(), text).context("cannot write to stdout")
}

fn write_to(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed(ErrorKind);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_success_other_errors_are_not() {
        assert!(write_to(&mut Closed(ErrorKind::BrokenPipe), "x").is_ok());
        assert!(write_to(&mut Closed(ErrorKind::PermissionDenied), "x").is_err());
        let mut buf = Vec::new();
        write_to(&mut buf, "abc").unwrap();
        assert_eq!(buf, b"abc");
    }
}
