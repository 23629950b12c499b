//! Wall-clock time as zkpod writes it: UTC stamps for names that must never
//! collide (a set-aside dir) and for notes in ZooKeeper.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time since the epoch now (zero if the clock is before 1970).
pub fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `20261128T061502.123456789Z` for a time since the epoch (UTC).
pub fn utc_stamp(t: std::time::Duration) -> String {
    let secs = t.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        t.subsec_nanos()
    )
}

/// The proleptic Gregorian (year, month, day) of a day count since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`, for days on or after the
/// epoch). Pure.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(Duration::ZERO), "19700101T000000.000000000Z");
        // 2026-11-28 06:15:02 UTC.
        assert_eq!(
            utc_stamp(Duration::new(1_795_846_502, 123_456_789)),
            "20261128T061502.123456789Z"
        );
        assert_eq!(
            utc_stamp(Duration::new(951_782_400, 0)),
            "20000229T000000.000000000Z"
        );
    }
}
