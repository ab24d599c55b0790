//! Keyword tables for the qualifier. Tiers are checked in order and the
//! first tier with a matching keyword wins, so exceptions come before the
//! rules they override ("product owner" before "owner", "not right now"
//! before "now").

use super::text::find_keyword;

pub(super) struct Tier {
    pub keywords: &'static [&'static str],
    pub points: u8,
    pub label: &'static str,
}

/// The first matching tier and the keyword that matched.
pub(super) fn first_tier<'t>(
    words: &[String],
    tiers: &'t [Tier],
) -> Option<(&'t Tier, &'static str)> {
    tiers
        .iter()
        .find_map(|t| find_keyword(words, t.keywords).map(|k| (t, k)))
}

const fn tier(keywords: &'static [&'static str], points: u8, label: &'static str) -> Tier {
    Tier {
        keywords,
        points,
        label,
    }
}

/// Job titles, max 20: a decision maker can say yes on the call.
pub(super) const SENIORITY: &[Tier] = &[
    tier(&["intern", "student", "trainee"], 2, "junior role"),
    tier(&["product owner"], 11, "manager-level role"),
    tier(
        &[
            "owner",
            "founder",
            "cofounder",
            "ceo",
            "president",
            "partner",
            "principal",
            "proprietor",
            "chief",
            "cto",
            "cfo",
            "coo",
            "cmo",
            "md",
            "managing director",
        ],
        20,
        "decision maker",
    ),
    tier(
        &["vp", "vice president", "director", "head"],
        16,
        "senior role",
    ),
    tier(
        &["manager", "lead", "supervisor", "administrator"],
        11,
        "manager-level role",
    ),
];

/// Stated intent, max 20: what the lead wants is the strongest signal.
pub(super) const INTENT: &[Tier] = &[
    tier(
        &[
            "just browsing",
            "just looking",
            "browsing",
            "just researching",
            "not interested",
            "student",
            "school project",
            "no need",
            "spam",
            "unsubscribe",
        ],
        0,
        "low intent",
    ),
    tier(
        &[
            "quote",
            "quotes",
            "book",
            "booking",
            "appointment",
            "estimate",
            "hire",
            "buy",
            "purchase",
            "ready",
            "asap",
            "urgent",
            "urgently",
            "pricing",
            "price",
            "prices",
            "cost",
            "demo",
            "call me",
            "schedule",
            "sign up",
            "start",
        ],
        20,
        "buying intent",
    ),
    tier(
        &[
            "interested",
            "information",
            "info",
            "learn",
            "question",
            "questions",
            "consultation",
            "consult",
            "looking for",
            "need",
            "needs",
            "help",
            "options",
        ],
        12,
        "exploring",
    ),
];

/// Timelines, max 15: a near deadline means the sale happens now or not
/// with us. Numeric durations ("2 weeks") are handled by the qualifier.
pub(super) const TIMELINE: &[Tier] = &[
    tier(
        &[
            "next year",
            "later",
            "someday",
            "no rush",
            "not sure",
            "unknown",
            "no plans",
            "not now",
            "not right now",
            "not yet",
        ],
        2,
        "distant timeline",
    ),
    tier(
        &[
            "asap",
            "urgent",
            "immediately",
            "today",
            "tomorrow",
            "now",
            "this week",
            "right away",
        ],
        15,
        "timeline",
    ),
    tier(
        &[
            "next week",
            "this month",
            "couple of weeks",
            "next month",
            "few weeks",
        ],
        11,
        "timeline",
    ),
    tier(
        &["this quarter", "next quarter", "few months"],
        7,
        "timeline",
    ),
];

/// Lead sources, max 10: referrals close best, cold lists worst.
pub(super) const SOURCE: &[Tier] = &[
    tier(
        &["cold", "purchased", "scraped", "outbound", "list"],
        1,
        "cold outreach",
    ),
    tier(
        &[
            "referral",
            "referred",
            "refer",
            "word of mouth",
            "recommendation",
            "partner",
        ],
        10,
        "referral",
    ),
    tier(
        &[
            "ad",
            "ads",
            "adwords",
            "ppc",
            "paid",
            "campaign",
            "facebook",
            "instagram",
            "linkedin",
            "tiktok",
            "social",
        ],
        5,
        "advertising or social",
    ),
    tier(
        &["event", "webinar", "conference", "trade show", "expo"],
        6,
        "event",
    ),
    tier(
        &[
            "website", "web", "form", "contact", "inbound", "landing", "chat", "site", "organic",
            "seo", "search", "zapier", "phone", "call", "walk in", "email",
        ],
        7,
        "inbound",
    ),
];

pub(super) const NO_BUDGET: &[&str] = &["none", "no budget", "zero", "nothing", "no money"];

pub(super) const SOLO: &[&str] = &["solo", "just me", "freelancer", "self employed"];

/// Free-mail providers: an address there is weak evidence of a business buyer.
pub(super) fn is_free_mail(domain: &str) -> bool {
    const EXACT: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "ymail.com",
        "rocketmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "web.de",
        "mail.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "tutanota.com",
        "tuta.io",
        "fastmail.com",
        "hey.com",
        "zoho.com",
        "inbox.com",
        "free.fr",
        "orange.fr",
        "t-online.de",
        "libero.it",
        "comcast.net",
        "verizon.net",
        "att.net",
    ];
    // Providers with one domain per country (yahoo.co.uk, gmx.de, ...).
    const PREFIX: &[&str] = &["yahoo.", "hotmail.", "outlook.", "gmx.", "yandex.", "live."];
    EXACT.contains(&domain) || PREFIX.iter().any(|p| domain.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristic::text::words;

    #[test]
    fn exceptions_win_over_the_rules_they_override() {
        let tier = |text: &str, tiers| first_tier(&words(text), tiers).map(|(t, _)| t.points);
        assert_eq!(tier("Product Owner", SENIORITY), Some(11));
        assert_eq!(tier("Owner", SENIORITY), Some(20));
        assert_eq!(tier("not right now", TIMELINE), Some(2));
        assert_eq!(tier("right now", TIMELINE), Some(15));
        assert_eq!(tier("just browsing prices", INTENT), Some(0));
    }

    #[test]
    fn free_mail_is_recognised_across_country_domains() {
        for d in [
            "gmail.com",
            "yahoo.co.uk",
            "gmx.de",
            "proton.me",
            "outlook.fr",
        ] {
            assert!(is_free_mail(d), "{d}");
        }
        assert!(!is_free_mail("acme-builders.com"));
    }
}
