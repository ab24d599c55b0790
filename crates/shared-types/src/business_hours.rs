//! A tenant's opening hours, in its own timezone.
//! JSON shape (API.md): `{"mon":[["09:00","17:00"]], "tue": [...], ...}`.

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Opening intervals per weekday, sorted and non-overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    days: [Vec<(NaiveTime, NaiveTime)>; 7],
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00 to 17:00.
    fn default() -> Self {
        let nine_to_five = vec![(
            NaiveTime::from_hms_opt(9, 0, 0).expect("valid"),
            NaiveTime::from_hms_opt(17, 0, 0).expect("valid"),
        )];
        let mut days: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for d in days.iter_mut().take(5) {
            *d = nine_to_five.clone();
        }
        Self { days }
    }
}

impl BusinessHours {
    pub fn on(&self, day: Weekday) -> &[(NaiveTime, NaiveTime)] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Parses the API shape, reporting the first problem in words.
    pub fn parse(raw: &BTreeMap<String, Vec<[String; 2]>>) -> Result<Self, String> {
        let mut days: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for (key, intervals) in raw {
            let (_, weekday) = DAYS
                .iter()
                .find(|(k, _)| k == key)
                .ok_or_else(|| format!("unknown day `{key}` (use mon..sun)"))?;
            let mut parsed = Vec::with_capacity(intervals.len());
            for [open, close] in intervals {
                let t = |s: &str| {
                    NaiveTime::parse_from_str(s, "%H:%M")
                        .map_err(|_| format!("`{s}` on {key} is not a HH:MM time"))
                };
                let (o, c) = (t(open)?, t(close)?);
                if o >= c {
                    return Err(format!("{key}: {open} is not before {close}"));
                }
                parsed.push((o, c));
            }
            parsed.sort();
            if parsed.windows(2).any(|w| w[0].1 > w[1].0) {
                return Err(format!("{key}: intervals overlap"));
            }
            days[weekday.num_days_from_monday() as usize] = parsed;
        }
        if days.iter().all(Vec::is_empty) {
            return Err("at least one day must have opening hours".into());
        }
        Ok(Self { days })
    }

    fn to_raw(&self) -> BTreeMap<String, Vec<[String; 2]>> {
        DAYS.iter()
            .filter(|(_, d)| !self.on(*d).is_empty())
            .map(|(k, d)| {
                let v = self
                    .on(*d)
                    .iter()
                    .map(|(o, c)| [o.format("%H:%M").to_string(), c.format("%H:%M").to_string()])
                    .collect();
                ((*k).to_owned(), v)
            })
            .collect()
    }
}

impl Serialize for BusinessHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_raw().serialize(s)
    }
}

impl<'de> Deserialize<'de> for BusinessHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, Vec<[String; 2]>>::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_the_api_shape() {
        let v = json!({"mon":[["09:00","12:00"],["13:00","17:00"]],"sat":[["10:00","14:00"]]});
        let bh: BusinessHours = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(bh.on(Weekday::Mon).len(), 2);
        assert!(bh.on(Weekday::Tue).is_empty());
        assert_eq!(serde_json::to_value(&bh).unwrap(), v);
    }

    #[test]
    fn bad_hours_are_refused_with_a_reason() {
        for bad in [
            json!({"mon":[["17:00","09:00"]]}),
            json!({"funday":[["09:00","10:00"]]}),
            json!({"mon":[["9am","10:00"]]}),
            json!({"mon":[["09:00","12:00"],["11:00","13:00"]]}),
            json!({}),
        ] {
            assert!(
                serde_json::from_value::<BusinessHours>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
