//! zkpod's Properties parser and encoder (`config::properties`) against
//! Java's own `java.util.Properties`, which is what ZooKeeper reads zoo.cfg
//! with (issue 8): a differential test over handwritten cases, thousands of
//! generated ones, and the encoder's output for generated keys and values.
//! One JVM run reads every file (tests/java/PropertiesCheck.java, a
//! single-file program: it needs a JDK's java, which compiles it).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use zkpod::config::properties::{self, Writer};

/// What Java's program prints for one file: sorted `key=value` lines with
/// every UTF-16 unit as `\uXXXX`, or `ERROR ...`.
fn esc(s: &str) -> String {
    let mut units = [0u16; 2];
    s.chars()
        .flat_map(|c| c.encode_utf16(&mut units).to_vec())
        .map(|u| format!("\\u{u:04X}"))
        .collect()
}

fn ours(bytes: &[u8]) -> Vec<String> {
    match properties::parse(bytes) {
        Err(_) => vec!["ERROR IllegalArgumentException".to_string()],
        Ok(entries) => {
            let map: BTreeMap<String, String> = entries.into_iter().collect();
            let mut lines: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
                .collect();
            lines.sort();
            lines
        }
    }
}

/// Java's reading of every file, in order.
fn java(files: &[std::path::PathBuf]) -> Vec<Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/PropertiesCheck.java");
    let out = Command::new("java")
        .arg(&src)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run java ({e}): the differential test needs a JDK (apt-get install openjdk-17-jdk-headless)"));
    assert!(
        out.status.success(),
        "java failed (a JDK is needed to run a single-file program): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut all = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        if line.starts_with("FILE ") {
            if let Some(c) = cur.take() {
                all.push(c);
            }
            cur = Some(Vec::new());
        } else if line == "END" {
            let mut c = cur.take().unwrap();
            c.sort();
            all.push(c);
        } else if line.starts_with("ERROR ") {
            cur = None;
            all.push(vec![line.to_string()]);
        } else {
            cur.as_mut().unwrap().push(line.to_string());
        }
    }
    all
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[(self.next() % from.len() as u64) as usize]
    }
}

const HANDWRITTEN: &[&[u8]] = &[
    b"a=1\nb = 2\n  c:3\nd 4\ne\n",
    b"# x\n! y\n\n  \r\na=1\r\nb=2\rc=3",
    b"k  =  =v\nk2 : a:b=c\n",
    b"data\\Dir=/x\nserver\\u002e9=evil\n",
    b"a\\=b\\:c\\ d=\\t\\n\\\\\n",
    b"dataDir:/etc/evil=x\n",
    b"a=1\\\n   b=2\nc=3\n",
    b"a=1\\\\\nb=2\n",
    b"a=1\\",
    b"# c \\\na=1\n",
    b"k=caf\xe9\n",
    b"k=\\uD83D\\uDE00\n",
    b"k=\\u12g4\n",
    b"k=\\u12",
    b"a=1\\\n\nb=2\n",
    b"a=1\\\r\n  b\r\n",
    b"\\\n",
    b"=\n:\n \\ =x\n",
    b"a\\\\\\ b=c\\\\\\\n d\n",
    b"zk=\\\n# not a comment\n",
];

#[test]
fn the_parser_reads_what_java_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<Vec<u8>> = HANDWRITTEN.iter().map(|b| b.to_vec()).collect();
    // Generated: the characters the grammar gives a meaning to, plus
    // Latin-1 and UTF-8 bytes, in every order.
    let alphabet: &[&[u8]] = &[
        b"\\",
        b"=",
        b":",
        b" ",
        b"\t",
        b"\x0c",
        b"#",
        b"!",
        b"\n",
        b"\r",
        b"\r\n",
        b"u",
        b"0",
        b"0",
        b"2",
        b"e",
        b"F",
        b"a",
        b"k",
        b"\xe9",
        b"\xff",
        b"\x00",
        "\u{20ac}".as_bytes(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = rng.next() % 40;
        let mut b = Vec::new();
        for _ in 0..n {
            let piece: &[u8] = rng.pick::<&[u8]>(alphabet);
            b.extend_from_slice(piece);
        }
        inputs.push(b);
    }
    let files: Vec<_> = inputs
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let p = dir.path().join(format!("{i}.properties"));
            fs::write(&p, b).unwrap();
            p
        })
        .collect();
    let theirs = java(&files);
    assert_eq!(theirs.len(), inputs.len());
    let mut differ = Vec::new();
    for (i, (b, j)) in inputs.iter().zip(&theirs).enumerate() {
        if &ours(b) != j {
            differ.push(format!(
                "#{i} {:?}: ours {:?}, Java {:?}",
                String::from_utf8_lossy(b),
                ours(b),
                j
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        inputs.len(),
        differ[..differ.len().min(10)].join("\n")
    );
}

#[test]
fn java_reads_back_exactly_what_the_encoder_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let chars: &[&str] = &[
        "a", "Z", "0", ".", "_", "-", "\\", "=", ":", " ", "#", "!", "/", "$", "`", "'", "\"", "é",
        "€", "😀", "\u{ffff}", "u", "0041", "\\u",
    ];
    let controls: &[&str] = &["\u{7f}", "\n", "\r", "\u{2028}", "\u{85}", "\u{0}"];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cases: Vec<Vec<(String, String)>> = Vec::new();
    for c in 0..1500 {
        let mut gen =
            |max: u64| -> String { (0..rng.next() % max).map(|_| *rng.pick(chars)).collect() };
        let mut entries: Vec<(String, String)> = (0..3)
            .map(|i| (format!("{i}{}", gen(12)), gen(24)))
            .collect();
        // One case in ten carries a control character: the encoder must refuse it.
        if c % 10 == 0 {
            let ctl = *rng.pick(controls);
            entries[1].1.push_str(ctl);
        }
        cases.push(entries);
    }
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for (i, entries) in cases.iter().enumerate() {
        let mut w = Writer::new();
        let mut refused = false;
        for (k, v) in entries {
            let control = properties::first_control(k).or_else(|| properties::first_control(v));
            match w.entry(k, v) {
                Ok(_) => assert!(control.is_none()),
                Err(r) => {
                    assert_eq!(Some(r), control);
                    refused = true;
                }
            }
        }
        if refused {
            continue;
        }
        let text = w.finish();
        assert!(text.is_ascii());
        assert_eq!(
            text.lines().count(),
            entries.len(),
            "one line per entry: {text:?}"
        );
        let p = dir.path().join(format!("{i}.properties"));
        fs::write(&p, &text).unwrap();
        files.push(p);
        let map: BTreeMap<&String, &String> = entries.iter().map(|(k, v)| (k, v)).collect();
        let mut lines: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
            .collect();
        lines.sort();
        expected.push(lines);
    }
    assert!(
        files.len() > 300,
        "too few cases without control characters: {}",
        files.len()
    );
    let theirs = java(&files);
    for ((f, want), got) in files.iter().zip(&expected).zip(&theirs) {
        assert_eq!(
            got,
            want,
            "{}: {:?}",
            f.display(),
            fs::read_to_string(f).unwrap()
        );
    }
}
