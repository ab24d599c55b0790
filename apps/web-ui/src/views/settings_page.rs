//! Settings: business details, API keys and the embeddable lead form.

use super::{Errors, Field, Values, alert, csrf, notice, page, text, when};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{Markup, html};
use serde_json::Value;

pub const DAYS: &[(&str, &str)] = &[
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// The form values of a tenant as the gateway returns it.
pub fn settings_values(tenant: &Value) -> Values {
    let mut v = Values::new();
    for k in [
        "timezone",
        "notificationEmail",
        "fromName",
        "physicalAddress",
    ] {
        if let Some(s) = tenant[k].as_str() {
            v.insert(k.into(), s.into());
        }
    }
    for (day, _) in DAYS {
        if let Some(range) = tenant["businessHours"][*day][0].as_array() {
            v.insert(format!("{day}Open"), text(&range[0]));
            v.insert(format!("{day}Close"), text(&range[1]));
        }
    }
    v
}

fn hours(values: &Values, errors: &Errors) -> Markup {
    let err = errors.get("businessHours");
    html! {
        fieldset.hours aria-describedby="hours-hint" {
            legend { "Business hours" }
            p.hint #hours-hint { "Meetings are only offered inside these hours, in your time zone. Leave a day empty when you are closed." }
            @if let Some(e) = err { p.error role="alert" { "Business hours " (e) } }
            @for (day, label) in DAYS {
                div.day {
                    span.dayname aria-hidden="true" { (label) }
                    @let (o, c) = (format!("{day}Open"), format!("{day}Close"));
                    label for={"f-" (o)} { span.visually-hidden { (label) " " } "opens" }
                    input id={"f-" (o)} name=(o) type="time" value=(values.get(&o).map(String::as_str).unwrap_or(""));
                    label for={"f-" (c)} { span.visually-hidden { (label) " " } "closes" }
                    input id={"f-" (c)} name=(c) type="time" value=(values.get(&c).map(String::as_str).unwrap_or(""));
                }
            }
        }
    }
}

/// The snippet a customer pastes into their website. A plain HTML form
/// cannot send JSON nor the `X-API-Key` header (the gateway answers 415
/// to a form-encoded body), so it carries a few lines of `fetch`.
pub fn embed_snippet(gateway: &str, key: &str) -> String {
    format!(
        r#"<form id="growthos-lead-form">
  <label>Name <input name="name" required autocomplete="name"></label>
  <label>Email <input name="email" type="email" required autocomplete="email"></label>
  <label>Phone <input name="phone" type="tel" autocomplete="tel"></label>
  <label>How can we help? <input name="intent"></label>
  <button type="submit">Send</button>
  <p role="status" id="growthos-lead-status"></p>
</form>
<script>
document.getElementById("growthos-lead-form").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const f = new FormData(e.target), status = document.getElementById("growthos-lead-status");
  const body = {{ name: f.get("name"), email: f.get("email"), source: "website",
    phone: f.get("phone") || undefined, metadata: {{ intent: f.get("intent") || undefined }} }};
  const r = await fetch("{gateway}/api/leads", {{ method: "POST",
    headers: {{ "Content-Type": "application/json", "X-API-Key": "{key}",
      "Idempotency-Key": crypto.randomUUID() }}, body: JSON.stringify(body) }});
  status.textContent = r.ok ? "Thank you, we will be in touch within minutes." : "Sorry, please try again or call us.";
}});
</script>"#
    )
}

pub struct SettingsView<'a> {
    pub tenant: &'a Value,
    pub keys: &'a Value,
    pub values: &'a Values,
    pub errors: &'a Errors,
    pub message: Option<&'a str>,
    pub saved: bool,
    /// A key just created: shown this once.
    pub new_key: Option<&'a Value>,
    pub key_errors: &'a Errors,
}

