//! LinkedIn enrichment: the public profile page a lead gave us, fetched
//! through the SSRF guard, reduced to its title and description (Open
//! Graph tags). Best effort: a refusal or a timeout only means no summary.

use crate::provider_call::{ActionError, CallTimer, ProviderCall, transport_error};
use crate::ssrf::guarded_client;
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

/// More than any profile page's head; stops a hostile server from feeding
/// us an endless body.
const MAX_BODY: usize = 512 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct LinkedinConfig {
    pub timeout: Duration,
    /// Tests and development only, as for webhooks.
    pub allow_loopback: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Fetches the page; exactly one `ProviderCall`, also when refused.
pub async fn fetch_profile(
    url: &str,
    cfg: LinkedinConfig,
) -> (Result<ProfileSummary, ActionError>, ProviderCall) {
    let timer = CallTimer::start(
        "enrichment",
        "linkedin",
        None,
        json!({"method": "GET", "url": url}),
    );
    let result = fetch(url, cfg).await;
    let (status, error) = match &result {
        Ok((status, _)) => (Some(*status), None),
        Err((status, e)) => (*status, Some(e.to_string())),
    };
    let response = result.as_ref().ok().map(|(_, s)| json!(s));
    (
        result.map(|(_, s)| s).map_err(|(_, e)| e),
        timer.finish(status, response, error),
    )
}

async fn fetch(
    url: &str,
    cfg: LinkedinConfig,
) -> Result<(u16, ProfileSummary), (Option<u16>, ActionError)> {
    let client = guarded_client(url, cfg.allow_loopback, cfg.timeout)
        .await
        .map_err(|e| (None, e))?;
    let mut response = client
        .get(url)
        .header(reqwest::header::USER_AGENT, crate::USER_AGENT)
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .map_err(|e| {
            (
                None,
                ActionError::Transient(format!("linkedin: {}", transport_error(&e))),
            )
        })?;
    let status = response.status().as_u16();
    if !(200..=299).contains(&status) {
        return Err((
            Some(status),
            ActionError::Permanent(format!("linkedin answered {status}")),
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        (
            Some(status),
            ActionError::Transient(format!("linkedin: {}", transport_error(&e))),
        )
    })? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    Ok((status, summarize(&String::from_utf8_lossy(&body))))
}

/// Open Graph title and description, else the page title.
pub fn summarize(html: &str) -> ProfileSummary {
    let title = meta(html, "og:title").or_else(|| element_text(html, "title"));
    ProfileSummary {
        title,
        description: meta(html, "og:description").or_else(|| meta(html, "description")),
    }
}

fn meta(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<meta") {
        let start = from + i;
        let end = start + lower[start..].find('>')?;
        let tag = &html[start..end];
        let tag_lower = &lower[start..end];
        if attr(tag, tag_lower, "property")
            .or_else(|| attr(tag, tag_lower, "name"))
            .is_some_and(|v| v.eq_ignore_ascii_case(name))
        {
            return attr(tag, tag_lower, "content")
                .map(|v| clean(&v))
                .filter(|v| !v.is_empty());
        }
        from = end;
    }
    None
}

fn attr(tag: &str, tag_lower: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!("{name}={quote}");
        if let Some(i) = tag_lower.find(&needle) {
            let rest = &tag[i + needle.len()..];
            return rest.find(quote).map(|j| rest[..j].to_owned());
        }
    }
    None
}

fn element_text(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find(&format!("<{name}"))?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find(&format!("</{name}"))?;
    Some(clean(&html[start..end])).filter(|t| !t.is_empty())
}

/// Decodes the common entities, collapses whitespace and bounds the length.
fn clean(s: &str) -> String {
    let decoded = s
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(500)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_graph_tags_win_over_the_title() {
        let html = r#"<html><head><title>Ignored | LinkedIn</title>
            <meta property="og:title" content="Dana Whitfield &amp; Co - Owner">
            <META name='description' content='Fallback'>
            <meta property="og:description" content="Owner at Bright Smiles Dental.
                 500+ connections"></head></html>"#;
        assert_eq!(
            summarize(html),
            ProfileSummary {
                title: Some("Dana Whitfield & Co - Owner".into()),
                description: Some("Owner at Bright Smiles Dental. 500+ connections".into()),
            }
        );
        let bare = "<title> Sam Lee </title><meta name=\"description\" content=\"Plumber\">";
        assert_eq!(summarize(bare).title.as_deref(), Some("Sam Lee"));
        assert_eq!(summarize(bare).description.as_deref(), Some("Plumber"));
        assert_eq!(
            summarize("no html at all"),
            ProfileSummary {
                title: None,
                description: None
            }
        );
    }
}
