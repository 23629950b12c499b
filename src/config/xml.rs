//! XML escaping, for logback.xml: every value placed in the document goes
//! through [`text`] or [`attr`], so no value can close an element, open a
//! new one or end an attribute. Control characters are refused: XML 1.0
//! cannot carry most of them, and no logging setting needs one.

use crate::config::properties::{first_control, Refused};

fn escape(s: &str, quote: bool) -> Result<String, Refused> {
    if let Some(r) = first_control(s) {
        return Err(r);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote => out.push_str("&quot;"),
            '\'' if quote => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `s` as element content. Fails on a control character.
pub fn text(s: &str) -> Result<String, Refused> {
    escape(s, false)
}

/// `s` as an attribute value (in double or single quotes). Fails on a
/// control character.
pub fn attr(s: &str) -> Result<String, Refused> {
    escape(s, true)
}

/// Undoes [`text`]/[`attr`] (the five predefined entities), for tests and
/// the fuzz targets' round trips.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_round_trips() {
        let s = "</pattern><x a=\"1\">&amp;'";
        let t = text(s).unwrap();
        assert!(!t.contains('<') && !t.contains('>'));
        assert_eq!(unescape(&t), s);
        let a = attr(s).unwrap();
        assert!(!a.contains('"') && !a.contains('\''));
        assert_eq!(unescape(&a), s);
        assert!(text("a\nb").is_err());
    }
}
