//! When the next follow-up is due, in the lead's local calendar.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use shared_types::FollowupCadence;

/// The time the follow-up after `attempts_done` attempts is due, or `None`
/// when the cadence is exhausted. Days are counted on the local calendar of
/// `tz` (so a daylight-saving change does not shift the hour) and, when the
/// cadence says so, only business days count.
pub fn next_followup_at(
    last_attempt_at: DateTime<Utc>,
    attempts_done: u32,
    cadence: &FollowupCadence,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    if attempts_done == 0 || attempts_done >= cadence.max_attempts {
        return None;
    }
    let days = *cadence.cadence_days.get(attempts_done as usize - 1)?;
    Some(add_days(
        last_attempt_at,
        days,
        cadence.business_days_only,
        tz,
    ))
}

/// `at` plus `days` days (only Monday to Friday counting when
/// `business_days_only`) at the same local time on `tz`'s calendar.
pub fn add_days(at: DateTime<Utc>, days: u32, business_days_only: bool, tz: Tz) -> DateTime<Utc> {
    let mut local = at.with_timezone(&tz).naive_local();
    let mut remaining = days;
    while remaining > 0 {
        local += Duration::days(1);
        if !business_days_only || is_business_day(local.weekday()) {
            remaining -= 1;
        }
    }
    local_to_utc(tz, local)
}

fn is_business_day(d: Weekday) -> bool {
    !matches!(d, Weekday::Sat | Weekday::Sun)
}

/// Maps a local wall-clock time to UTC. In the autumn overlap the earlier
/// instant wins; a time inside the spring gap moves forward by the gap.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        LocalResult::None => local_to_utc(tz, local + Duration::hours(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cadence(days: &[u32], business: bool) -> FollowupCadence {
        FollowupCadence {
            cadence_days: days.to_vec(),
            max_attempts: days.len() as u32 + 1,
            business_days_only: business,
        }
    }

    #[test]
    fn weekends_are_skipped_on_business_day_cadences() {
        // Friday 2026-11-27 10:00 in Berlin; one business day later is Monday.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let fri = tz
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let due = next_followup_at(fri, 1, &cadence(&[1], true), tz).unwrap();
        let local = due.with_timezone(&tz);
        assert_eq!(local.weekday(), Weekday::Mon);
        assert_eq!(local.format("%H:%M").to_string(), "10:00");
    }

    #[test]
    fn the_local_hour_survives_a_daylight_saving_change() {
        // 2026-10-23 (Fri) 09:00 New York, EDT; DST ends 2026-11-01.
        let tz: Tz = "America/New_York".parse().unwrap();
        let start = tz
            .with_ymd_and_hms(2026, 10, 30, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let due = next_followup_at(start, 1, &cadence(&[3], false), tz).unwrap();
        assert_eq!(
            due.with_timezone(&tz).format("%F %H:%M").to_string(),
            "2026-11-02 09:00"
        );
        assert_eq!(due.format("%H:%M").to_string(), "14:00"); // EST is UTC-5
    }

    #[test]
    fn an_exhausted_cadence_has_no_next_attempt() {
        let c = cadence(&[1, 3], true);
        assert!(next_followup_at(Utc::now(), 3, &c, Tz::UTC).is_none());
        assert!(next_followup_at(Utc::now(), 2, &c, Tz::UTC).is_some());
    }
}
