//! Certificate trust through the real `zc`, as an engineer meets it: an https station with a
//! self-signed certificate is added; `zc` shows its fingerprint and how to pin it; a wrong
//! fingerprint is refused and changes nothing; the right one is pinned (audited) and the
//! monitor then sees the station online and records its expiry, which `zc connection show`
//! prints. A private CA file is checked and copied into the data directory.

use zc_e2e::{Env, snapshot, stop, wait_for_line};
use zc_sim::tls::{TestCa, TlsCert, TlsStation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_pins_a_self_signed_station_after_comparing_its_fingerprint() {
    let not_after = 1_900_000_000_000; // 2030-03-17
    let device = TlsCert::self_signed(&["plc.local"], Some(not_after));
    let st = TlsStation::start(&device).await.unwrap();
    let env = Env::new();
    let fp = zc_app::zc_monitor::fingerprint(&device.der).to_string();

    let added = env.ok(&["connection", "add", "plc", "--url", &st.url(), "--interval", "100ms", "--confirm", "2"]);
    assert!(added.contains(&fp), "the fingerprint is shown for confirmation when the connection is added:\n{added}");
    assert!(added.contains(&format!("zc connection trust plc --pin {fp}")), "{added}");

    let seen = env.json(&["connection", "certificate", "plc"]);
    assert_eq!(seen["presented"]["sha256"], fp.as_str());
    assert_eq!((seen["trust"].as_str(), seen["trusted"].as_bool()), (Some("system"), Some(false)));

    // A fingerprint that is not the station's is refused, and nothing changes.
    let before = snapshot(&env.db());
    let other = TlsCert::self_signed(&["plc.local"], None);
    let wrong = zc_app::zc_monitor::fingerprint(&other.der).to_string();
    let r = env.run(&["connection", "trust", "plc", "--pin", &wrong]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains(&format!("presents the certificate {fp}")) && r.stderr.contains("Nothing was changed"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&env.db()), before, "a refused pin writes nothing");
    let typo = env.run(&["connection", "trust", "plc", "--pin", "AB:CD"]);
    assert!(typo.stderr.contains("64 hex digits"), "{}", typo.stderr);
    // There is no way to switch verification off.
    assert_ne!(env.run(&["connection", "trust", "plc", "--insecure"]).code, 0);

    let pinned = env.json(&["connection", "trust", "plc", "--pin", &fp.to_lowercase().replace(':', "")]);
    assert_eq!((pinned["trust"].as_str(), pinned["trusted"].as_bool()), (Some("pinned"), Some(true)));
    assert_eq!(pinned["pinned_sha256"], fp.as_str());

    let (child, mut out) = env.spawn_monitor(&[]);
    let mut t = Vec::new();
    wait_for_line(&mut out, "plc  unknown -> online", &mut t);
    drop(out);
    assert_eq!(stop(child).0, 0);
    let row = env.json(&["connection", "show", "plc"]);
    assert_eq!(row["tls_not_after"], not_after);
    let shown = env.ok(&["connection", "show", "plc"]);
    assert!(shown.contains("certificate_expires") && shown.contains("2030-03-17"), "{shown}");

    let log = env.ok(&["log"]);
    assert!(log.contains("connection.trust") && log.contains("connection.certificate"), "{log}");
    assert_eq!(env.run(&["log", "verify"]).code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_file_is_checked_and_kept_in_the_data_directory() {
    let ca = TestCa::new("Plant CA");
    let st = TlsStation::start(&ca.issue(&["127.0.0.1"], None)).await.unwrap();
    let env = Env::new();
    env.ok(&["connection", "add", "historian", "--url", &st.url()]);
    let outside = tempfile::tempdir().unwrap();

    // A station's own certificate is not a CA: the error says what to do instead.
    let leaf = outside.path().join("station.pem");
    std::fs::write(&leaf, ca.issue(&["127.0.0.1"], None).pem).unwrap();
    let r = env.run(&["connection", "trust", "historian", "--ca", leaf.to_str().unwrap()]);
    assert!(r.code != 0 && r.stderr.contains("not a CA") && r.stderr.contains("--pin"), "{}", r.stderr);

    let file = outside.path().join("plant-ca.pem");
    std::fs::write(&file, &ca.pem).unwrap();
    let c = env.json(&["connection", "trust", "historian", "--ca", file.to_str().unwrap()]);
    assert_eq!((c["trust"].as_str(), c["trusted"].as_bool()), (Some("private_ca"), Some(true)), "{c}");
    assert!(c["ca"][0]["subject"].as_str().unwrap().contains("Plant CA"));
    // The original may be on a USB stick: the console keeps its own copy.
    std::fs::remove_file(&file).unwrap();
    let kept = env.data_dir().join(c["ca_file"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), ca.pem);
    let again = env.json(&["connection", "certificate", "historian"]);
    assert_eq!(again["trusted"], true);
    // Back to the system's roots: the plant's CA is not among them.
    let sys = env.json(&["connection", "trust", "historian", "--system"]);
    assert_eq!((sys["trust"].as_str(), sys["trusted"].as_bool()), (Some("system"), Some(false)));
    assert!(!kept.exists(), "the unused CA copy is removed");
}
