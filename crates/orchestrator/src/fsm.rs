//! The workflow state machine as a data table (ARCHITECTURE.md "Workflow
//! FSM"). Rows are tried in order; the first whose `from`, trigger and
//! condition match wins.

use shared_types::{AgentType, EventType, LeadStatus, NextAction, WorkflowState as S};

/// What woke the workflow up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The step the workflow is in should run (lead_created, lead_qualified).
    Advance,
    /// The scheduler says a follow-up (or the escalation deadline) is due.
    FollowupDue,
    /// The lead answered, or the tenant closed the lead.
    Closed,
}

impl Trigger {
    pub fn from_event(e: EventType) -> Option<Self> {
        match e {
            EventType::LeadCreated | EventType::LeadQualified => Some(Self::Advance),
            EventType::FollowupDue => Some(Self::FollowupDue),
            EventType::LeadReplied => Some(Self::Closed),
            _ => None,
        }
    }
}

/// Facts about the workflow the conditions look at.
#[derive(Debug, Clone)]
pub struct Facts {
    pub allowed: Vec<AgentType>,
    pub next_action: Option<NextAction>,
    pub attempts: u32,
    pub max_attempts: u32,
}

impl Facts {
    fn allows(&self, a: AgentType) -> bool {
        self.allowed.contains(&a)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Allowed(AgentType),
    FirstContactWithoutQualifier,
    NextIs(NextAction),
    MeetingWanted,
    FollowupAllowed,
    Always,
    AttemptsLeft,
    AttemptsExhausted,
}

impl Condition {
    fn holds(self, f: &Facts) -> bool {
        match self {
            Condition::Allowed(a) => f.allows(a),
            Condition::FirstContactWithoutQualifier => {
                !f.allows(AgentType::Qualifier) && f.allows(AgentType::Followup)
            }
            Condition::NextIs(a) => f.next_action == Some(a),
            Condition::MeetingWanted => {
                f.next_action == Some(NextAction::ScheduleMeeting) && f.allows(AgentType::Scheduler)
            }
            Condition::FollowupAllowed => f.allows(AgentType::Followup),
            Condition::Always => true,
            Condition::AttemptsLeft => f.attempts < f.max_attempts,
            Condition::AttemptsExhausted => f.attempts >= f.max_attempts,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [S],
    pub trigger: Trigger,
    pub when: Condition,
    pub agent: Option<AgentType>,
    pub to: S,
    pub emits: EventType,
    /// Lead status written on success, when the row changes it.
    pub lead_status: Option<LeadStatus>,
    /// State when the agent or its action fails permanently.
    pub on_failure: Option<S>,
}

use AgentType::{Followup, Qualifier, Scheduler};
use Condition::*;
use EventType as E;
use Trigger::{Advance, Closed, FollowupDue};

// One row per line of ARCHITECTURE.md's table, in the same order.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    Transition { from: &[S::LeadReceived], trigger: Advance, when: Allowed(Qualifier), agent: Some(Qualifier),
        to: S::Qualified, emits: E::LeadQualified, lead_status: None, on_failure: Some(S::Failed) },
    Transition { from: &[S::LeadReceived], trigger: Advance, when: FirstContactWithoutQualifier, agent: Some(Followup),
        to: S::FollowingUp, emits: E::FollowupSent, lead_status: Some(LeadStatus::Contacted), on_failure: Some(S::Escalated) },
    Transition { from: &[S::Qualified], trigger: Advance, when: NextIs(NextAction::Disqualify), agent: None,
        to: S::Completed, emits: E::WorkflowCompleted, lead_status: Some(LeadStatus::Unqualified), on_failure: None },
    Transition { from: &[S::Qualified], trigger: Advance, when: MeetingWanted, agent: Some(Scheduler),
        to: S::MeetingScheduled, emits: E::MeetingScheduled, lead_status: Some(LeadStatus::MeetingScheduled), on_failure: Some(S::FollowingUp) },
    Transition { from: &[S::Qualified], trigger: Advance, when: FollowupAllowed, agent: Some(Followup),
        to: S::FollowingUp, emits: E::FollowupSent, lead_status: Some(LeadStatus::Contacted), on_failure: Some(S::Escalated) },
    Transition { from: &[S::Qualified], trigger: Advance, when: Always, agent: None,
        to: S::Completed, emits: E::WorkflowCompleted, lead_status: None, on_failure: None },
    Transition { from: &[S::FollowingUp], trigger: FollowupDue, when: AttemptsLeft, agent: Some(Followup),
        to: S::FollowingUp, emits: E::FollowupSent, lead_status: Some(LeadStatus::Contacted), on_failure: Some(S::Escalated) },
    Transition { from: &[S::FollowingUp], trigger: FollowupDue, when: AttemptsExhausted, agent: None,
        to: S::Escalated, emits: E::WorkflowEscalated, lead_status: None, on_failure: None },
    // A lead that answered, converted or was lost is never contacted again,
    // whatever step its workflow had reached.
    Transition { from: &[S::LeadReceived, S::Qualified, S::FollowingUp, S::MeetingScheduled], trigger: Closed, when: Always, agent: None,
        to: S::Completed, emits: E::WorkflowCompleted, lead_status: None, on_failure: None },
];

/// The first transition that applies, if any.
pub fn select(state: S, trigger: Trigger, facts: &Facts) -> Option<&'static Transition> {
    TRANSITIONS
        .iter()
        .find(|t| t.from.contains(&state) && t.trigger == trigger && t.when.holds(facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(allowed: &[AgentType], next: Option<NextAction>) -> Facts {
        Facts {
            allowed: allowed.to_vec(),
            next_action: next,
            attempts: 0,
            max_attempts: 3,
        }
    }

    #[test]
    fn booker_books_hot_leads_and_follows_up_warm_ones() {
        let all = [Qualifier, Scheduler, Followup];
        let f = facts(&all, None);
        assert_eq!(
            select(S::LeadReceived, Advance, &f).unwrap().agent,
            Some(Qualifier)
        );
        let hot = facts(&all, Some(NextAction::ScheduleMeeting));
        assert_eq!(
            select(S::Qualified, Advance, &hot).unwrap().to,
            S::MeetingScheduled
        );
        let warm = facts(&all, Some(NextAction::Followup));
        assert_eq!(
            select(S::Qualified, Advance, &warm).unwrap().to,
            S::FollowingUp
        );
        let cold = facts(&all, Some(NextAction::Disqualify));
        let t = select(S::Qualified, Advance, &cold).unwrap();
        assert_eq!(
            (t.to, t.lead_status),
            (S::Completed, Some(LeadStatus::Unqualified))
        );
    }

    #[test]
    fn lead_qualifier_follows_up_hot_leads_because_it_cannot_book() {
        let hot = facts(&[Qualifier, Followup], Some(NextAction::ScheduleMeeting));
        assert_eq!(
            select(S::Qualified, Advance, &hot).unwrap().agent,
            Some(Followup)
        );
    }

    #[test]
    fn followup_product_contacts_the_lead_first() {
        let t = select(S::LeadReceived, Advance, &facts(&[Followup], None)).unwrap();
        assert_eq!((t.agent, t.to), (Some(Followup), S::FollowingUp));
    }

    #[test]
    fn follow_ups_stop_at_the_maximum_and_escalate() {
        let mut f = facts(&[Followup], None);
        f.attempts = 3;
        assert_eq!(
            select(S::FollowingUp, FollowupDue, &f).unwrap().to,
            S::Escalated
        );
        f.attempts = 2;
        assert_eq!(
            select(S::FollowingUp, FollowupDue, &f).unwrap().agent,
            Some(Followup)
        );
    }

    #[test]
    fn terminal_states_have_no_transitions() {
        let f = facts(
            &[Qualifier, Scheduler, Followup],
            Some(NextAction::Followup),
        );
        for s in [S::Completed, S::Escalated, S::Failed] {
            for t in [Advance, FollowupDue, Closed] {
                assert!(select(s, t, &f).is_none());
            }
        }
    }
}
