//! Sealing an API key to another console: a NaCl sealed box (X25519 + XSalsa20-Poly1305, an
//! ephemeral sender key each time) to the recipient console's public key. Only the holder of the
//! private key, kept in that console's OS keyring, can open it; the centre stores ciphertext.
//! The private key is hex in the keyring and a `Sensitive` in memory, like every other secret.

use crate::Keyring;
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use zc_domain::{ApiKey, ErrorCode, Sensitive, ZcError, ZcResult};

/// A console's sealing key pair: the private half as hex, never printed.
#[derive(Clone)]
pub struct SealingKey {
    secret: Sensitive<String>,
}

impl SealingKey {
    fn generate() -> Self {
        Self { secret: Sensitive::new(hex::encode(SecretKey::generate(&mut OsRng).to_bytes())) }
    }

    fn secret_key(&self) -> ZcResult<SecretKey> {
        let bytes = hex::decode(self.secret.expose()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        bytes.map(SecretKey::from_bytes).ok_or_else(|| {
            ZcError::new(
                ErrorCode::KeyringUnavailable,
                "this console's sealing key in the keyring is damaged; connect to the central store again with `zc central connect` to make a new one",
            )
        })
    }

    /// The public half, hex: what the centre publishes for other consoles to seal to.
    pub fn public_hex(&self) -> ZcResult<String> {
        Ok(hex::encode(self.secret_key()?.public_key().as_bytes()))
    }

    /// Opens a key sealed to this console. A box sealed to another key, or altered on the way,
    /// does not open (the error says so, never what the box held).
    pub fn unseal(&self, ciphertext: &[u8]) -> ZcResult<ApiKey> {
        let plain = self.secret_key()?.unseal(ciphertext).map_err(|_| {
            ZcError::new(
                ErrorCode::InvalidKey,
                "a sealed key does not open with this console's key (sealed to an older key of it, or altered); ask for it to be shared again",
            )
        })?;
        String::from_utf8(plain).map(Sensitive::new).map_err(|_| {
            ZcError::new(ErrorCode::InvalidKey, "a sealed key holds no valid API key; ask for it to be shared again")
        })
    }
}

/// Seals `key` to the console whose public key is `public_hex`.
pub fn seal(public_hex: &str, key: &ApiKey) -> ZcResult<Vec<u8>> {
    let bytes = hex::decode(public_hex).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
    let public = bytes
        .map(PublicKey::from_bytes)
        .ok_or_else(|| ZcError::invalid(format!("'{public_hex}' is not a console's public key (64 hex digits)")))?;
    public.seal(&mut OsRng, key.expose().as_bytes()).map_err(|_| ZcError::internal("the key could not be sealed"))
}

impl Keyring {
    /// Where a console's sealing key lives.
    pub fn sealing_account(install_id: &str) -> String {
        format!("{install_id}/sealing-key")
    }

    /// This console's sealing key, made (and kept in the keyring) the first time it is asked for.
    pub async fn sealing_key(&self, install_id: &str) -> ZcResult<SealingKey> {
        let account = Self::sealing_account(install_id);
        if let Some(secret) = self.get(&account).await? {
            return Ok(SealingKey { secret });
        }
        let made = SealingKey::generate();
        self.set(&account, &made.secret).await?;
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_recipients_private_key() {
        let (to, other) = (SealingKey::generate(), SealingKey::generate());
        let key: ApiKey = Sensitive::new("sk-north-1-0123456789".into());
        let boxed = seal(&to.public_hex().unwrap(), &key).unwrap();
        assert!(!boxed.windows(10).any(|w| w == &b"sk-north-1"[..]), "the box does not hold the key in the clear");
        assert_eq!(to.unseal(&boxed).unwrap().expose(), key.expose());
        let err = other.unseal(&boxed).unwrap_err();
        assert!(err.message.contains("does not open"), "{err}");
        let mut altered = boxed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(to.unseal(&altered).is_err(), "an altered box does not open");
        assert_ne!(seal(&to.public_hex().unwrap(), &key).unwrap(), boxed, "each seal is fresh");
    }

    #[test]
    fn a_public_key_that_is_not_one_is_refused_clearly() {
        let err = seal("abc", &Sensitive::new("k".into())).unwrap_err();
        assert!(err.message.contains("64 hex digits"), "{err}");
    }
}
