//! Java Properties files, as `java.util.Properties` reads them: the encoder
//! that renders every Properties file zkpod writes (zoo.cfg, java.security,
//! log4j.properties), and a faithful parser of the grammar (reading zoo.cfg
//! back, parsing `--set` entries, and the fuzz targets' round trips).
//!
//! ZooKeeper reads zoo.cfg with `Properties.load(InputStream)`: ISO 8859-1
//! bytes, `\` escapes (`\t \n \r \f \uXXXX`, any other `\x` is `x`), a line
//! ending in an odd number of backslashes continued on the next, a key
//! ended by the first unescaped `=`, `:` or white space, `#` and `!`
//! comment lines. Pasting a value into `key=value` is therefore an
//! injection: a line break adds keys, a trailing backslash swallows the next
//! line, a `:` in a `--set` key moves the separator (issue 8). The encoder
//! escapes what the grammar gives a meaning to, writes everything outside
//! printable ASCII as `\uXXXX` (so the Latin-1 read gives back the exact
//! text), and refuses control characters outright: no ZooKeeper setting
//! has one, and an escaped line break in a value is almost surely an attack
//! or a mistake.
//!
//! The escaping is minimal where the grammar allows: in a value only `\`,
//! leading white space and non-ASCII need it (a `=` or `:` after the
//! separator is literal), so the files read as the tutorial's did.

use std::fmt;

/// A key or value the encoder refuses: it holds a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The offending character.
    pub ch: char,
    /// Its position (in characters).
    pub at: usize,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "holds the control character U+{:04X} at position {}",
            self.ch as u32, self.at
        )
    }
}

impl std::error::Error for Refused {}

/// The first control character of `s`, if any (C0, DEL, C1, and the
/// Unicode line and paragraph separators).
pub fn first_control(s: &str) -> Option<Refused> {
    s.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
        .map(|(at, ch)| Refused { ch, at })
}

fn push_unicode(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for u in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{u:04X}"));
    }
}

/// Escapes a key: `\`, white space, `=` and `:` anywhere, `#` and `!` at
/// its start, everything outside printable ASCII as `\uXXXX`.
///
/// Fails when the key holds a control character.
pub fn escape_key(key: &str) -> Result<String, Refused> {
    if let Some(r) = first_control(key) {
        return Err(r);
    }
    let mut out = String::with_capacity(key.len());
    for (i, c) in key.chars().enumerate() {
        match c {
            '\\' | '=' | ':' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '!' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if !c.is_ascii() => push_unicode(&mut out, c),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Escapes a value: `\` anywhere, leading white space (which the reader
/// skips), everything outside printable ASCII as `\uXXXX`.
///
/// Fails when the value holds a control character.
pub fn escape_value(value: &str) -> Result<String, Refused> {
    if let Some(r) = first_control(value) {
        return Err(r);
    }
    let mut out = String::with_capacity(value.len());
    let mut leading = true;
    for c in value.chars() {
        if c != ' ' {
            leading = false;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' if leading => out.push_str("\\ "),
            c if !c.is_ascii() => push_unicode(&mut out, c),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A Properties file being written: comment lines and `key=value` lines.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// `# text`. Fails when the text holds a control character (a line
    /// break would end the comment).
    pub fn comment(&mut self, text: &str) -> Result<&mut Writer, Refused> {
        if let Some(r) = first_control(text) {
            return Err(r);
        }
        self.out.push_str("# ");
        for c in text.chars() {
            if c.is_ascii() {
                self.out.push(c);
            } else {
                push_unicode(&mut self.out, c);
            }
        }
        self.out.push('\n');
        Ok(self)
    }

    /// `key=value`, both escaped. Fails when either holds a control character.
    pub fn entry(&mut self, key: &str, value: &str) -> Result<&mut Writer, Refused> {
        let k = escape_key(key)?;
        let v = escape_value(value)?;
        self.out.push_str(&k);
        self.out.push('=');
        self.out.push_str(&v);
        self.out.push('\n');
        Ok(self)
    }

    /// The file's text (pure ASCII).
    pub fn finish(self) -> String {
        self.out
    }
}

/// Why a file is not valid Properties text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The 1-based number of the (natural) line the entry starts on.
    pub line: usize,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} has a malformed \\uXXXX escape (Java's Properties.load refuses the file)",
            self.line
        )
    }
}

impl std::error::Error for Malformed {}

