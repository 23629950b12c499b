//! POSIX shell quoting, for `java.env`: zkServer.sh and zkCli.sh source it
//! through zkEnv.sh (upstream's layout reads it from zkpod's conf dir, so
//! a `kubectl exec zk-0 -- zkCli.sh` runs it). A JVM flag pasted into
//! `SERVER_JVMFLAGS="..."` ran `$(...)` in it (issue 8); single quotes
//! make every character literal.

/// Whether `s` is one shell word as it stands (nothing to quote).
pub fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_' | b'.' | b',' | b'/' | b'=' | b':' | b'+' | b'@' | b'%'
                )
        })
}

/// `s` as one shell word: single-quoted, each `'` written as `'\''`.
/// Inside single quotes the shell expands nothing (`$`, `` ` ``, `\`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// `s` as one shell word, quoted only when it needs to be (for a fix an
/// operator types: `--data_dir=/v/data`, `--set='a=b c'`).
pub fn word(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("-Dx=$(id>/tmp/PWN)"), "'-Dx=$(id>/tmp/PWN)'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(word("/v/data"), "/v/data");
        assert_eq!(word("a b"), "'a b'");
        assert!(!is_plain("$HOME"));
    }
}
