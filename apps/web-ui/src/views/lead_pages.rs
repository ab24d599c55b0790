//! The leads table with its form, and one lead with everything the AI did.

use super::{Errors, Field, Values, alert, badge, csrf, page, page_with, text, when};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{Markup, html};
use serde_json::Value;
use shared_types::ProductSlug;

/// The enrichment fields of the lead form: (form and metadata key, label,
/// input type, autocomplete).
pub const METADATA_FIELDS: &[(&str, &str, &str)] = &[
    ("company", "Company", "text"),
    ("jobTitle", "Job title", "text"),
    ("companySize", "Company size (employees)", "number"),
    ("intent", "What they asked for", "text"),
    ("budgetRange", "Budget", "text"),
    ("timeline", "Timeline", "text"),
    ("linkedinUrl", "LinkedIn URL", "url"),
];

/// The form's label of a metadata key; keys from elsewhere (an API
/// client's own fields) are shown as they are.
fn metadata_label(key: &str) -> &str {
    METADATA_FIELDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, label, _)| label)
}

/// The product's own column: (header, cell).
fn product_column(ctx: &Ctx, lead: &Value) -> (&'static str, String) {
    let status = lead["status"].as_str().unwrap_or("");
    match ctx.state.product.slug {
        ProductSlug::Booker => (
            "Meeting",
            match status {
                "meeting_scheduled" => "Booked",
                "converted" => "Won",
                "new" => "Working on it",
                _ => "Not booked",
            }
            .into(),
        ),
        ProductSlug::LeadQualifier => {
            let t = ctx.state.product.thresholds;
            let word = match lead["score"].as_i64() {
                None => "Scoring…".to_owned(),
                Some(s) if s >= i64::from(t.hot) => "Hot".into(),
                Some(s) if s >= i64::from(t.warm) => "Warm".into(),
                Some(_) => "Cold".into(),
            };
            ("Qualification", word)
        }
        ProductSlug::FollowUp => (
            "Follow-up",
            match status {
                "new" => "Starting",
                "contacted" | "qualified" => "Following up",
                "meeting_scheduled" => "Meeting booked",
                "converted" => "Won",
                "lost" => "Lost",
                "unqualified" => "Stopped",
                other => other,
            }
            .into(),
        ),
    }
}

fn lead_form(ctx: &Ctx, values: &Values, errors: &Errors) -> Markup {
    let idem = values
        .get("idempotencyKey")
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    html! {
        form.card method="post" action="/leads" novalidate aria-labelledby="add-h" {
            h2 #add-h { "Add a lead" }
            (csrf(ctx))
            input type="hidden" name="idempotencyKey" value=(idem);
            div.grid {
                (Field::new("name", "Name").required().auto("off").render(values, errors))
                (Field::new("email", "Email").kind("email").required().auto("off").render(values, errors))
                (Field::new("phone", "Phone").kind("tel").auto("off").render(values, errors))
                (Field::new("source", "Source").required().hint("Where the lead came from: website, referral, phone…").render(values, errors))
                @for (key, label, kind) in METADATA_FIELDS {
                    (Field::new(key, label).kind(kind).auto("off").render(values, errors))
                }
            }
            button type="submit" { "Add lead" }
        }
    }
}

