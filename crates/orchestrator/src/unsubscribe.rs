//! Signed unsubscribe links (RFC 8058 one-click and the visible link in
//! every marketing email). A token names the tenant and the address and
//! carries an HMAC, so nobody can unsubscribe an address they only guess.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks unsubscribe tokens with a key derived from the
/// service secret, so a token can never double as anything else.
#[derive(Clone)]
pub struct UnsubscribeSigner {
    key: [u8; 32],
}

/// The key never shows in logs.
impl std::fmt::Debug for UnsubscribeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeSigner(..)")
    }
}

impl UnsubscribeSigner {
    pub fn new(secret: &SecretString) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(b"growthos unsubscribe v1");
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    fn mac(&self, tenant_id: Uuid, email: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("32-byte key");
        mac.update(tenant_id.as_bytes());
        mac.update(email.to_lowercase().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `<tenant>.<email>.<mac>`, URL-safe.
    pub fn token(&self, tenant_id: Uuid, email: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(tenant_id.as_bytes()),
            URL_SAFE_NO_PAD.encode(email.to_lowercase()),
            URL_SAFE_NO_PAD.encode(self.mac(tenant_id, email))
        )
    }

    /// The tenant and address of a genuine token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<(Uuid, String)> {
        let mut parts = token.trim().splitn(3, '.');
        let tenant = Uuid::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
        let email = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
        let given = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        bool::from(given.ct_eq(&self.mac(tenant, &email))).then_some((tenant, email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let s = UnsubscribeSigner::new(&SecretString::from("k".repeat(32)));
        let t = Uuid::new_v4();
        let token = s.token(t, "Dana@Example.com");
        assert_eq!(s.verify(&token), Some((t, "dana@example.com".into())));

        // Another address under the same signature.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode("victim@example.com");
        assert_eq!(s.verify(&parts.join(".")), None);
        // Another tenant.
        parts = token.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
        assert_eq!(s.verify(&parts.join(".")), None);
        // Another secret, and garbage.
        let other = UnsubscribeSigner::new(&SecretString::from("j".repeat(32)));
        assert_eq!(other.verify(&token), None);
        assert_eq!(s.verify("nope"), None);
        assert_eq!(s.verify(""), None);
    }
}
