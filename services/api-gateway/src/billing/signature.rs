//! `Stripe-Signature` verification, done here rather than by async-stripe
//! because Stripe sends one `v1` per active secret while a secret is being
//! rolled, and any of them may be ours.
//!
//! Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`, where each
//! `v1` is the lowercase hex HMAC-SHA256 of `"<t>.<raw body>"` keyed with
//! the whole `whsec_...` string. Schemes other than `v1` are ignored.

use crate::webhook_signing::{any_match, fresh};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            SignatureError::Missing => "missing Stripe-Signature header",
            SignatureError::Malformed => "malformed Stripe-Signature header",
            SignatureError::Stale => "Stripe-Signature timestamp is outside the 5-minute tolerance",
            SignatureError::Mismatch => "Stripe-Signature does not match the payload",
        }
    }
}

/// Accepts the payload if any `v1` signature matches any of `secrets` and
/// the timestamp is within 5 minutes of `now` (either way).
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[SecretString],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<&str> = None;
    let mut signatures: Vec<&str> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" if timestamp.is_none() => timestamp = Some(value.trim()),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let raw_t = timestamp.ok_or(SignatureError::Malformed)?;
    let t: i64 = raw_t.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if !fresh(t, now) {
        return Err(SignatureError::Stale);
    }
    let expected: Vec<String> = secrets
        .iter()
        .map(|s| expected_signature(s.expose_secret().as_bytes(), raw_t, payload))
        .collect();
    if any_match(&expected, &signatures) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn expected_signature(secret: &[u8], timestamp: &str, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600;

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    fn sign(secret: &str, t: i64, body: &str) -> String {
        expected_signature(secret.as_bytes(), &t.to_string(), body.as_bytes())
    }

    #[test]
    fn matches_an_independently_computed_signature() {
        // printf '1767225600.{}' | openssl dgst -sha256 -hmac whsec_test
        let reference = "4a942ef9477fb7b15b98664cf7ff2c2543984c1fa6bdf3520b48dcb25bcd1fe4";
        let header = format!("t={NOW},v1={reference}");
        assert_eq!(
            verify(Some(&header), b"{}", &secrets(&["whsec_test"]), NOW),
            Ok(())
        );
    }

    #[test]
    fn any_v1_and_any_secret_may_match() {
        let body = r#"{"id":"evt_1"}"#;
        let good = sign("whsec_new", NOW, body);
        let other = sign("whsec_old", NOW, body);
        let header = format!("t={NOW},v1={other},v1={good},v0=abc");
        assert_eq!(
            verify(
                Some(&header),
                body.as_bytes(),
                &secrets(&["whsec_new"]),
                NOW
            ),
            Ok(())
        );
        let header = format!("t={NOW},v1={other}");
        assert_eq!(
            verify(
                Some(&header),
                body.as_bytes(),
                &secrets(&["whsec_new", "whsec_old"]),
                NOW
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_missing_malformed_stale_and_wrong() {
        let body = "{}";
        let s = secrets(&["whsec_a"]);
        let sig = sign("whsec_a", NOW, body);
        let case = |h: Option<&str>, now: i64| verify(h, body.as_bytes(), &s, now);
        assert_eq!(case(None, NOW), Err(SignatureError::Missing));
        assert_eq!(case(Some(" "), NOW), Err(SignatureError::Missing));
        assert_eq!(
            case(Some(&format!("v1={sig}")), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            case(Some(&format!("t=abc,v1={sig}")), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            case(Some(&format!("t={NOW},v0={sig}")), NOW),
            Err(SignatureError::Malformed)
        );
        let h = format!("t={NOW},v1={sig}");
        assert_eq!(case(Some(&h), NOW + 301), Err(SignatureError::Stale));
        assert_eq!(case(Some(&h), NOW - 301), Err(SignatureError::Stale));
        assert_eq!(case(Some(&h), NOW + 300), Ok(()));
        let other = sign("whsec_b", NOW, body);
        assert_eq!(
            case(Some(&format!("t={NOW},v1={other}")), NOW),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed: moving it breaks the signature.
        assert_eq!(
            case(Some(&format!("t={},v1={sig}", NOW + 1)), NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&h), b"{ }", &s, NOW),
            Err(SignatureError::Mismatch),
            "the raw body is signed"
        );
    }
}
