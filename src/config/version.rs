//! ZooKeeper release versions (`3.8.4`), as the key table and the install
//! listing name them.

use std::fmt;

/// A ZooKeeper release: major.minor.patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

/// `v(3, 8, 4)` is ZooKeeper 3.8.4.
pub const fn v(major: u16, minor: u16, patch: u16) -> Version {
    Version {
        major,
        minor,
        patch,
    }
}

impl Version {
    /// Parses the leading `major.minor[.patch]` of a release string such as
    /// `3.8.4`, `3.9.2-bin` or `3.8.0-${mvngit.commit.id}`; `None` when it
    /// does not start that way.
    pub fn parse(s: &str) -> Option<Version> {
        let end = s
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len());
        let mut parts = s[..end].split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            None | Some("") => 0,
            Some(p) => p.parse().ok()?,
        };
        Some(v(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_strings() {
        assert_eq!(Version::parse("3.8.4"), Some(v(3, 8, 4)));
        assert_eq!(Version::parse("3.9.2-bin"), Some(v(3, 9, 2)));
        assert_eq!(
            Version::parse("3.8.0-${mvngit.commit.id}, built on x"),
            Some(v(3, 8, 0))
        );
        assert_eq!(Version::parse("3.5"), Some(v(3, 5, 0)));
        assert_eq!(Version::parse("x3.5"), None);
        assert_eq!(Version::parse("3"), None);
        assert!(v(3, 5, 10) > v(3, 5, 9));
        assert_eq!(v(3, 6, 0).to_string(), "3.6.0");
    }
}
