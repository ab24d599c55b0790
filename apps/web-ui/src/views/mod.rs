//! HTML: the page layout, form fields and small formatting helpers.

mod app_pages;
mod lead_pages;
mod public_pages;
mod settings_page;

pub use app_pages::*;
pub use lead_pages::*;
pub use public_pages::*;
pub use settings_page::*;

use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use maud::{DOCTYPE, Markup, html};
use std::collections::{BTreeMap, HashMap};

pub type Values = HashMap<String, String>;
pub type Errors = BTreeMap<String, String>;

/// A whole page: layout around `body`.
pub fn page(ctx: &Ctx, status: StatusCode, title: &str, body: Markup) -> HttpResponse {
    page_with(ctx, status, title, None, body)
}

/// A page that follows work still in progress (the AI or Stripe): with
/// `refresh`, `<main data-refresh>` and `/static/refresh.js` ask for the page
/// again every `refresh` seconds and reload it once, when it no longer
/// says it is waiting. Not a timed `<meta refresh>`: that reloads blindly
/// and moves screen-reader and keyboard users back to the top each time
/// (WCAG 2.2.1). Without JavaScript a "Refresh this page" link remains.
pub fn page_with(
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    refresh: Option<u32>,
    body: Markup,
) -> HttpResponse {
    let name = &ctx.state.product.name;
    let nav: &[(&str, &str)] = if ctx.signed_in() {
        &[
            ("/dashboard", "Dashboard"),
            ("/leads", "Leads"),
            ("/metrics", "Metrics"),
            ("/settings", "Settings"),
        ]
    } else {
        &[("/login", "Log in"), ("/signup", "Sign up")]
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if refresh.is_some() { script src="/static/refresh.js" defer {} }
                title { (title) " · " (name) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.wrap.bar {
                        a.brand href=(if ctx.signed_in() { "/dashboard" } else { "/" }) { (name) }
                        nav aria-label="Main" {
                            ul {
                                @for (href, label) in nav {
                                    li {
                                        @if ctx.path.starts_with(href) {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                                @if ctx.signed_in() {
                                    li {
                                        form method="post" action="/logout" {
                                            (csrf(ctx))
                                            button.link type="submit" { "Log out" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main .wrap tabindex="-1" data-refresh=[refresh] {
                    (body)
                    @if refresh.is_some() {
                        noscript { p { a href="" { "Refresh this page" } } }
                    }
                }
                footer.wrap { p { (name) " · for service businesses with fewer than 10 employees" } }
            }
        }
    };
    ctx.finish(HttpResponse::build(status))
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(markup.into_string())
}

/// The hidden CSRF field every form carries.
pub fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf_token()); }
}

/// The summary above a form that the gateway refused.
pub fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            div.alert role="alert" { p { (m) } }
        }
    }
}

/// A notice (not an error).
pub fn notice(text: &str) -> Markup {
    html! { div.notice role="status" { p { (text) } } }
}

/// One labelled form field, with its hint and its error next to it.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
    pub hint: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            required: false,
            autocomplete: None,
            hint: None,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn auto(mut self, autocomplete: &'a str) -> Self {
        self.autocomplete = Some(autocomplete);
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn render(&self, values: &Values, errors: &Errors) -> Markup {
        let id = format!("f-{}", self.name);
        let err = errors.get(self.name);
        let err_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            err.map(|_| err_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let value = values.get(self.name).map(String::as_str).unwrap_or("");
        html! {
            div.field.invalid[err.is_some()] {
                label for=(id) {
                    (self.label)
                    @if self.required { span.req { " (required)" } }
                }
                @if let Some(h) = self.hint { p.hint id=(hint_id) { (h) } }
                input id=(id) name=(self.name) type=(self.kind) value=(value)
                    required[self.required]
                    autocomplete=[self.autocomplete]
                    aria-invalid=[err.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
                @if let Some(e) = err { p.error id=(err_id) { (self.label) " " (e) } }
            }
        }
    }
}

/// A status word as a coloured badge (text, never colour alone).
pub fn badge(status: &str) -> Markup {
    let tone = match status {
        "active" | "trialing" | "qualified" | "meeting_scheduled" | "converted" | "completed"
        | "sent" | "delivered" | "confirmed" | "scheduled" => "good",
        "past_due" | "unpaid" | "canceled" | "incomplete_expired" | "unqualified" | "lost"
        | "failed" | "escalated" | "bounced" => "bad",
        _ => "neutral",
    };
    html! { span class={"badge " (tone)} { (status.replace('_', " ")) } }
}

/// `2025-01-31T10:00:00Z` as `2025-01-31 10:00 UTC` (or in `tz`).
pub fn when(v: &serde_json::Value, tz: Option<&str>) -> String {
    let Some(t) = v
        .as_str()
        .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
    else {
        return "—".into();
    };
    match tz.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(z) => t.with_timezone(&z).format("%Y-%m-%d %H:%M %Z").to_string(),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A JSON value as short text for a table cell.
pub fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
