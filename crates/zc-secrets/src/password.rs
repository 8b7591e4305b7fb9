//! Password hashing: argon2id (memory-hard), as PHC strings. Hashing and checking take tens of
//! milliseconds of CPU on purpose, so they run on the blocking pool. A hash is a secret too: it
//! lives in the OS keyring, never in the database, and is a `Sensitive` in memory.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use zc_domain::{Sensitive, ZcError, ZcResult};

/// OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 30 ms here, which a person does
/// not notice and a guesser pays per guess.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params"))
}

/// 16 random bytes from the OS's generator (rand's thread RNG is seeded from it).
fn salt() -> SaltString {
    SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes make a valid salt")
}

/// The PHC string of `password` with a fresh random salt.
pub async fn hash_password(password: &Sensitive<String>) -> ZcResult<Sensitive<String>> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = salt();
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| Sensitive::new(h.to_string()))
            .map_err(|e| ZcError::internal(format!("the password could not be hashed ({e})")))
    })
    .await
    .map_err(|_| ZcError::internal("the password hashing did not complete"))?
}

/// Whether `password` matches `phc`. A damaged hash matches nothing. With `phc` `None` (an
/// unknown user) the same work is done against a throwaway hash, so the time taken does not
/// tell which usernames exist.
pub async fn verify_password(password: &Sensitive<String>, phc: Option<&Sensitive<String>>) -> bool {
    let password = password.clone();
    let phc = phc.cloned();
    tokio::task::spawn_blocking(move || {
        let dummy;
        let stored = match &phc {
            Some(p) => p.expose().as_str(),
            None => {
                let salt = salt();
                dummy = hasher().hash_password(b"not a password", &salt).map(|h| h.to_string()).unwrap_or_default();
                dummy.as_str()
            }
        };
        let Ok(parsed) = PasswordHash::new(stored) else { return false };
        hasher().verify_password(password.expose().as_bytes(), &parsed).is_ok() && phc.is_some()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_checks_its_password_and_no_other() {
        let pw = Sensitive::new("correct horse battery".to_owned());
        let h = hash_password(&pw).await.unwrap();
        assert!(h.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", h.expose());
        assert!(!h.expose().contains("correct horse"));
        assert!(verify_password(&pw, Some(&h)).await);
        assert!(!verify_password(&Sensitive::new("correct horse battery!".into()), Some(&h)).await);
        assert!(!verify_password(&pw, None).await);
        assert!(!verify_password(&pw, Some(&Sensitive::new("garbage".into()))).await);
        // Salted: the same password twice gives two hashes.
        assert_ne!(hash_password(&pw).await.unwrap().expose(), h.expose());
    }
}
