//! ZooKeeper's superuser for dynamic membership: the password from a
//! mounted Secret, the digest the JVM is given
//! (`zookeeper.DigestAuthenticationProvider.superDigest`), and how it is
//! passed without showing it to every process that can read
//! `/proc/<pid>/cmdline`.

use std::path::{Path, PathBuf};

use crate::sys::report::{diagnose, Code, Warning};

/// The JVM property that makes `super:<password>` ZooKeeper's superuser.
pub const PROPERTY: &str = "zookeeper.DigestAuthenticationProvider.superDigest";

/// The argument file (Java 9+ `@file`) that carries the digest, in the
/// conf dir, readable by the ZooKeeper user only.
pub const ARGFILE: &str = "jvm-secret.args";

/// How the JVM gets the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superuser {
    /// `-Dzookeeper.DigestAuthenticationProvider.superDigest=super:<digest>`.
    pub flag: String,
    /// `Some(path)`: the flag lives in this argument file and the command
    /// line names only `@path`; `None`: the flag is on the command line
    /// (a Java 8 runtime, which has no argument files).
    pub argfile: Option<PathBuf>,
}

/// The password in a Secret file: the bytes, less one trailing line break
/// (`echo pw > file` and `kubectl create secret --from-file` keep it).
///
/// Fails (exit code 4) when it is empty, not UTF-8, or holds a control
/// character (the message never quotes the password).
pub fn password(bytes: &[u8], file: &Path) -> anyhow::Result<String> {
    let trimmed = bytes
        .strip_suffix(b"\n")
        .map(|b| b.strip_suffix(b"\r").unwrap_or(b))
        .unwrap_or(bytes);
    let bad = |why: &str| {
        diagnose(
            Code::Config,
            format!(
                "{} {} {why}",
                crate::config::flags::origin("--superuser-password-file"),
                crate::sys::report::path(file)
            ),
            "zkpod cannot derive ZooKeeper's superuser digest from it, so `zkpod join` and `leave` could not reconfigure the ensemble",
            "put the password alone in the file (one line, printable characters), e.g. kubectl create secret generic zk-auth --from-literal=password=\"$(head -c 24 /dev/urandom | base64)\"",
        )
    };
    let text = std::str::from_utf8(trimmed).map_err(|_| bad("is not UTF-8 text"))?;
    if text.is_empty() {
        return Err(bad("is empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(bad(
            "holds a control character (a line break inside the password?)",
        ));
    }
    Ok(text.to_string())
}

/// ZooKeeper's digest of `user:password`: base64 of its SHA-1, as
/// `DigestAuthenticationProvider.generateDigest` computes it.
pub fn digest(user: &str, password: &str) -> String {
    let sha = sha1_smol::Sha1::from(format!("{user}:{password}"))
        .digest()
        .bytes();
    base64(&sha)
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The major Java version from a `release` file's `JAVA_VERSION`
/// (`17.0.15` is 17, `1.8.0_392` is 8).
pub fn java_major(version: &str) -> Option<u32> {
    let mut parts = version.split(['.', '_', '-', '+']);
    match parts.next()?.parse::<u32>().ok()? {
        1 => parts.next()?.parse().ok(),
        n => Some(n),
    }
}

/// How to pass the digest of `password` to a JVM of `java_version`.
/// Returns a warning too when it has to go on the command line.
pub fn plan(
    password: &str,
    java_version: Option<&str>,
    conf_dir: &Path,
) -> (Superuser, Option<Warning>) {
    let flag = format!("-D{PROPERTY}=super:{}", digest("super", password));
    match java_version.and_then(java_major) {
        Some(major) if major >= 9 => (
            Superuser {
                flag,
                argfile: Some(conf_dir.join(ARGFILE)),
            },
            None,
        ),
        found => (
            Superuser {
                flag,
                argfile: None,
            },
            Some(Warning::new(
                match found {
                    Some(m) => format!("the Java runtime is Java {m}, which has no @argument files"),
                    None => "the Java runtime's version is unknown (no release file next to java)".to_string(),
                },
                "the superuser digest goes on the JVM's command line, where every process in the container can read it in /proc",
                "use a Java 9+ runtime (its release file tells zkpod the version)",
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn digest_is_zookeepers() {
        // `java -cp zookeeper.jar org.apache.zookeeper.server.auth.DigestAuthenticationProvider super:secret`
        // prints super:secret->super:lK75jTNcA+U9vtVEw5vB51mj/w4= (Debian's 3.8.0).
        assert_eq!(digest("super", "secret"), "lK75jTNcA+U9vtVEw5vB51mj/w4=");
    }

    #[test]
    fn passwords_from_secret_files() {
        let f = Path::new("/etc/zkpod/auth/password");
        assert_eq!(password(b"s3cret\n", f).unwrap(), "s3cret");
        assert_eq!(password(b"s3cret\r\n", f).unwrap(), "s3cret");
        assert_eq!(password(b"a:b c", f).unwrap(), "a:b c");
        for (bytes, why) in [
            (&b""[..], "is empty"),
            (&b"\n"[..], "is empty"),
            (&b"one\ntwo\n"[..], "holds a control character"),
            (&b"\xff\xfe"[..], "is not UTF-8"),
        ] {
            let e = password(bytes, f).unwrap_err().to_string();
            assert!(
                e.contains(&format!(
                    "--superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE) /etc/zkpod/auth/password {why}"
                )),
                "{e}"
            );
            assert!(!e.contains("one\ntwo"));
        }
    }

    #[test]
    fn the_digest_goes_into_an_argfile_on_java_9_and_later() {
        let (s, w) = plan("pw", Some("17.0.15"), Path::new("/conf"));
        assert_eq!(
            s.argfile.as_deref(),
            Some(Path::new("/conf/jvm-secret.args"))
        );
        assert!(s
            .flag
            .starts_with("-Dzookeeper.DigestAuthenticationProvider.superDigest=super:"));
        assert!(w.is_none());
        let (s, w) = plan("pw", Some("1.8.0_392"), Path::new("/conf"));
        assert_eq!(s.argfile, None);
        assert!(w.unwrap().what.contains("Java 8"));
        assert_eq!(java_major("21"), Some(21));
        assert_eq!(plan("pw", None, Path::new("/c")).0.argfile, None);
    }
}
