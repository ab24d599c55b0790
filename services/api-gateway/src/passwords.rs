//! Argon2id password hashes (the crate's defaults: argon2id, 19 MiB, t=2).
//! Hashing runs on the blocking pool so it never stalls the HTTP workers.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

/// Verified when the email is unknown, so a wrong email costs the same
/// time as a wrong password and timing does not reveal who has an account.
static DECOY: LazyLock<String> = LazyLock::new(|| hash_now("decoy password never used"));

fn hash_now(password: &str) -> String {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters cannot fail");
    hash.to_string()
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || hash_now(&password)).await?)
}

/// True when `password` matches `stored`; with no stored hash it checks
/// the decoy and answers false.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DECOY.clone());
        // "!" (bootstrap users) and other non-hashes never match.
        let ok = PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await?)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = super::hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            super::verify("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !super::verify("wrong horse battery".into(), Some(h))
                .await
                .unwrap()
        );
        assert!(
            !super::verify("decoy password never used".into(), None)
                .await
                .unwrap()
        );
        assert!(!super::verify("x".into(), Some("!".into())).await.unwrap());
    }
}