pub fn leads(
    ctx: &Ctx,
    list: &Value,
    values: &Values,
    errors: &Errors,
    message: Option<&str>,
) -> HttpResponse {
    let empty = Vec::new();
    let rows = list["leads"].as_array().unwrap_or(&empty);
    let (col, _) = product_column(ctx, &Value::Null);
    let status = if message.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        h1 { "Leads" }
        (alert(message))
        (lead_form(ctx, values, errors))
        section aria-labelledby="list-h" {
            h2 #list-h { "Latest leads" }
            @if rows.is_empty() {
                p { "No leads yet. Add one above, or put the form from Settings on your website." }
            } @else {
                div.scroll role="region" aria-label="Latest leads, scrollable table" tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Source" }
                            th scope="col" { "Score" } th scope="col" { (col) } th scope="col" { "Status" } th scope="col" { "Received" }
                        } }
                        tbody {
                            @for l in rows {
                                tr {
                                    td { a href={"/leads/" (text(&l["id"]))} { (text(&l["name"])) } }
                                    td { (text(&l["email"])) }
                                    td { (text(&l["source"])) }
                                    td { (text(&l["score"])) }
                                    td { (product_column(ctx, l).1) }
                                    td { (badge(l["status"].as_str().unwrap_or("new"))) }
                                    td { (when(&l["createdAt"], None)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(c) = list["nextCursor"].as_str() {
                    p { a href={"/leads?cursor=" (c)} { "Older leads" } }
                }
            }
        }
    };
    page(ctx, status, "Leads", body)
}

/// One agent decision: who made it (a rule or the model) and what it said.
fn decision(log: &Value, tz: Option<&str>) -> Markup {
    let by_model = log["implementation"] == "llm";
    let out = &log["output"];
    html! {
        li.decision {
            p {
                strong { (text(&log["agentType"])) " agent" } " · "
                @if by_model {
                    span class="badge neutral" { "AI model" } " " (text(&log["model"]))
                } @else {
                    span class="badge neutral" { "Rule" } " (heuristic " (text(&log["ruleVersion"])) ")"
                }
                @if log["fallback"] == true { " · fell back to the rule" }
                " · " (if log["success"] == true { "succeeded" } else { "failed" })
                " · " (text(&log["durationMs"])) " ms · " (when(&log["createdAt"], tz))
            }
            @if let Some(o) = out.as_object() {
                dl.inline {
                    @for (k, v) in o {
                        @if !v.is_object() && !v.is_array() { dt { (k) } dd { (text(v)) } }
                    }
                }
            }
            @if let Some(e) = log["error"].as_str() { p.error { (e) } }
        }
    }
}

pub fn lead_detail(ctx: &Ctx, lead: &Value, tz: Option<&str>) -> HttpResponse {
    let empty = Vec::new();
    let arr = |k: &str| lead[k].as_array().unwrap_or(&empty).clone();
    let (meetings, messages, workflows) = (arr("meetings"), arr("messages"), arr("workflows"));
    let status = lead["status"].as_str().unwrap_or("new");
    let working = status == "new"
        && workflows
            .iter()
            .all(|w| w["agentLogs"].as_array().is_none_or(|a| a.is_empty()));
    let closed = matches!(status, "converted" | "lost");
    let id = text(&lead["id"]);
    let body = html! {
        p { a href="/leads" { "← All leads" } }
        h1 { (text(&lead["name"])) " " (badge(status)) }
        @if working {
            div.notice role="status" { p { "The AI is working on this lead; this page refreshes by itself." } }
        }
        section.card aria-labelledby="score-h" {
            h2 #score-h { "Score" }
            p.score { span.value { (text(&lead["score"])) } @if lead["score"].is_number() { " / 100" } }
            p { (lead["qualificationReason"].as_str().unwrap_or("Not scored yet.")) }
            dl.inline {
                dt { "Email" } dd { (text(&lead["email"])) }
                dt { "Phone" } dd { (text(&lead["phone"])) }
                dt { "Source" } dd { (text(&lead["source"])) }
                @if let Some(meta) = lead["metadata"].as_object() {
                    @for (k, v) in meta { dt { (metadata_label(k)) } dd { (text(v)) } }
                }
            }
            @if !closed {
                div.actions {
                    form method="post" action={"/leads/" (id) "/status"} {
                        (csrf(ctx)) input type="hidden" name="status" value="converted";
                        button type="submit" { "Mark converted" }
                    }
                    form method="post" action={"/leads/" (id) "/status"} {
                        (csrf(ctx)) input type="hidden" name="status" value="lost";
                        button.secondary type="submit" { "Mark lost" }
                    }
                }
            }
        }
        section.card aria-labelledby="meet-h" {
            h2 #meet-h { "Meetings" }
            @if meetings.is_empty() { p { "No meeting." } }
            ul { @for m in &meetings {
                li { (when(&m["startsAt"], tz)) " to " (when(&m["endsAt"], tz)) " · " (badge(m["status"].as_str().unwrap_or(""))) " · " (text(&m["calendarProvider"])) " calendar" }
            } }
        }
        section.card aria-labelledby="msg-h" {
            h2 #msg-h { "Messages" }
            @if messages.is_empty() { p { "No message yet." } }
            ul { @for m in &messages {
                li {
                    strong { (text(&m["direction"])) " " (text(&m["channel"])) } " · " (text(&m["kind"])) " · "
                    (badge(m["status"].as_str().unwrap_or(""))) " · " (when(&m["createdAt"], tz))
                    @if let Some(s) = m["subject"].as_str() { br; "Subject: " (s) }
                    @if let Some(t) = m["toAddress"].as_str() { br; "To: " (t) }
                }
            } }
        }
        @for w in &workflows {
            section.card aria-label="Workflow" {
                h2 { "Workflow " (badge(w["currentState"].as_str().unwrap_or(""))) }
                h3 { "Timeline" }
                ol.timeline {
                    li { (when(&w["createdAt"], tz)) " · lead received" }
                    @for t in w["transitions"].as_array().unwrap_or(&empty) {
                        li { (when(&t["createdAt"], tz)) " · " (text(&t["fromState"])) " → " (text(&t["toState"]))
                            @if let Some(e) = t["event"].as_str() { " (" (e) ")" } }
                    }
                }
                h3 { "Agent decisions" }
                @let logs = w["agentLogs"].as_array().unwrap_or(&empty);
                @if logs.is_empty() { p { "None yet." } }
                ul.plain { @for l in logs { (decision(l, tz)) } }
            }
        }
    };
    page_with(
        ctx,
        StatusCode::OK,
        lead["name"].as_str().unwrap_or("Lead"),
        working.then_some(2),
        body,
    )
}
