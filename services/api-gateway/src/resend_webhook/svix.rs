//! Svix signatures, as Resend's webhooks carry them and as Svix's own
//! libraries check them:
//!
//! - `svix-id`: the message id, the same on every retry of a delivery;
//! - `svix-timestamp`: unix seconds when this attempt was signed;
//! - `svix-signature`: space-separated `v1,<base64>` entries (several while
//!   a secret is being rotated); other versions are ignored.
//!
//! Each `v1` is the standard base64 of HMAC-SHA256 over
//! `"{svix-id}.{svix-timestamp}.{raw body}"`, keyed with the base64-decoded
//! part of the `whsec_...` secret after its prefix.

use crate::webhook_signing::{any_match, fresh};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Secrets are decoded whether or not their padding was kept.
const SECRET_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The three headers as received; `None` when absent or not ASCII.
#[derive(Debug, Clone, Copy, Default)]
pub struct SvixHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SvixError {
    Missing(&'static str),
    MalformedId,
    MalformedTimestamp,
    Stale,
    Mismatch,
}

impl SvixError {
    pub fn message(self) -> String {
        match self {
            SvixError::Missing(h) => format!("missing {h} header"),
            SvixError::MalformedId => "malformed svix-id header".into(),
            SvixError::MalformedTimestamp => "malformed svix-timestamp header".into(),
            SvixError::Stale => {
                "svix-timestamp is outside the 5-minute tolerance (too old or in the future)".into()
            }
            SvixError::Mismatch => "svix-signature does not match the payload".into(),
        }
    }
}

/// A message id we store as a key: 1 to 255 printable ASCII characters.
pub fn valid_id(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Checks Svix signatures with one endpoint secret.
#[derive(Clone)]
pub struct SvixVerifier {
    key: Vec<u8>,
}

/// The key never shows in logs.
impl std::fmt::Debug for SvixVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SvixVerifier(..)")
    }
}

impl SvixVerifier {
    /// From the endpoint's signing secret, `whsec_<base64 key>` (the prefix
    /// is optional, as in Svix's libraries).
    pub fn new(secret: &SecretString) -> Result<Self, String> {
        let raw = secret.expose_secret().trim();
        let encoded = raw.strip_prefix("whsec_").unwrap_or(raw);
        let key = SECRET_B64.decode(encoded).map_err(|_| {
            "RESEND_WEBHOOK_SECRET must be the endpoint's signing secret, whsec_ followed by base64"
                .to_owned()
        })?;
        if key.is_empty() {
            return Err("RESEND_WEBHOOK_SECRET holds an empty key".into());
        }
        Ok(Self { key })
    }

    /// The message id of a genuine delivery signed within 5 minutes of
    /// `now` (either way) by any `v1` entry.
    pub fn verify<'a>(
        &self,
        headers: &SvixHeaders<'a>,
        body: &[u8],
        now: i64,
    ) -> Result<&'a str, SvixError> {
        let present = |v: Option<&'a str>, name| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or(SvixError::Missing(name))
        };
        let id = present(headers.id, "svix-id")?;
        let timestamp = present(headers.timestamp, "svix-timestamp")?;
        let signature = present(headers.signature, "svix-signature")?;
        if !valid_id(id) {
            return Err(SvixError::MalformedId);
        }
        let t: i64 = timestamp
            .parse()
            .map_err(|_| SvixError::MalformedTimestamp)?;
        if !fresh(t, now) {
            return Err(SvixError::Stale);
        }
        let given: Vec<&str> = signature
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .map(|(_, sig)| sig)
            .collect();
        let expected = sign(&self.key, id, timestamp, body);
        if any_match(&[expected], &given) {
            Ok(id)
        } else {
            Err(SvixError::Mismatch)
        }
    }
}

