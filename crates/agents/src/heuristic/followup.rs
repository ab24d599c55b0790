//! Template follow-up messages: a different message for the first contact,
//! the second and third nudges and the last attempt, personalised with what
//! the lead told us.

use crate::{FollowupRequest, LeadContext};
use shared_types::{AgentType, FollowupMessage};

pub const RULE_VERSION: &str = "heuristic-followup/1";

/// Long intents are cut so a pasted essay does not become the email.
const MAX_INTENT_CHARS: usize = 140;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    First,
    Second,
    Later,
    Last,
}

impl Stage {
    pub(crate) fn of(req: &FollowupRequest) -> Self {
        if req.attempt >= req.max_attempts.max(1) {
            Self::Last
        } else {
            match req.attempt {
                0 | 1 => Self::First,
                2 => Self::Second,
                _ => Self::Later,
            }
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::First => "first contact",
            Self::Second => "second follow-up",
            Self::Later => "later follow-up",
            Self::Last => "last attempt, closing the loop",
        }
    }
}

pub(crate) fn write_followup(lead: &LeadContext, req: &FollowupRequest) -> FollowupMessage {
    let first = lead.first_name();
    let business = lead.business_name.trim();
    let business = if business.is_empty() {
        "our team"
    } else {
        business
    };
    let sender = match req.from_name.trim() {
        "" => business.to_owned(),
        name if name == business => name.to_owned(),
        name => format!("{name}\n{business}"),
    };
    let topic = lead.meta_str("intent").map(short_intent);
    let at_company = lead
        .meta_str("company")
        .map(|c| format!(" at {c}"))
        .unwrap_or_default();
    let about = topic
        .as_deref()
        .map(|t| format!(" about \"{t}\""))
        .unwrap_or_default();
    // Products that book meetings ask for a call; the others ask for a reply.
    let wants_call =
        req.product.allows(AgentType::Scheduler) || req.product.goal.contains("meeting");
    let ask = if wants_call {
        "Would a short call this week work? Just reply with a time that suits you."
    } else {
        "Just reply to this email and I'll get back to you the same day."
    };

    let (subject, body) = match Stage::of(req) {
        Stage::First => (
            format!("Thanks for reaching out, {first}"),
            format!(
                "Hi {first},\n\nThanks for getting in touch with {business}{about}. \
                 I'd love to learn more about what you and the team{at_company} need.\n\n{ask}"
            ),
        ),
        Stage::Second => (
            format!("Following up, {first}"),
            format!(
                "Hi {first},\n\nI wanted to follow up on your message{about}. \
                 Happy to answer any questions or put together some options for you.\n\n{ask}"
            ),
        ),
        Stage::Later => (
            format!("Still interested, {first}?"),
            format!(
                "Hi {first},\n\nI know things get busy, so I'm checking in once more. \
                 If the timing is better now, we can pick up right where we left off{about}.\n\n{ask}"
            ),
        ),
        Stage::Last => (
            format!("Should I close your request, {first}?"),
            format!(
                "Hi {first},\n\nI haven't heard back, so I'll assume now isn't the right time \
                 and close your request{about}. If anything changes, just reply to this email \
                 and we'll pick it up again."
            ),
        ),
    };
    FollowupMessage {
        subject,
        body: format!("{body}\n\nBest,\n{sender}"),
    }
}

/// The intent as a phrase: one line, without trailing punctuation.
fn short_intent(intent: &str) -> String {
    let line = intent.lines().next().unwrap_or_default();
    let cut: String = line.chars().take(MAX_INTENT_CHARS).collect();
    let cut = if line.chars().count() > MAX_INTENT_CHARS {
        format!("{}…", cut.trim_end())
    } else {
        cut
    };
    cut.trim_end_matches(['.', '!', '?', ' ']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use rules_engine::Catalog;
    use serde_json::json;
    use shared_types::{LeadInput, ProductSlug};
    use uuid::Uuid;

    fn lead(metadata: serde_json::Value) -> LeadContext {
        let input: LeadInput = serde_json::from_value(json!({"name": "Sam Lee",
            "email": "sam@acme.com", "source": "website", "metadata": metadata}))
        .unwrap();
        LeadContext {
            lead_id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            profile: input.parse().unwrap(),
            received_at: Utc::now(),
            business_name: "Joe's Plumbing".into(),
        }
    }

    fn request(attempt: u32, slug: ProductSlug) -> FollowupRequest {
        FollowupRequest {
            attempt,
            max_attempts: 4,
            product: std::sync::Arc::new(Catalog::embedded().get(slug).clone()),
            from_name: "Joe".into(),
        }
    }

    #[test]
    fn every_attempt_gets_its_own_personal_message() {
        let l = lead(json!({"company": "Acme", "intent": "Water heater install."}));
        let msgs: Vec<FollowupMessage> = (1..=4)
            .map(|n| write_followup(&l, &request(n, ProductSlug::Booker)))
            .collect();
        for (i, m) in msgs.iter().enumerate() {
            assert!(m.subject.contains("Sam"), "{m:?}");
            assert!(m.body.starts_with("Hi Sam,"), "{m:?}");
            assert!(m.body.contains("Joe\nJoe's Plumbing"), "{m:?}");
            for other in &msgs[i + 1..] {
                assert_ne!(m.subject, other.subject);
                assert_ne!(m.body, other.body);
            }
        }
        assert!(
            msgs[0].body.contains("about \"Water heater install\""),
            "{}",
            msgs[0].body
        );
        assert!(msgs[0].body.contains("at Acme"), "{}", msgs[0].body);
        assert!(msgs[3].subject.contains("close"), "{}", msgs[3].subject);
    }

    #[test]
    fn the_call_to_action_follows_the_product() {
        let l = lead(json!({}));
        let booker = write_followup(&l, &request(1, ProductSlug::Booker));
        let followup = write_followup(&l, &request(1, ProductSlug::FollowUp));
        assert!(booker.body.contains("short call"));
        assert!(followup.body.contains("reply to this email"));
    }

    #[test]
    fn a_lead_without_details_still_gets_a_complete_message() {
        let mut l = lead(json!({}));
        l.business_name = String::new();
        let mut req = request(9, ProductSlug::FollowUp);
        req.from_name = " ".into();
        let m = write_followup(&l, &req);
        assert!(!m.subject.trim().is_empty() && !m.body.trim().is_empty());
        assert!(m.body.ends_with("Best,\nour team"), "{}", m.body);
        assert_eq!(Stage::of(&req), Stage::Last);
    }

    #[test]
    fn long_intents_are_shortened_to_one_line() {
        let long = format!("{}\nsecond line", "a".repeat(300));
        let s = short_intent(&long);
        assert_eq!(s.chars().count(), MAX_INTENT_CHARS + 1);
        assert!(!s.contains('\n'));
    }
}
