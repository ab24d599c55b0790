//! Ask for JSON, validate it, and give the model one chance to fix it.

use super::client::{GeminiClient, GeminiError};
use serde_json::{Map, Value, json};

/// A repair prompt quotes the bad output; very long output is cut.
const MAX_QUOTED_CHARS: usize = 4_000;

/// What an agent asks of the model.
pub(crate) struct Prompt {
    pub system: String,
    pub user: String,
    /// Gemini's OpenAPI-subset schema (`OBJECT`, `STRING`, `INTEGER`, ...).
    pub schema: Value,
    pub temperature: f32,
}

/// Calls the model and validates its answer. When the answer is invalid the
/// previous output and the problem are sent back once, asking for corrected
/// JSON; a second invalid answer is an error.
pub(crate) async fn ask<T>(
    client: &GeminiClient,
    prompt: &Prompt,
    validate: impl Fn(&str) -> Result<T, String>,
) -> Result<T, GeminiError> {
    let question = json!({ "role": "user", "parts": [ { "text": prompt.user } ] });
    let first = client.generate(prompt, vec![question.clone()]).await?;
    let problem = match validate(&first) {
        Ok(value) => return Ok(value),
        Err(problem) => problem,
    };
    tracing::warn!(problem = %problem, "gemini output invalid; asking for a repair");
    let quoted: String = first.chars().take(MAX_QUOTED_CHARS).collect();
    let repair = format!(
        "Your previous reply was invalid: {problem}. Reply again with only the corrected \
         JSON object, matching the response schema exactly."
    );
    let contents = vec![
        question,
        json!({ "role": "model", "parts": [ { "text": quoted } ] }),
        json!({ "role": "user", "parts": [ { "text": repair } ] }),
    ];
    let second = client.generate(prompt, contents).await?;
    validate(&second).map_err(GeminiError::Invalid)
}

/// The model's text as a JSON object. Tolerates a Markdown code fence, which
/// some models add even in JSON mode.
pub(crate) fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    let trimmed = text.trim();
    let unfenced = trimmed
        .strip_prefix("```")
        .and_then(|rest| rest.strip_suffix("```"))
        .map(|inner| inner.trim_start_matches("json").trim())
        .unwrap_or(trimmed);
    match serde_json::from_str::<Value>(unfenced) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the reply must be a JSON object".into()),
        Err(e) => Err(format!("the reply is not JSON ({e})")),
    }
}

/// A required, non-blank string field, trimmed.
pub(crate) fn required_str(obj: &Map<String, Value>, field: &str) -> Result<String, String> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => Err(format!("`{field}` must not be empty")),
        Some(_) => Err(format!("`{field}` must be a string")),
        None => Err(format!("`{field}` is missing")),
    }
}

/// The agent's input as the prompt shows it: indented JSON.
pub(crate) fn pretty(input: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(input).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_parse_with_or_without_a_fence() {
        assert!(parse_object("{\"a\": 1}").is_ok());
        assert!(parse_object("```json\n{\"a\": 1}\n```").is_ok());
        assert!(parse_object("[1]").unwrap_err().contains("object"));
        assert!(
            parse_object("Sure! Here is")
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn required_strings_must_be_present_and_non_blank() {
        let obj = parse_object(r#"{"a": " x ", "b": " ", "c": 3}"#).unwrap();
        assert_eq!(required_str(&obj, "a").unwrap(), "x");
        assert!(required_str(&obj, "b").unwrap_err().contains("empty"));
        assert!(required_str(&obj, "c").unwrap_err().contains("string"));
        assert!(required_str(&obj, "d").unwrap_err().contains("missing"));
    }
}