pub fn settings(ctx: &Ctx, v: SettingsView<'_>) -> HttpResponse {
    let empty = Vec::new();
    let keys = v.keys["apiKeys"].as_array().unwrap_or(&empty);
    let gateway = &ctx.state.cfg.gateway_public_url;
    let snippet_key = v
        .new_key
        .and_then(|k| k["key"].as_str())
        .unwrap_or("YOUR_LEADS_CREATE_KEY");
    let no_values = Values::new();
    let tz = v.tenant["timezone"].as_str();
    let status = if v.message.is_some() || !v.key_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        h1 { "Settings" }
        (alert(v.message))
        @if v.saved { (notice("Settings saved.")) }
        form.card method="post" action="/settings" novalidate aria-labelledby="biz-h" {
            h2 #biz-h { "Your business" }
            (csrf(ctx))
            (Field::new("timezone", "Time zone").required().hint("An IANA name such as America/Chicago or Europe/Paris.").render(v.values, v.errors))
            (hours(v.values, v.errors))
            (Field::new("notificationEmail", "Notification email").kind("email").auto("email")
                .hint("Where we tell you about booked meetings and leads that need you.").render(v.values, v.errors))
            (Field::new("fromName", "Sender name").auto("organization").hint("The name your leads see on our emails.").render(v.values, v.errors))
            (Field::new("physicalAddress", "Postal address").auto("street-address")
                .hint("Required by anti-spam law in every marketing email.").render(v.values, v.errors))
            button type="submit" { "Save settings" }
        }
        section.card aria-labelledby="keys-h" {
            h2 #keys-h { "API keys" }
            p { "A key lets your website form, Zapier or your own scripts send leads. Keys limited to lead creation are safe to put in a web page." }
            @if let Some(k) = v.new_key {
                div.notice role="status" {
                    p { "Your new key " strong { (text(&k["name"])) } ". Copy it now: it is shown only once." }
                    p { code.key { (text(&k["key"])) } }
                }
            }
            form method="post" action="/settings/api-keys" novalidate {
                (csrf(ctx))
                (Field::new("name", "Key name").required().hint("For example: website form").render(&no_values, v.key_errors))
                div.field {
                    label for="f-scope" { "Access" }
                    select #f-scope name="scope" {
                        option value="leads:create" selected { "Create leads only (for web pages)" }
                        option value="full" { "Full access (keep secret)" }
                    }
                }
                button type="submit" { "Create key" }
            }
            @if keys.is_empty() { p { "No key yet." } } @else {
                div.scroll role="region" aria-label="API keys, scrollable table" tabindex="0" {
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Access" } th scope="col" { "Created" } th scope="col" { span.visually-hidden { "Actions" } } } }
                        tbody { @for k in keys {
                            tr {
                                td { (text(&k["name"])) }
                                td { (text(&k["scope"])) }
                                td { (when(&k["createdAt"], tz)) }
                                td { form method="post" action={"/settings/api-keys/" (text(&k["id"])) "/revoke"} {
                                    (csrf(ctx))
                                    button.secondary type="submit" aria-label={"Revoke " (text(&k["name"]))} { "Revoke" }
                                } }
                            }
                        } }
                    }
                }
            }
        }
        section.card #embed aria-labelledby="embed-h" {
            h2 #embed-h { "Lead form for your website" }
            p { "Paste this into any page of your website. Leads go straight to the AI." }
            ul {
                li { "Use a key with “Create leads only” access: it is visible in your page's source." }
                li { "Your website's address must be allowed by the gateway (ask your administrator to add it to CORS_ALLOWED_ORIGINS), or browsers will block the request." }
                li { "A plain HTML form cannot send the JSON the gateway expects, so the snippet has a few lines of JavaScript." }
            }
            label for="snippet" { "Snippet" }
            textarea #snippet readonly rows="14" { (embed_snippet(gateway, snippet_key)) }
        }
    };
    page(ctx, status, "Settings", body)
}
