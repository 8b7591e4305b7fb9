//! The updater as the console uses it (`zeroclient_desktop::updates`), with the real
//! tauri-plugin-updater in Tauri's mock runtime (no window), against a release served over
//! loopback HTTP and signed with a throwaway minisign key made here: a newer release is offered
//! and its file accepted; a tampered file, a signature by another key, an older version, and an
//! older release's file offered as a newer version are refused. The release configuration check
//! is here too: the default configuration holds no endpoint and no key, and no signing key is
//! anywhere in the repository.

use base64::Engine;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use zc_app::zc_domain::update::UpdateOutcome;
use zeroclient_desktop::updates::{fetch_verified, look};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A release key as the Tauri CLI makes one: the public key, as the configuration holds it.
struct Key {
    pair: minisign::KeyPair,
}

impl Key {
    fn new() -> Key {
        Key { pair: minisign::KeyPair::generate_unencrypted_keypair().unwrap() }
    }

    fn public(&self) -> String {
        B64.encode(self.pair.pk.to_box().unwrap().to_string())
    }

    /// The signature the release manifest carries, made for `version` (in the trusted comment,
    /// as `tauri signer sign` records it).
    fn sign(&self, file: &[u8], version: &str) -> String {
        let trusted = format!("timestamp:1764547200\tfile:zeroclient.tar.gz\tversion:{version}");
        let sig = minisign::sign(
            Some(&self.pair.pk),
            &self.pair.sk,
            std::io::Cursor::new(file),
            Some(&trusted),
            Some("signature from tauri secret key"),
        )
        .unwrap();
        B64.encode(sig.to_string())
    }
}

/// A tiny HTTP server on loopback: path → body, one answer per connection.
struct Server {
    port: u16,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Default::default();
        let served = files.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&req).lines().next().unwrap_or_default().to_owned();
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                let body = served.lock().unwrap().get(&path).cloned();
                let head = match &body {
                    Some(b) => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", b.len()),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                };
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body.unwrap_or_default());
            }
        });
        Server { port, files }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Publishes a release: the manifest announcing `version`, with `signature`, and `file`.
    fn publish(&self, version: &str, file: &[u8], signature: &str) {
        let manifest = serde_json::json!({
            "version": version,
            "notes": "Test release",
            "pub_date": "2026-12-01T00:00:00Z",
            "url": self.url("/zeroclient.tar.gz"),
            "signature": signature,
        });
        let mut files = self.files.lock().unwrap();
        files.insert("/latest.json".into(), manifest.to_string().into_bytes());
        files.insert("/zeroclient.tar.gz".into(), file.to_vec());
    }
}

/// A console (version 0.1.0) trusting `key`, looking at `server`, configured as the release
/// overlay configures it (plus plain HTTP, which only this loopback test allows).
fn console(key: &Key, server: &Server) -> tauri::App<MockRuntime> {
    let mut ctx = mock_context(noop_assets());
    ctx.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({
            "pubkey": key.public(),
            "endpoints": [server.url("/latest.json")],
            "requireSignedVersion": true,
            "dangerousInsecureTransportProtocol": true,
        }),
    );
    mock_builder().plugin(tauri_plugin_updater::Builder::new().build()).build(ctx).unwrap()
}

const RELEASE: &[u8] = b"the 0.2.0 release archive (any bytes: only its signature matters here)";

#[tokio::test]
async fn a_newer_release_signed_by_the_release_key_is_offered_and_its_file_accepted() {
    let (key, server) = (Key::new(), Server::start());
    server.publish("0.2.0", RELEASE, &key.sign(RELEASE, "0.2.0"));
    let app = console(&key, &server);
    let update = look(app.handle()).await.unwrap().expect("0.2.0 is offered to 0.1.0");
    assert_eq!(update.version, "0.2.0");
    assert_eq!(update.current_version, "0.1.0");
    assert_eq!(fetch_verified(&update).await.unwrap(), RELEASE);
}

