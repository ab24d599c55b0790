//! Finds bookable meeting slots inside a tenant's business hours.
//!
//! Slots are built as local wall-clock times on a 30-minute grid and only
//! then converted to UTC, so "09:00" stays 09:00 local on both sides of a
//! daylight-saving change.

use crate::{AgentError, SlotRequest};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use shared_types::{MeetingSlot, SlotChoice};

pub const RULE_VERSION: &str = "heuristic-scheduler/1";

const GRID_MINUTES: u32 = 30;
/// Nobody can prepare for a meeting that starts in ten minutes.
const LEAD_TIME: Duration = Duration::hours(1);
const MAX_OFFERED: usize = 3;
/// Bounds the search so a bad request cannot spin for years of days.
const MAX_HORIZON_DAYS: u32 = 366;

/// Up to three free slots on distinct local days, earliest first. On each
/// day the earliest free slot is offered, so a free morning slot (before
/// noon) always wins over the afternoon.
pub(crate) fn find_slots(req: &SlotRequest) -> Result<Vec<MeetingSlot>, AgentError> {
    if !(1..=24 * 60).contains(&req.duration_minutes) {
        return Err(AgentError::InvalidSlotRequest(
            "duration_minutes must be 1..=1440",
        ));
    }
    if req.horizon_days > MAX_HORIZON_DAYS {
        return Err(AgentError::InvalidSlotRequest(
            "horizon_days must be at most 366",
        ));
    }
    let first_day = req.now.with_timezone(&req.tz).date_naive();
    let offered: Vec<MeetingSlot> = first_day
        .iter_days()
        .take(req.horizon_days as usize + 1)
        .filter_map(|day| first_free_on(day, req))
        .take(MAX_OFFERED)
        .collect();
    if offered.is_empty() {
        Err(AgentError::NoFreeSlot)
    } else {
        Ok(offered)
    }
}

fn first_free_on(day: chrono::NaiveDate, req: &SlotRequest) -> Option<MeetingSlot> {
    let duration = Duration::minutes(i64::from(req.duration_minutes));
    let earliest = req.now + LEAD_TIME;
    let horizon_end = req.now + Duration::days(i64::from(req.horizon_days));
    let grid = Duration::minutes(i64::from(GRID_MINUTES));
    for &(open, close) in req.business_hours.on(day.weekday()) {
        let close_at = day.and_time(close);
        let mut local = day.and_time(round_up_to_grid(open)?);
        while local + duration <= close_at {
            if let Some(slot) = slot_at(local, duration, req.tz)
                && slot.starts_at >= earliest
                && slot.starts_at < horizon_end
                && !req.busy.iter().any(|b| overlaps(b, &slot))
            {
                return Some(slot);
            }
            local += grid;
        }
    }
    None
}

/// `None` when the local time does not exist (inside a spring-forward gap):
/// `local_to_utc` would move it past the hour the business asked for.
fn slot_at(local: NaiveDateTime, duration: Duration, tz: Tz) -> Option<MeetingSlot> {
    let starts_at = rules_engine::local_to_utc(tz, local);
    (starts_at.with_timezone(&tz).naive_local() == local).then(|| MeetingSlot {
        starts_at,
        ends_at: starts_at + duration,
    })
}

fn overlaps(a: &MeetingSlot, b: &MeetingSlot) -> bool {
    a.starts_at < b.ends_at && b.starts_at < a.ends_at
}

/// The first grid time at or after `t`, or `None` past midnight.
fn round_up_to_grid(t: NaiveTime) -> Option<NaiveTime> {
    let minutes = t.hour() * 60 + t.minute() + u32::from(t.second() > 0 || t.nanosecond() > 0);
    let rounded = minutes.div_ceil(GRID_MINUTES) * GRID_MINUTES;
    NaiveTime::from_hms_opt(rounded / 60, rounded % 60, 0)
}

/// The heuristic's pick: the earliest offered slot.
pub(crate) fn choose_slot(offered: Vec<MeetingSlot>, tz: Tz) -> Result<SlotChoice, AgentError> {
    let chosen = *offered.first().ok_or(AgentError::NoFreeSlot)?;
    let others: Vec<String> = offered[1..]
        .iter()
        .map(|s| describe_slot(s.starts_at, tz))
        .collect();
    let mut reason = format!(
        "Earliest free slot: {}",
        describe_slot(chosen.starts_at, tz)
    );
    if !others.is_empty() {
        reason.push_str(&format!("; also offered {}", others.join(", ")));
    }
    reason.push_str(&format!(" ({tz})."));
    Ok(SlotChoice {
        offered,
        chosen,
        reason,
    })
}

