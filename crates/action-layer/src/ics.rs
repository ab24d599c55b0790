//! RFC 5545 meeting invitation (`METHOD:REQUEST`), sent as an .ics
//! attachment when the internal calendar books a meeting.

use chrono::{DateTime, Utc};

/// RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, CRLF excluded.
const MAX_LINE_OCTETS: usize = 75;

/// Builds a one-event VCALENDAR invitation from `organizer_email` to
/// `attendee_email`. Text is escaped and every line folded, with CRLF endings.
#[allow(clippy::too_many_arguments)] // the signature mirrors the fields of one invite
pub fn invite_ics(
    uid: &str,
    summary: &str,
    description: &str,
    organizer_email: &str,
    attendee_email: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//GrowthOS//Booking//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:REQUEST".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape_text(uid)),
        format!("DTSTAMP:{}", utc_stamp(now)),
        format!("DTSTART:{}", utc_stamp(starts_at)),
        format!("DTEND:{}", utc_stamp(ends_at)),
        format!("SUMMARY:{}", escape_text(summary)),
        format!("DESCRIPTION:{}", escape_text(description)),
        format!("ORGANIZER:mailto:{}", address(organizer_email)),
        format!(
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{}",
            address(attendee_email)
        ),
        "SEQUENCE:0".to_owned(),
        "STATUS:CONFIRMED".to_owned(),
        "TRANSP:OPAQUE".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|line| fold(line)).collect()
}

/// Form #2 of RFC 5545 DATE-TIME: UTC with the `Z` suffix, so no VTIMEZONE
/// block is needed.
fn utc_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 §3.3.11). Bare CRs are dropped, newlines become
/// `\n`, so user-supplied text cannot inject properties.
fn escape_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The bare address of `raw`, which may be `Name <addr>` (a CAL-ADDRESS
/// is a mailto URI: no display name, no spaces).
fn address(raw: &str) -> String {
    let bare = raw
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or(raw, |(inside, _)| inside);
    bare.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

/// Folds one content line into ≤75-octet physical lines, each ending in
/// CRLF; continuation lines start with one space. Never splits a UTF-8
/// character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_display_names_and_spaces() {
        assert_eq!(address("Ops <ops@example.com>"), "ops@example.com");
        assert_eq!(address("\"A <b>\" <real@x.io>"), "real@x.io");
        assert_eq!(address(" dana@x.io\r\n"), "dana@x.io");
    }

    #[test]
    fn text_special_characters_are_escaped() {
        assert_eq!(escape_text("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn folding_keeps_multibyte_characters_whole() {
        let folded = fold(&"é".repeat(100));
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= MAX_LINE_OCTETS, "{} octets", line.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), "é".repeat(100));
    }
}