/// One logical line: its text (continuations joined) and where it started.
struct Logical {
    text: Vec<char>,
    line: usize,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Splits text into logical lines exactly as `java.util.Properties`'
/// LineReader (JDK 17) does, state for state: leading white space skipped,
/// blank and comment lines dropped (a comment is a `#` or `!` first on a
/// logical line, also on a line continued from one that held only a
/// backslash), a line ending in an odd number of backslashes joined with
/// the next (whose leading white space is skipped), a logical line that is
/// empty after joining dropped, a dangling backslash at the end of the
/// input dropped. A differential test against Java's own reader
/// (tests/properties_java.rs) holds it to that.
fn logical_lines(chars: &[char]) -> Vec<Logical> {
    // The natural line each character is on, for messages.
    let mut line_of = Vec::with_capacity(chars.len());
    let mut line = 1;
    for (i, &c) in chars.iter().enumerate() {
        line_of.push(line);
        if c == '\n' || (c == '\r' && chars.get(i + 1) != Some(&'\n')) {
            line += 1;
        }
    }
    let n = chars.len();
    let mut out = Vec::new();
    let mut off = 0;
    // Java keeps this one between lines.
    let mut skip_lf = false;
    loop {
        let mut buf: Vec<char> = Vec::new();
        let mut start = 0;
        let mut skip_ws = true;
        let mut appended = false;
        let mut preceding_backslash = false;
        loop {
            if off >= n {
                if buf.is_empty() {
                    return out;
                }
                if preceding_backslash {
                    buf.pop();
                }
                out.push(Logical {
                    text: buf,
                    line: start,
                });
                return out;
            }
            let c = chars[off];
            off += 1;
            if skip_lf {
                skip_lf = false;
                if c == '\n' {
                    continue;
                }
            }
            if skip_ws {
                if is_ws(c) {
                    continue;
                }
                if !appended && (c == '\r' || c == '\n') {
                    continue;
                }
                skip_ws = false;
                appended = false;
            }
            if buf.is_empty() && (c == '#' || c == '!') {
                // A comment: the rest of the natural line, its end included.
                while off < n {
                    let d = chars[off];
                    off += 1;
                    if d == '\r' || d == '\n' {
                        break;
                    }
                }
                skip_ws = true;
                continue;
            }
            if c != '\n' && c != '\r' {
                if buf.is_empty() {
                    start = line_of[off - 1];
                }
                buf.push(c);
                preceding_backslash = c == '\\' && !preceding_backslash;
                continue;
            }
            // The end of a natural line.
            if buf.is_empty() {
                skip_ws = true;
                continue;
            }
            if off >= n {
                // The input's last line: ended above, as at the end of input.
                continue;
            }
            if preceding_backslash {
                // The backslash is not part of the line; the next one's
                // leading white space is skipped.
                buf.pop();
                skip_ws = true;
                appended = true;
                preceding_backslash = false;
                if c == '\r' {
                    skip_lf = true;
                }
            } else {
                out.push(Logical {
                    text: buf,
                    line: start,
                });
                break;
            }
        }
    }
}

/// Undoes the escapes of a key or value (`loadConvert`).
fn unescape(s: &[char], line: usize) -> Result<String, Malformed> {
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut i = 0;
    let push = |units: &mut Vec<u16>, c: char| {
        let mut b = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut b));
    };
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != '\\' {
            push(&mut units, c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            // Cannot happen for a logical line (an odd trailing backslash
            // continues it); Java would read past the end. Keep nothing.
            break;
        };
        i += 1;
        match e {
            'u' => {
                let hex: String = s.get(i..i + 4).ok_or(Malformed { line })?.iter().collect();
                // from_str_radix alone would take a leading '+'.
                if !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err(Malformed { line });
                }
                let v = u16::from_str_radix(&hex, 16).map_err(|_| Malformed { line })?;
                units.push(v);
                i += 4;
            }
            't' => push(&mut units, '\t'),
            'r' => push(&mut units, '\r'),
            'n' => push(&mut units, '\n'),
            'f' => push(&mut units, '\u{c}'),
            other => push(&mut units, other),
        }
    }
    // A lone surrogate (possible in a Java string) becomes U+FFFD here.
    Ok(char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect())
}

/// Splits a logical line into its key and value (`load0`).
fn key_value(l: &Logical) -> Result<(String, String), Malformed> {
    key_value_sep(l).map(|(k, v, _)| (k, v))
}