/// "Mon 2 Nov 09:00 EST": how a person in `tz` reads the slot.
pub(crate) fn describe_slot(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;
    use shared_types::BusinessHours;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339 literal")
            .with_timezone(&Utc)
    }

    fn request(tz: &str, now: &str) -> SlotRequest {
        SlotRequest {
            tz: tz.parse().expect("known tz"),
            business_hours: BusinessHours::default(),
            duration_minutes: 30,
            now: utc(now),
            busy: vec![],
            horizon_days: 14,
        }
    }

    fn starts(slots: &[MeetingSlot]) -> Vec<String> {
        slots.iter().map(|s| s.starts_at.to_rfc3339()).collect()
    }

    #[test]
    fn nine_am_new_york_moves_in_utc_when_daylight_saving_ends() {
        // Friday 2026-10-30 12:00 EDT; DST ends Sunday 2026-11-01.
        let slots = find_slots(&request("America/New_York", "2026-10-30T16:00:00Z")).unwrap();
        assert_eq!(
            starts(&slots),
            [
                "2026-10-30T17:00:00+00:00", // Fri 13:00 EDT: first grid time after now + 1h
                "2026-11-02T14:00:00+00:00", // Mon 09:00 EST (UTC-5)
                "2026-11-03T14:00:00+00:00",
            ]
        );
    }

    #[test]
    fn nine_am_berlin_moves_in_utc_when_daylight_saving_starts() {
        // Friday 2026-03-27 10:00 CET; DST starts Sunday 2026-03-29.
        let slots = find_slots(&request("Europe/Berlin", "2026-03-27T09:00:00Z")).unwrap();
        assert_eq!(
            starts(&slots),
            [
                "2026-03-27T10:00:00+00:00", // Fri 11:00 CET
                "2026-03-30T07:00:00+00:00", // Mon 09:00 CEST (UTC+2)
                "2026-03-31T07:00:00+00:00",
            ]
        );
    }

    #[test]
    fn times_inside_the_spring_gap_are_never_offered() {
        let mut req = request("Europe/Berlin", "2026-03-28T12:00:00Z");
        req.business_hours = serde_json::from_value(json!({"sun": [["02:00", "04:00"]]})).unwrap();
        let slots = find_slots(&req).unwrap();
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let first = slots[0].starts_at.with_timezone(&tz);
        assert_eq!(
            first.format("%F %H:%M %Z").to_string(),
            "2026-03-29 03:00 CEST"
        );
    }

    #[test]
    fn busy_intervals_are_skipped() {
        // Monday 2026-06-01 08:00 CEST; 09:00-10:30 local is taken.
        let mut req = request("Europe/Berlin", "2026-06-01T06:00:00Z");
        req.duration_minutes = 60;
        req.busy = vec![MeetingSlot {
            starts_at: utc("2026-06-01T07:00:00Z"),
            ends_at: utc("2026-06-01T08:30:00Z"),
        }];
        let slots = find_slots(&req).unwrap();
        assert_eq!(slots[0].starts_at, utc("2026-06-01T08:30:00Z"));
        assert_eq!(slots[0].ends_at, utc("2026-06-01T09:30:00Z"));
    }

    #[test]
    fn weekends_without_hours_are_skipped() {
        let slots = find_slots(&request("Europe/Berlin", "2026-06-06T08:00:00Z")).unwrap();
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let days: Vec<String> = slots
            .iter()
            .map(|s| {
                s.starts_at
                    .with_timezone(&tz)
                    .format("%a %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(days, ["Mon 09:00", "Tue 09:00", "Wed 09:00"]);
    }

    #[test]
    fn a_fully_booked_horizon_has_no_free_slot() {
        let mut req = request("Europe/Berlin", "2026-06-06T08:00:00Z");
        req.horizon_days = 1; // Saturday and Sunday only
        assert_eq!(find_slots(&req), Err(AgentError::NoFreeSlot));
        req.horizon_days = 7;
        req.busy = vec![MeetingSlot {
            starts_at: req.now,
            ends_at: req.now + Duration::days(8),
        }];
        assert_eq!(find_slots(&req), Err(AgentError::NoFreeSlot));
    }

    #[test]
    fn off_grid_opening_hours_start_at_the_next_half_hour() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(round_up_to_grid(t(9, 10)), Some(t(9, 30)));
        assert_eq!(round_up_to_grid(t(9, 0)), Some(t(9, 0)));
        assert_eq!(round_up_to_grid(t(23, 45)), None);
    }

    #[test]
    fn the_heuristic_chooses_the_earliest_offer_and_explains_it_locally() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let at = tz
            .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let slot = MeetingSlot {
            starts_at: at,
            ends_at: at + Duration::minutes(30),
        };
        let choice = choose_slot(vec![slot], tz).unwrap();
        assert_eq!(choice.chosen, slot);
        assert!(
            choice.reason.contains("Mon 2 Nov 09:00 EST"),
            "{}",
            choice.reason
        );
        assert_eq!(choose_slot(vec![], tz), Err(AgentError::NoFreeSlot));
    }
}
