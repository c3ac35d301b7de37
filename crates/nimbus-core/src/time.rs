//! Timestamps as cloud APIs write them.
//!
//! Why here: RFC 3339 is what Google APIs, Keystone, Nova, Neutron, Glance and Swift listings
//! all send, and every adapter needs the same parser; `chrono` would be a dependency of the
//! core for one function.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// RFC 3339 → time: UTC with `Z` (`2026-11-24T23:35:52.622273Z`), with an offset
/// (`2026-11-25T10:00:00.000-08:00`), or with no zone at all, read as UTC (Swift listings
/// write `2026-12-01T12:00:00.123456`). `None` for anything else or a time before 1970.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    // A trailing `Z`, or `±hh:mm` (seconds east of UTC).
    let (time, offset) = match time.strip_suffix('Z') {
        Some(t) => (t, 0),
        None => match time.rfind(['+', '-']) {
            Some(i) => {
                let (t, off) = time.split_at(i);
                let (oh, om) = off[1..].split_once(':')?;
                let secs = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
                (t, if off.starts_with('-') { -secs } else { secs })
            }
            None => (time, 0),
        },
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    // Days from civil (Howard Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    // Up to nine fraction digits, right-padded: `.5` is 500,000,000 ns. No allocation (a
    // listing of 10,000 objects parses 10,000 times).
    let digits = &frac.as_bytes()[..frac.len().min(9)];
    let mut nanos: u32 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        nanos = nanos * 10 + u32::from(d - b'0');
    }
    nanos *= 10u32.pow(9 - digits.len() as u32);
    (secs >= 0).then(|| UNIX_EPOCH + Duration::new(secs as u64, nanos))
}

/// Time → `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds): the form SAS times take and the one
/// file names and reports use. Times before 1970 are written as 1970-01-01T00:00:00Z.
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let t = parse_rfc3339("1970-01-02T00:00:01.5Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::new(86_401, 500_000_000));
        assert!(parse_rfc3339("2026-11-24T23:35:52.622273Z").is_some());
        assert_eq!(
            parse_rfc3339("1970-01-01T16:00:01.000-08:00").unwrap(),
            UNIX_EPOCH + Duration::from_secs(86_401)
        );
        assert_eq!(
            parse_rfc3339("1970-01-02T01:00:01+01:00").unwrap(),
            UNIX_EPOCH + Duration::from_secs(86_401)
        );
    }

    #[test]
    fn zoneless_is_utc_and_garbage_is_none() {
        assert_eq!(
            parse_rfc3339("1970-01-02T00:00:01").unwrap(),
            UNIX_EPOCH + Duration::from_secs(86_401)
        );
        assert!(parse_rfc3339("yesterday").is_none());
        assert!(parse_rfc3339("1970-01-02T00:00:01.5x").is_none());
        assert_eq!(
            parse_rfc3339("1970-01-02T00:00:01.123456789123").unwrap(),
            UNIX_EPOCH + Duration::new(86_401, 123_456_789)
        );
        assert!(parse_rfc3339("1969-12-31T23:59:59Z").is_none());
    }

    #[test]
    fn formatted_times_parse_back() {
        for secs in [0u64, 951_782_400, 1_795_551_088] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