fn rejected(outcome: UpdateOutcome, says: &str) {
    match outcome {
        UpdateOutcome::Rejected { version, reason } => {
            assert_eq!(version, "0.2.0");
            assert!(reason.contains(says), "the refusal says: {reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tampered_file_is_refused() {
    let (key, server) = (Key::new(), Server::start());
    let mut tampered = RELEASE.to_vec();
    tampered[4] ^= 0x01;
    server.publish("0.2.0", &tampered, &key.sign(RELEASE, "0.2.0"));
    let app = console(&key, &server);
    let update = look(app.handle()).await.unwrap().unwrap();
    rejected(fetch_verified(&update).await.unwrap_err(), "not the release key's");
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let (key, other, server) = (Key::new(), Key::new(), Server::start());
    server.publish("0.2.0", RELEASE, &other.sign(RELEASE, "0.2.0"));
    let app = console(&key, &server);
    let update = look(app.handle()).await.unwrap().unwrap();
    rejected(fetch_verified(&update).await.unwrap_err(), "not the release key's");
}

#[tokio::test]
async fn an_older_or_equal_version_is_not_offered() {
    let (key, server) = (Key::new(), Server::start());
    let app = console(&key, &server);
    for version in ["0.0.9", "0.1.0"] {
        server.publish(version, RELEASE, &key.sign(RELEASE, version));
        assert!(look(app.handle()).await.unwrap().is_none(), "{version} was offered to 0.1.0");
    }
}

#[tokio::test]
async fn an_older_release_offered_as_a_newer_version_is_refused() {
    // A genuine, validly signed 0.0.9 file announced as 0.2.0: the signature says 0.0.9.
    let (key, server) = (Key::new(), Server::start());
    server.publish("0.2.0", RELEASE, &key.sign(RELEASE, "0.0.9"));
    let app = console(&key, &server);
    let update = look(app.handle()).await.unwrap().unwrap();
    rejected(fetch_verified(&update).await.unwrap_err(), "signed as version 0.0.9");
}

#[tokio::test]
async fn an_unreachable_server_is_an_outcome_not_an_interruption() {
    let key = Key::new();
    let server = Server::start();
    // Nothing published: the manifest is not there.
    let app = console(&key, &server);
    match look(app.handle()).await {
        Err(UpdateOutcome::Unreachable { reason }) => assert!(!reason.is_empty()),
        other => panic!("expected unreachable, got {:?}", other.map(|u| u.map(|u| u.version))),
    }
}

/// The repository's root.
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

#[test]
fn the_default_configuration_holds_no_update_endpoint_or_key() {
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("src-tauri/tauri.conf.json")).unwrap()).unwrap();
    let updater = &conf["plugins"]["updater"];
    assert!(
        updater.is_null(),
        "tauri.conf.json configures the updater ({updater}): its endpoint and key belong in the release overlay only (docs/updates.md)"
    );
    assert!(conf["bundle"]["createUpdaterArtifacts"].is_null(), "updater artifacts are the release overlay's");
    // The overlay's template holds placeholders, refuses downgrades and insecure transport.
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("src-tauri/release/tauri.release.example.json")).unwrap(),
    )
    .unwrap();
    let u = &example["plugins"]["updater"];
    assert_eq!(u["requireSignedVersion"], true);
    assert!(u["dangerousInsecureTransportProtocol"].is_null() && u["allowDowngrades"].is_null());
    assert!(u["endpoints"].as_array().unwrap().iter().all(|e| e.as_str().unwrap().starts_with("https://")));
}

#[test]
fn no_signing_key_is_anywhere_in_the_repository() {
    // What a minisign secret key file starts with, as text and as the Tauri CLI's base64 of it
    // (built here, so this file does not hold them itself).
    let mut markers = Vec::new();
    for kind in ["rsign encrypted", "minisign encrypted", "minisign"] {
        let comment = format!("untrusted comment: {kind} {}", "secret key");
        let encoded = B64.encode(&comment);
        // Only whole groups of four: the same prefix whatever follows the comment.
        markers.push(encoded[..encoded.len() / 4 * 4 - 4].to_owned());
        markers.push(comment);
    }
    let files = std::process::Command::new("git").arg("-C").arg(root()).args(["ls-files", "-z"]).output().unwrap();
    assert!(files.status.success(), "git ls-files failed");
    let mut read = 0;
    for path in files.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = root().join(String::from_utf8_lossy(path).as_ref());
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        read += 1;
        for m in &markers {
            assert!(!text.contains(m.as_str()), "{} holds what looks like a signing key ({m:?})", path.display());
        }
    }
    assert!(read > 100, "only {read} files were read");
}
