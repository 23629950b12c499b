//! The JVM's `@argfile` format (JDK 9+ launcher), for `jvm-secret.args`:
//! the superuser digest goes to the JVM through a 0600 file named on its
//! command line, never through `java.env` (world-readable) or the command
//! line itself (`ps`). The launcher splits the file at white space, joins
//! what is inside `"` or `'` quotes (where `\` escapes the next character),
//! skips `#` comments, and continues a line that ends in `\`; pasting a
//! flag into the file unchecked could therefore split it or add flags
//! (issue 8). The encoder writes each argument on its own line, plain when
//! it holds only characters the launcher gives no meaning to, else in
//! double quotes with `\` and `"` escaped; it refuses control characters
//! and anything outside printable ASCII (the launcher reads the file in the
//! platform's encoding).

/// Whether `s` is one argument as it stands.
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('#')
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_'
                        | b'.'
                        | b','
                        | b'/'
                        | b'='
                        | b':'
                        | b'+'
                        | b'@'
                        | b'%'
                        | b'$'
                        | b'#'
                )
        })
}

/// The file's text: one argument per line.
///
/// Fails with why an argument cannot be written (a control character or a
/// character outside printable ASCII, at its position).
pub fn render(args: &[String]) -> Result<String, String> {
    let mut out = String::new();
    for a in args {
        if let Some((at, c)) = a
            .chars()
            .enumerate()
            .find(|(_, c)| !(' '..='~').contains(c))
        {
            return Err(format!(
                "holds the character U+{:04X} at position {at}, which a JVM argument file cannot carry",
                c as u32
            ));
        }
        if is_plain(a) {
            out.push_str(a);
        } else {
            out.push('"');
            for c in a.chars() {
                if matches!(c, '\\' | '"') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The launcher's reading of an argument file (args.c), for the
    /// characters the encoder writes.
    fn launcher_split(text: &str) -> Vec<String> {
        let mut args = Vec::new();
        let mut cur: Option<String> = None;
        let mut quote: Option<char> = None;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), '\\') => cur.get_or_insert_with(String::new).extend(chars.next()),
                (Some(_), c) => cur.get_or_insert_with(String::new).push(c),
                (None, '"' | '\'') => {
                    quote = Some(c);
                    cur.get_or_insert_with(String::new);
                }
                (None, '#') if cur.is_none() => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                (None, c) if c.is_whitespace() => args.extend(cur.take()),
                (None, c) => cur.get_or_insert_with(String::new).push(c),
            }
        }
        args.extend(cur);
        args
    }

    #[test]
    fn the_digest_flag_is_written_plain() {
        let flag = "-Dzookeeper.DigestAuthenticationProvider.superDigest=super:Ab+/cd=".to_string();
        assert_eq!(
            render(std::slice::from_ref(&flag)).unwrap(),
            format!("{flag}\n")
        );
    }

    #[test]
    fn every_argument_reads_back_as_itself() {
        let args: Vec<String> = [
            "-Dx=a b",
            "#not-a-comment",
            "-Dq=\"quoted\"",
            "back\\slash\\",
            "'single'",
            "-Da=@other.args",
            " lead",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let text = render(&args).unwrap();
        assert_eq!(launcher_split(&text), args);
    }

    #[test]
    fn line_breaks_and_non_ascii_are_refused() {
        for bad in ["-Dx=a\n-Dy=b", "-Dx=\u{e9}", "-Dx=\t"] {
            let e = render(&[bad.to_string()]).unwrap_err();
            assert!(e.contains("cannot carry"), "{e}");
        }
    }
}