fn sign(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_614_265_330;

    fn verifier(secret: &str) -> SvixVerifier {
        SvixVerifier::new(&SecretString::from(secret.to_owned())).unwrap()
    }

    fn headers<'a>(id: &'a str, t: &'a str, sig: &'a str) -> SvixHeaders<'a> {
        SvixHeaders {
            id: Some(id),
            timestamp: Some(t),
            signature: Some(sig),
        }
    }

    /// A `whsec_` secret made now: (with prefix, base64 part).
    fn secret() -> (String, String) {
        let raw: [u8; 24] = rand::random();
        let b64 = STANDARD.encode(raw);
        (format!("whsec_{b64}"), b64)
    }

    /// A `v1,` signature computed as Svix documents it, written out here
    /// rather than through the code under test.
    fn svix_signature(b64_secret: &str, id: &str, t: &str, body: &[u8]) -> String {
        let key = STANDARD.decode(b64_secret).unwrap();
        let mut signed = format!("{id}.{t}.").into_bytes();
        signed.extend_from_slice(body);
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(&signed);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const T: &str = "1614265330";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn accepts_a_signature_made_as_svix_makes_it() {
        let (full, b64) = secret();
        let sig = svix_signature(&b64, ID, T, BODY);
        let h = headers(ID, T, &sig);
        assert_eq!(verifier(&full).verify(&h, BODY, NOW), Ok(ID));
        // The same key without the prefix.
        assert!(verifier(&b64).verify(&h, BODY, NOW).is_ok());
    }

    #[test]
    fn any_v1_entry_may_match_and_other_versions_are_ignored() {
        let (full, b64) = secret();
        let v = verifier(&full);
        let sig = svix_signature(&b64, ID, T, BODY);
        let good = sig.strip_prefix("v1,").unwrap();
        let rotated = format!("v1,bm9wZSBub3QgcmVhbA== v1,{good}");
        let h = headers(ID, T, &rotated);
        assert!(v.verify(&h, BODY, NOW).is_ok());
        let downgraded = format!("v0,{good} v1a,{good}");
        let h = headers(ID, T, &downgraded);
        assert_eq!(v.verify(&h, BODY, NOW), Err(SvixError::Mismatch));
    }

    #[test]
    fn refuses_missing_stale_future_and_tampered() {
        let (full, b64) = secret();
        let v = verifier(&full);
        let body = BODY;
        let signature = svix_signature(&b64, ID, T, BODY);
        let (id, t, sig) = (ID, T, signature.as_str());
        let mut h = headers(id, t, sig);
        h.id = None;
        assert_eq!(v.verify(&h, body, NOW), Err(SvixError::Missing("svix-id")));
        let mut h = headers(id, t, sig);
        h.timestamp = Some(" ");
        assert_eq!(
            v.verify(&h, body, NOW),
            Err(SvixError::Missing("svix-timestamp"))
        );
        let mut h = headers(id, t, sig);
        h.signature = None;
        assert_eq!(
            v.verify(&h, body, NOW),
            Err(SvixError::Missing("svix-signature"))
        );
        let h = headers(id, "yesterday", sig);
        assert_eq!(v.verify(&h, body, NOW), Err(SvixError::MalformedTimestamp));
        let h = headers(id, t, sig);
        assert_eq!(v.verify(&h, body, NOW + 301), Err(SvixError::Stale));
        assert_eq!(v.verify(&h, body, NOW - 301), Err(SvixError::Stale));
        assert!(v.verify(&h, body, NOW + 300).is_ok());
        // The id, the timestamp and the body are all signed.
        let h = headers("msg_other", t, sig);
        assert_eq!(v.verify(&h, body, NOW), Err(SvixError::Mismatch));
        let h = headers(id, "1614265331", sig);
        assert_eq!(v.verify(&h, body, NOW), Err(SvixError::Mismatch));
        let h = headers(id, t, sig);
        assert_eq!(
            v.verify(&h, br#"{"test": 2432232315}"#, NOW),
            Err(SvixError::Mismatch)
        );
        // Another secret.
        let other = verifier(&secret().0);
        assert_eq!(other.verify(&h, body, NOW), Err(SvixError::Mismatch));
    }

    #[test]
    fn a_secret_that_is_not_base64_is_refused() {
        for bad in ["whsec_!!!", "whsec_", ""] {
            assert!(
                SvixVerifier::new(&SecretString::from(bad.to_owned())).is_err(),
                "{bad}"
            );
        }
    }
}
