//! The domains of the values that reach a file or a log line (issue 8):
//! DNS labels and names (domain, service, namespace, pod names, addresses),
//! absolute clean paths (data, log and conf dirs), the directories no
//! server may own, and the integers ZooKeeper reads as a Java `int`.
//!
//! Each check is a pure function returning why a value is refused, in
//! words that follow the value in a message ("has an empty label");
//! callers add the flag it came from and the fix.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The largest value ZooKeeper reads into a Java `int` (tickTime,
/// initLimit, session timeouts, ...).
pub const JAVA_INT_MAX: u64 = i32::MAX as u64;

/// The longest DNS name (RFC 1035), without a trailing dot.
pub const DNS_NAME_MAX: usize = 253;
/// The longest DNS label.
pub const DNS_LABEL_MAX: usize = 63;

/// Checks one DNS label (RFC 1123): 1 to 63 letters, digits and hyphens,
/// not starting or ending with a hyphen.
pub fn dns_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > DNS_LABEL_MAX {
        return Err(format!(
            "is {} characters long (a DNS label has at most {DNS_LABEL_MAX})",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "holds {} (a DNS label has only letters, digits and '-')",
            describe_char(c)
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("starts or ends with '-'".into());
    }
    Ok(())
}

/// Checks a DNS name (dot-separated labels, at most 253 characters) and
/// returns it without a trailing dot.
pub fn dns_name(s: &str) -> Result<String, String> {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > DNS_NAME_MAX {
        return Err(format!(
            "is {} characters long (a DNS name has at most {DNS_NAME_MAX})",
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("has an empty label (two dots in a row, or a leading dot)".into());
        }
        dns_label(label).map_err(|why| format!("has a label that {why}"))?;
    }
    Ok(name.to_string())
}

/// Checks an address to bind or connect to: an IP literal or a DNS name.
pub fn host(s: &str) -> Result<(), String> {
    let bare = s
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(s);
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    dns_name(s)
        .map(|_| ())
        .map_err(|why| format!("is neither an IP address nor a DNS name: it {why}"))
}

/// A character for a message: printable ones quoted, others by code.
pub fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\n' => "a line break".into(),
        c if c.is_control() || !c.is_ascii() => format!("the character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

/// The characters a directory path may hold: they need no escaping in any
/// file zkpod writes or in the JVM's classpath and `file:` URLs (a `:`
/// would split the classpath, a space or `#` a URL).
fn path_byte_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b'~')
}

/// The characters [`clean_path`] accepts, for a message.
pub const PATH_CHARS: &str = "letters, digits and / . _ - + @ ~";

/// Checks an absolute path and returns it clean: no `..`, no repeated or
/// trailing `/`, only [`PATH_CHARS`], at most 4095 bytes and 255 per name.
pub fn clean_path(p: &Path) -> Result<PathBuf, String> {
    let bytes = p.as_os_str().as_bytes();
    if bytes.len() > 4095 {
        return Err(format!(
            "is {} bytes long (a path has at most 4095)",
            bytes.len()
        ));
    }
    if let Some(&b) = bytes.iter().find(|&&b| !path_byte_ok(b)) {
        let what = if b.is_ascii() {
            describe_char(char::from(b))
        } else {
            format!("the byte 0x{b:02x} (not ASCII)")
        };
        return Err(format!(
            "holds {what}; a directory path may hold only {PATH_CHARS}"
        ));
    }
    if !p.is_absolute() {
        return Err("is not absolute".into());
    }
    let mut clean = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                return Err("has a '..' component (zkpod does not guess where it leads)".into())
            }
            Component::Normal(n) if n.len() > 255 => {
                return Err(format!("has a name of {} bytes (at most 255)", n.len()))
            }
            Component::Normal(n) => clean.push(n),
            Component::Prefix(_) => return Err("is not a Unix path".into()),
        }
    }
    Ok(clean)
}

/// Directories that hold the system: no server may have its data there,
/// and zkpod chowns nothing in them. `/` and these exactly...
const SYSTEM_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/var/backups",
    "/var/cache",
    "/var/lib",
    "/var/local",
    "/var/lock",
    "/var/log",
    "/var/mail",
    "/var/opt",
    "/var/run",
    "/var/spool",
    "/var/tmp",
    "/opt/zookeeper",
    "/usr/share/zookeeper",
];

/// ... and everything under these.
const SYSTEM_TREES: &[&str] = &[
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin",
    "/sys", "/usr",
];

/// Why `dir` (a clean absolute path) is a system directory, or `None`.
pub fn system_dir(dir: &Path) -> Option<String> {
    if SYSTEM_DIRS.iter().any(|s| dir == Path::new(s)) {
        return Some(format!("is the system directory {}", dir.display()));
    }
    SYSTEM_TREES
        .iter()
        .find(|t| dir.starts_with(t))
        .map(|t| format!("is inside the system directory {t}"))
}

