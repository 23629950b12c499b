//! Certificate times for messages: seconds since the epoch as an RFC 3339
//! UTC timestamp (`2026-11-28T07:05:11Z`). Pure.

use rustls_pki_types::UnixTime;

use crate::sys::clock::civil_from_days;

/// `t` as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339(t: UnixTime) -> String {
    let secs = t.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A duration in whole days, hours or minutes, for "expired 3 days ago".
pub fn span(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 2 * 86_400 => plural(s / 86_400, "day"),
        s if s >= 2 * 3600 => plural(s / 3600, "hour"),
        s if s >= 60 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let t = |s| {
            rfc3339(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                s,
            )))
        };
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400`: a leap day in a year divisible by 400.
        assert_eq!(t(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(t(1_795_849_511), "2026-11-28T07:05:11Z");
        assert_eq!(t(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(t(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn spans() {
        assert_eq!(span(1), "1 second");
        assert_eq!(span(119), "1 minute");
        assert_eq!(span(7200), "2 hours");
        assert_eq!(span(86_400 * 3 + 5), "3 days");
    }
}