/// [`key_value`], and whether the line had an explicit `=` or `:`.
fn key_value_sep(l: &Logical) -> Result<(String, String, bool), Malformed> {
    let t = &l.text;
    let limit = t.len();
    let mut key_len = 0;
    let mut value_start = limit;
    let mut has_sep = false;
    let mut preceding_backslash = false;
    while key_len < limit {
        let c = t[key_len];
        if (c == '=' || c == ':') && !preceding_backslash {
            value_start = key_len + 1;
            has_sep = true;
            break;
        } else if is_ws(c) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < limit {
        let c = t[value_start];
        if !is_ws(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    Ok((
        unescape(&t[..key_len], l.line)?,
        unescape(&t[value_start..], l.line)?,
        has_sep,
    ))
}

/// Why a one-line entry (`--set key=value`) is not one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryError {
    /// It holds a control character (a line break would add lines).
    Control(Refused),
    /// Nothing but white space.
    Empty,
    /// It starts with `#` or `!`: the reader skips it as a comment.
    Comment,
    /// It ends in an odd number of backslashes: the reader would join the
    /// next line to it.
    Continuation,
    /// No `=` or `:` separates a key from a value.
    NoSeparator,
    /// A malformed `\uXXXX` escape.
    Malformed,
}

/// Parses one entry as the Properties reader reads a line: escapes undone,
/// the key ended by the first unescaped `=`, `:` or white space (so
/// `data\Dir=/x` is `dataDir` and `dataDir:/etc=x` sets `dataDir`). Unlike
/// the reader, it insists on one line with an explicit separator.
///
/// Fails with what keeps the entry from being exactly one setting.
pub fn parse_entry(line: &str) -> Result<(String, String), EntryError> {
    if let Some(r) = first_control(line) {
        return Err(EntryError::Control(r));
    }
    let chars: Vec<char> = line.chars().skip_while(|c| is_ws(*c)).collect();
    match chars.first() {
        None => return Err(EntryError::Empty),
        Some('#') | Some('!') => return Err(EntryError::Comment),
        _ => {}
    }
    if chars.iter().rev().take_while(|c| **c == '\\').count() % 2 == 1 {
        return Err(EntryError::Continuation);
    }
    let (k, v, sep) = key_value_sep(&Logical {
        text: chars,
        line: 1,
    })
    .map_err(|_| EntryError::Malformed)?;
    if !sep {
        return Err(EntryError::NoSeparator);
    }
    // An escape (\n, \r, \t, \u000a) can make one after unescaping.
    if let Some(r) = first_control(&k).or_else(|| first_control(&v)) {
        return Err(EntryError::Control(r));
    }
    Ok((k, v))
}

/// Parses Properties text given as characters (for a `--set` entry, or a
/// file already decoded), every entry in file order (a later duplicate
/// wins when loaded into a map).
///
/// Fails on a malformed `\uXXXX` escape, as Java does.
pub fn parse_str(text: &str) -> Result<Vec<(String, String)>, Malformed> {
    let chars: Vec<char> = text.chars().collect();
    logical_lines(&chars).iter().map(key_value).collect()
}

/// Parses a Properties file's bytes as `Properties.load(InputStream)`
/// does: each byte is one ISO 8859-1 character.
///
/// Fails on a malformed `\uXXXX` escape, as Java does.
pub fn parse(bytes: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    parse_str(&text)
}

/// The entries as `Properties` holds them after loading: the last value of
/// each key.
pub fn to_map(entries: Vec<(String, String)>) -> std::collections::BTreeMap<String, String> {
    entries.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes()).unwrap()
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn the_grammar_as_java_reads_it() {
        assert_eq!(
            map("a=1\nb = 2\n  c:3\nd 4\ne\n"),
            [
                kv("a", "1"),
                kv("b", "2"),
                kv("c", "3"),
                kv("d", "4"),
                kv("e", "")
            ]
        );
        // Comments, blank lines, CR and CRLF line ends.
        assert_eq!(
            map("# x\n! y\n\n  \r\na=1\r\nb=2\rc=3"),
            [kv("a", "1"), kv("b", "2"), kv("c", "3")]
        );
        // A separator after white space; only the first one counts.
        assert_eq!(map("k  =  =v\n"), [kv("k", "=v")]);
        assert_eq!(map("k : a:b=c\n"), [kv("k", "a:b=c")]);
        // Escapes in keys and values.
        assert_eq!(map("data\\Dir=/x\n"), [kv("dataDir", "/x")]);
        assert_eq!(map("server\\u002e9=evil\n"), [kv("server.9", "evil")]);
        assert_eq!(map("a\\=b\\:c\\ d=\\t\\n\\\\\n"), [kv("a=b:c d", "\t\n\\")]);
        // A colon ends the key (issue 8: "dataDir:/etc/evil=x").
        assert_eq!(map("dataDir:/etc/evil=x\n"), [kv("dataDir", "/etc/evil=x")]);
        // An odd trailing backslash swallows the next line, its leading
        // white space skipped; an even one does not.
        assert_eq!(map("a=1\\\n   b=2\nc=3\n"), [kv("a", "1b=2"), kv("c", "3")]);
        assert_eq!(map("a=1\\\\\nb=2\n"), [kv("a", "1\\"), kv("b", "2")]);
        // A dangling backslash at the end of the input is dropped.
        assert_eq!(map("a=1\\"), [kv("a", "1")]);
        // A comment line is never continued.
        assert_eq!(map("# c \\\na=1\n"), [kv("a", "1")]);
        // ISO 8859-1: each byte is one character.
        assert_eq!(parse(b"k=caf\xe9\n").unwrap(), [kv("k", "caf\u{e9}")]);
        // Surrogate pairs join; a lone one is U+FFFD.
        assert_eq!(
            map("k=\\uD83D\\uDE00\\uD800\n"),
            [kv("k", "\u{1F600}\u{FFFD}")]
        );
        assert_eq!(parse(b"k=\\u12g4\n"), Err(Malformed { line: 1 }));
        assert_eq!(parse(b"\n\nk=\\u12"), Err(Malformed { line: 3 }));
    }

    #[test]
    fn the_encoder_round_trips_through_the_parser() {
        let cases = [
            ("dataDir", "/var/lib/zookeeper/data"),
            ("server.1", "zk-0.zk-hs.default.svc.cluster.local:2888:3888"),
            ("!bang", "1"),
            ("#hash", "#not a comment"),
            ("a=b:c d", "  leading and trailing  "),
            ("k", "ends with a backslash\\"),
            ("k", "caf\u{e9} \u{1F600} \u{FFFF}"),
            ("ssl.keyStore.password", "p@ss=w:rd#1!"),
            ("", ""),
        ];
        for (k, v) in cases {
            let mut w = Writer::new();
            w.entry(k, v).unwrap();
            let text = w.finish();
            assert!(text.is_ascii(), "{text}");
            assert_eq!(text.matches('\n').count(), 1, "{text}");
            assert_eq!(map(&text), [kv(k, v)], "{text}");
        }
    }

    #[test]
    fn minimal_escaping_keeps_ordinary_lines_as_they_were() {
        let mut w = Writer::new();
        w.comment("Written by zkpod").unwrap();
        w.entry("server.1", "zk-0.zk-hs:2888:3888").unwrap();
        w.entry("4lw.commands.whitelist", "srvr,ruok").unwrap();
        assert_eq!(
            w.finish(),
            "# Written by zkpod\nserver.1=zk-0.zk-hs:2888:3888\n4lw.commands.whitelist=srvr,ruok\n"
        );
    }

    #[test]
    fn one_entry_as_the_reader_sees_it() {
        assert_eq!(parse_entry("snapCount=100"), Ok(kv("snapCount", "100")));
        assert_eq!(parse_entry(" a : b=c "), Ok(kv("a", "b=c ")));
        assert_eq!(parse_entry("data\\Dir=/x"), Ok(kv("dataDir", "/x")));
        assert_eq!(
            parse_entry("server\\u002e9=e:1:2"),
            Ok(kv("server.9", "e:1:2"))
        );
        assert_eq!(
            parse_entry("dataDir:/etc/evil=x"),
            Ok(kv("dataDir", "/etc/evil=x"))
        );
        assert_eq!(parse_entry("a=b\\\\"), Ok(kv("a", "b\\")));
        assert_eq!(parse_entry("a=b\\"), Err(EntryError::Continuation));
        assert_eq!(parse_entry("#a=b"), Err(EntryError::Comment));
        assert_eq!(parse_entry("  !a=b"), Err(EntryError::Comment));
        assert_eq!(parse_entry("   "), Err(EntryError::Empty));
        assert_eq!(parse_entry("snapCount"), Err(EntryError::NoSeparator));
        assert_eq!(parse_entry("a=\\u00"), Err(EntryError::Malformed));
        assert!(matches!(
            parse_entry("a=b\nc=d"),
            Err(EntryError::Control(_))
        ));
        // Found by fuzz/set_values: an escape that makes a control character.
        for escaped in ["a=x\\ry", "a=\\u000aserver.9=x", "a\\tb=1"] {
            assert!(
                matches!(parse_entry(escaped), Err(EntryError::Control(_))),
                "{escaped}"
            );
        }
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            escape_value("zk-hs\nserver.9=evil:1:2"),
            Err(Refused { ch: '\n', at: 5 })
        );
        assert!(escape_key("a\rb").is_err());
        assert!(escape_value("x\u{0}").is_err());
        assert!(escape_value("x\u{85}").is_err());
        assert!(escape_value("x\u{2028}").is_err());
        assert!(Writer::new().comment("a\nb=c").is_err());
        assert_eq!(
            Refused { ch: '\n', at: 5 }.to_string(),
            "holds the control character U+000A at position 5"
        );
    }
}
