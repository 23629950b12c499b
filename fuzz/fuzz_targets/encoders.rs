//! The other encoders and the message guards: shell quoting for java.env
//! (`config::shell`), XML escaping for logback.xml (`config::xml`), and the
//! quoting of outside values in messages (`sys::report`). Properties: a
//! quoted shell word, read back by a POSIX single-quote reader, is the text
//! (and nothing in it is outside quotes); escaped XML holds no markup
//! character and unescapes to the text, control characters refused; a
//! message line is one line of at most 2048 characters with no control
//! character, whatever the value.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::{properties, shell, xml};
use zkpod::sys::report;

#[derive(Arbitrary, Debug)]
struct Case {
    text: String,
    bytes: Vec<u8>,
}

/// Reads a word made of single-quoted parts and `\'`, as sh does; `None`
/// when anything else is outside quotes.
fn unquote(w: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next().filter(|c| *c == '\'')?),
            _ => return None,
        }
    }
    Some(out)
}

fuzz_target!(|c: Case| {
    let q = shell::quote(&c.text);
    assert_eq!(unquote(&q).as_deref(), Some(c.text.as_str()), "{q:?}");
    let word = shell::word(&c.text);
    if shell::is_plain(&c.text) {
        assert_eq!(word, c.text);
    } else {
        assert_eq!(word, q);
    }

    let control = properties::first_control(&c.text);
    for (escaped, quote) in [(xml::text(&c.text), false), (xml::attr(&c.text), true)] {
        match escaped {
            Ok(e) => {
                assert!(control.is_none());
                assert!(!e.contains('<') && !e.contains('>'), "{e:?}");
                if quote {
                    assert!(!e.contains('"') && !e.contains('\''), "{e:?}");
                }
                assert_eq!(xml::unescape(&e), c.text);
            }
            Err(r) => assert_eq!(Some(r), control),
        }
    }

    for line in [
        report::one_line(&c.text),
        report::shown(&c.text),
        report::shown_bytes(&c.bytes),
        report::clean(&c.text),
    ] {
        assert!(!line.chars().any(|ch| ch.is_control()), "{line:?}");
        assert!(
            line.chars().count() <= report::MAX_LINE + 3,
            "{}",
            line.len()
        );
    }
    assert!(report::shown(&c.text).chars().count() <= 2 + report::SHOWN_MAX * 10 + 3);
});