/// Why a conf dir is unfit: it may be `/etc/zookeeper/conf` (Debian's), but
/// not a system directory itself, nor anything under /proc, /sys or /dev.
pub fn system_conf_dir(dir: &Path) -> Option<String> {
    if SYSTEM_DIRS.iter().any(|s| dir == Path::new(s)) {
        return Some(format!("is the system directory {}", dir.display()));
    }
    ["/proc", "/sys", "/dev"]
        .iter()
        .find(|t| dir.starts_with(t))
        .map(|t| format!("is inside {t}"))
}

/// Checks that a number fits in a Java `int`, as ZooKeeper parses it.
pub fn java_int(v: u64) -> Result<(), String> {
    if v > JAVA_INT_MAX {
        Err(format!(
            "is above {JAVA_INT_MAX}, the largest number ZooKeeper reads (a Java int)"
        ))
    } else {
        Ok(())
    }
}

/// A path's bytes for a message (not UTF-8 or not printable: escaped).
pub fn show_path(p: &OsStr) -> String {
    crate::sys::report::path(Path::new(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert_eq!(
            dns_name("zk-hs.default.svc.cluster.local.").unwrap(),
            "zk-hs.default.svc.cluster.local"
        );
        assert_eq!(dns_name("ZK-HS.Kafka").unwrap(), "ZK-HS.Kafka");
        for (bad, why) in [
            ("a..b", "has an empty label"),
            (".a", "has an empty label"),
            ("zk hs", "has a label that holds a space"),
            ("a:1:2", "has a label that holds ':'"),
            ("zk-hs\nserver.9=evil:1:2\n#", "holds a line break"),
            ("a\0b", "holds the character U+0000"),
            ("-zk.b", "starts or ends with '-'"),
            ("", "is empty"),
            ("x_y", "holds '_'"),
        ] {
            let e = dns_name(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(dns_name(&"a".repeat(64))
            .unwrap_err()
            .contains("at most 63"));
        let long = ["abc"; 70].join(".");
        assert!(dns_name(&long).unwrap_err().contains("at most 253"));
        assert!(dns_label("zk-0").is_ok());
        assert!(dns_label("zk.0").is_err());
    }

    #[test]
    fn hosts_are_ips_or_names() {
        for ok in ["127.0.0.12", "::1", "[::1]", "zk-0.zk-hs", "localhost"] {
            assert!(host(ok).is_ok(), "{ok}");
        }
        for bad in ["a b", "127.0.0.1\nx", "", "1.2.3.4:80"] {
            assert!(
                host(bad)
                    .unwrap_err()
                    .starts_with("is neither an IP address nor a DNS name"),
                "{bad}"
            );
        }
    }

    #[test]
    fn paths_are_absolute_and_clean() {
        assert_eq!(
            clean_path(Path::new("/var/lib//zookeeper/data/")).unwrap(),
            Path::new("/var/lib/zookeeper/data")
        );
        assert_eq!(clean_path(Path::new("/")).unwrap(), Path::new("/"));
        for (bad, why) in [
            ("/var/lib/../etc", "'..'"),
            ("/v/data\ndataDir=/etc", "a line break"),
            ("/v/a b", "a space"),
            ("/v/a:b", "':'"),
            ("/v/a#b", "'#'"),
            ("relative/dir", "is not absolute"),
        ] {
            let e = clean_path(Path::new(bad)).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let latin1 = OsStr::from_bytes(b"/v/caf\xe9");
        assert!(clean_path(Path::new(latin1))
            .unwrap_err()
            .contains("the byte 0xe9 (not ASCII)"));
        let long = format!("/{}", "a".repeat(5000));
        assert!(clean_path(Path::new(&long))
            .unwrap_err()
            .contains("at most 4095"));
        let name = format!("/v/{}", "a".repeat(256));
        assert!(clean_path(Path::new(&name))
            .unwrap_err()
            .contains("at most 255"));
    }

    #[test]
    fn system_directories() {
        for sys in [
            "/",
            "/etc",
            "/usr",
            "/usr/local/x",
            "/etc/zookeeper",
            "/var/lib",
            "/tmp",
            "/proc/1",
            "/home",
            "/opt/zookeeper",
        ] {
            assert!(system_dir(Path::new(sys)).is_some(), "{sys}");
        }
        for ok in [
            "/var/lib/zookeeper",
            "/var/lib/zookeeper/data",
            "/tmp/x",
            "/data",
            "/home/zk/data",
            "/opt/zookeeper/data",
        ] {
            assert_eq!(system_dir(Path::new(ok)), None, "{ok}");
        }
        assert_eq!(system_conf_dir(Path::new("/etc/zookeeper/conf")), None);
        assert_eq!(system_conf_dir(Path::new("/opt/zookeeper/conf")), None);
        assert!(system_conf_dir(Path::new("/opt/zookeeper")).is_some());
        assert!(system_conf_dir(Path::new("/etc")).is_some());
        assert!(system_conf_dir(Path::new("/proc/self")).is_some());
    }

    #[test]
    fn java_ints() {
        assert!(java_int(2147483647).is_ok());
        assert!(java_int(2147483648).unwrap_err().contains("a Java int"));
    }
}
