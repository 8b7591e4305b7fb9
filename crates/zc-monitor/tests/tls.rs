//! Certificates over real TLS on loopback, with certificates this test makes (rcgen): a
//! private CA trusted per connection, a pinned self-signed certificate, a pin mismatch and an
//! expiring certificate (alarms, through the monitor and a real SQLite file), and `untrusted`
//! (never `offline`) for each way a certificate is refused.

use rcgen::KeyPair;
use std::sync::Arc;
use zc_domain::alarm::{AlarmKind, AlarmState, Priority};
use zc_domain::status::{Observation, Rules};
use zc_domain::{
    Clock, ConnectionKind, ConnectionSpec, FailureCategory, Fingerprint, ManualClock, Outcome, Status, StatusTracker,
    TlsTrust,
};
use zc_monitor::{ManualNetwork, Monitor, MonitorConfig, Prober, ProberConfig, fingerprint, read_ca_pem};
use zc_sim::tls::{TestCa as Ca, TlsCert as Served, TlsStation as Station};
use zc_store::{AlarmFilter, Audit, Store};

const DAY: i64 = 86_400_000;

fn fp(c: &Served) -> Fingerprint {
    fingerprint(&c.der)
}

fn spec(st: &Station, name: &str) -> ConnectionSpec {
    let mut s = ConnectionSpec::new(name, &st.url(), ConnectionKind::Http);
    s.confirm = 2;
    s.validate().unwrap()
}

async fn outcome(prober: &Prober, st: &Station, trust: &TlsTrust) -> zc_monitor::ProbeResult {
    prober.probe_trusting(1, &spec(st, "plc"), trust, None, 0).await
}

fn refused(r: &zc_monitor::ProbeResult, words: &str) {
    assert_eq!(r.outcome, Outcome::Failed(FailureCategory::CertificateUntrusted), "{:?}", r.detail);
    let d = r.detail.as_deref().unwrap_or_default();
    assert!(d.contains(words), "the reason says what is wrong: {d}");
}

#[tokio::test]
async fn a_self_signed_station_is_untrusted_not_offline() {
    let st = Station::start(&Served::self_signed(&["127.0.0.1", "localhost"], None)).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    let spec = spec(&st, "plc-7");
    let rules = Rules { confirm: 3, degraded_latency_ms: 1000 };
    let mut tracker = StatusTracker::new(Status::Online);
    let mut to = None;
    for i in 0..3 {
        let r = prober.probe(1, &spec, None, i).await;
        refused(&r, "not issued by a CA this connection trusts");
        assert!(r.detail.as_deref().unwrap().contains("zc connection trust plc-7"), "{:?}", r.detail);
        let obs = Observation { outcome: r.outcome, latency_ms: r.latency_ms, observer_online: true };
        to = tracker.observe(obs, i, &rules).map(|t| t.to).or(to);
    }
    assert_eq!(to, Some(Status::Untrusted));
}

#[tokio::test]
async fn a_private_ca_is_trusted_for_its_connection_only() {
    let dir = tempfile::tempdir().unwrap();
    let plant = Ca::new("Plant CA");
    let ca_file = dir.path().join("plant-ca.pem");
    std::fs::write(&ca_file, &plant.pem).unwrap();
    let issued = plant.issue(&["127.0.0.1"], Some(1_900_000_000_000));
    let st = Station::start(&issued).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    let ca = TlsTrust::Ca(ca_file.clone());

    let ok = outcome(&prober, &st, &ca).await;
    assert_eq!(ok.outcome, Outcome::Ok, "{:?}", ok.detail);
    let cert = ok.certificate.expect("the presented certificate is read");
    assert_eq!(cert.not_after_ms, 1_900_000_000_000, "its expiry is recorded");
    assert_eq!(cert.sha256, fp(&issued).to_string());
    assert!(cert.issuer.contains("Plant CA"), "{}", cert.issuer);

    // The same station without the CA: the system's roots do not know the plant's CA.
    refused(&outcome(&prober, &st, &TlsTrust::System).await, "not issued by a CA this connection trusts");
    // Another CA's certificate is refused under the plant's CA, and named.
    st.present(&Ca::new("Other CA").issue(&["127.0.0.1"], None));
    let r = outcome(&prober, &st, &ca).await;
    refused(&r, "not issued by a CA this connection trusts");
    assert!(r.certificate.is_some_and(|c| c.issuer.contains("Other CA")), "what it presented is still known");
    // The CA checks names: a certificate for another host is refused, and says so.
    st.present(&plant.issue(&["historian.plant.example"], None));
    refused(&outcome(&prober, &st, &ca).await, "issued for another name");
    // And dates: an expired certificate from the plant's CA.
    st.present(&plant.issue(&["127.0.0.1"], Some(1_700_000_000_000)));
    refused(&outcome(&prober, &st, &ca).await, "expired");
    // A CA file that went missing is refused with what to do, not treated as offline.
    std::fs::remove_file(&ca_file).unwrap();
    refused(
        &outcome(&prober, &st, &TlsTrust::Ca(dir.path().join("gone.pem"))).await,
        "(`zc connection trust` with `--ca FILE`)",
    );
}

#[tokio::test]
async fn a_pinned_self_signed_certificate_is_trusted_and_a_replaced_one_is_refused() {
    let device = Served::self_signed(&["plc.local"], Some(1_900_000_000_000));
    let st = Station::start(&device).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    let pin = TlsTrust::Pin(fp(&device));
    // A pin is the certificate itself: its name need not match the address (as for SSH).
    let ok = outcome(&prober, &st, &pin).await;
    assert_eq!(ok.outcome, Outcome::Ok, "{:?}", ok.detail);

    let replaced = Served::self_signed(&["plc.local"], None);
    st.present(&replaced);
    let r = outcome(&prober, &st, &pin).await;
    refused(&r, &format!("presented certificate {}, not the pinned {}", fp(&replaced), fp(&device)));
    assert_eq!(r.certificate.map(|c| c.sha256), Some(fp(&replaced).to_string()));

    // The inspection shows the engineer what to compare, before anything is trusted.
    let seen = prober.inspect(&spec(&st, "plc"), &TlsTrust::System).await.unwrap();
    assert_eq!(seen.presented.map(|c| c.sha256), Some(fp(&replaced).to_string()));
    assert!(!seen.trusted && seen.refusal.is_some_and(|r| r.contains("--pin")));
}

#[tokio::test]
async fn only_the_ca_certificates_of_a_full_chain_file_are_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let plant = Ca::new("Plant CA");
    // A station's own self-signed certificate in the same file must not become an issuer.
    let device = Served::self_signed(&["127.0.0.1"], None);
    let file = dir.path().join("chain.pem");
    std::fs::write(&file, format!("{}{}", device.pem, plant.pem)).unwrap();
    let infos = read_ca_pem(std::fs::read(&file).unwrap().as_slice()).unwrap();
    assert_eq!(infos.len(), 1, "only the CA is listed");
    let st = Station::start(&device).await.unwrap();
    let prober = Prober::new(ProberConfig::default());
    refused(&outcome(&prober, &st, &TlsTrust::Ca(file.clone())).await, "not issued by a CA this connection trusts");
    st.present(&plant.issue(&["127.0.0.1"], None));
    assert_eq!(outcome(&prober, &st, &TlsTrust::Ca(file)).await.outcome, Outcome::Ok);
}

#[test]
fn a_station_certificate_is_not_taken_for_a_ca() {
    let leaf = rcgen::CertificateParams::new(vec!["plc.local".to_owned()])
        .unwrap()
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap();
    let e = read_ca_pem(leaf.pem().as_bytes()).unwrap_err();
    assert!(e.message.contains("not a CA") && e.message.contains("--pin"), "{}", e.message);
    assert!(read_ca_pem(b"not a certificate").unwrap_err().message.contains("no certificate"));
    let ca = Ca::new("Plant CA");
    assert!(read_ca_pem(ca.pem.as_bytes()).unwrap()[0].subject.contains("Plant CA"));
}

fn audit() -> Audit {
    Audit { actor: "test".into(), device_id: None }
}

/// The monitor, a real SQLite file and an injected clock, probing one https station.
struct Rig {
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
    monitor: Arc<Monitor>,
}

impl Rig {
    async fn new(st: &Station, pin: Fingerprint) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(1_800_000_000_000);
        let store = Store::open(dir.path(), Arc::new(clock.clone())).await.unwrap();
        let row = store.add_connection(&spec(st, "plc"), &audit()).await.unwrap();
        store.set_tls_trust(row.id, "plc", None, Some(pin), &audit()).await.unwrap();
        let monitor = Monitor::new(
            store.clone(),
            Prober::new(ProberConfig::default()),
            Arc::new(ManualNetwork::new(true)),
            None,
            MonitorConfig::default(),
            audit(),
        )
        .await
        .unwrap();
        Rig { _dir: dir, clock, store, monitor }
    }
    /// One probe ten seconds on, written; the stored status after it.
    async fn step(&self) -> Status {
        self.clock.advance_ms(10_000);
        let conn = self.store.connection("plc").await.unwrap();
        self.monitor.probe_now(&conn).await;
        self.monitor.flush().await.unwrap();
        self.store.connection("plc").await.unwrap().status
    }
    async fn alarms(&self) -> Vec<(AlarmKind, AlarmState, Priority)> {
        self.store.evaluate_alarms().await.unwrap();
        let mut a: Vec<_> = self
            .store
            .alarms(&AlarmFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.kind, a.state, a.priority))
            .collect();
        a.sort_by_key(|x| (x.0, x.2));
        a
    }
}

#[tokio::test]
async fn a_replaced_pinned_certificate_raises_one_high_priority_alarm_until_pinned_again() {
    let device = Served::self_signed(&["plc.local"], Some(1_900_000_000_000));
    let st = Station::start(&device).await.unwrap();
    let r = Rig::new(&st, fp(&device)).await;
    assert_eq!(r.step().await, Status::Online);
    let row = r.store.connection("plc").await.unwrap();
    assert_eq!(row.tls_seen_sha256, Some(fp(&device).hex()));
    assert_eq!(row.tls_not_after, Some(1_900_000_000_000), "the expiry is stored for `show` and the detail view");
    assert!(r.alarms().await.is_empty());

    let replaced = Served::self_signed(&["plc.local"], Some(1_900_000_000_000));
    st.present(&replaced);
    r.step().await;
    assert_eq!(r.step().await, Status::Untrusted, "refused, not offline");
    assert_eq!(
        r.alarms().await,
        vec![(AlarmKind::CertChanged, AlarmState::Unacknowledged, Priority::High)],
        "one alarm for the one cause"
    );
    let log = r.store.activity_since(0, 100).await.unwrap();
    let noted =
        log.iter().find(|e| e.action == "connection.certificate" && e.metadata.contains(&fp(&replaced).to_string()));
    assert!(noted.is_some(), "the change is in the activity log");

    // The engineer checked the device and pins the new certificate.
    let id = r.store.connection("plc").await.unwrap().id;
    r.store.set_tls_trust(id, "plc", None, Some(fp(&replaced)), &audit()).await.unwrap();
    r.step().await;
    assert_eq!(r.step().await, Status::Online);
    assert_eq!(
        r.alarms().await,
        vec![(AlarmKind::CertChanged, AlarmState::ReturnedUnacknowledged, Priority::High)],
        "it stays until someone acknowledges it"
    );
}

#[tokio::test]
async fn pinning_a_replaced_device_raises_no_alarm_of_its_own() {
    let old = Served::self_signed(&["plc.local"], Some(1_900_000_000_000));
    let st = Station::start(&old).await.unwrap();
    let r = Rig::new(&st, fp(&old)).await;
    assert_eq!(r.step().await, Status::Online);
    // The device is swapped; the engineer checks the new one and pins it before any probe saw it.
    let new = Served::self_signed(&["plc.local"], Some(1_900_000_000_000));
    st.present(&new);
    let id = r.store.connection("plc").await.unwrap().id;
    r.store.set_tls_trust(id, "plc", None, Some(fp(&new)), &audit()).await.unwrap();
    assert!(r.alarms().await.is_empty(), "the old certificate, seen before the pin, contradicts nothing");
    assert_eq!(r.step().await, Status::Online);
    assert!(r.alarms().await.is_empty());
}

#[tokio::test]
async fn an_expiring_certificate_raises_an_alarm_before_and_at_expiry() {
    let t0 = 1_800_000_000_000;
    let device = Served::self_signed(&["plc.local"], Some(t0 + 5 * DAY));
    let st = Station::start(&device).await.unwrap();
    let r = Rig::new(&st, fp(&device)).await;
    assert_eq!(r.step().await, Status::Online);
    let a = r.alarms().await;
    assert_eq!(a, vec![(AlarmKind::CertExpiring, AlarmState::Unacknowledged, Priority::Low)]);
    let msg = r.store.alarms(&AlarmFilter::default()).await.unwrap()[0].message.clone();
    assert!(msg.contains("expires in 5 days"), "{msg}");
    r.clock.advance_ms(5 * DAY);
    let a = r.alarms().await;
    assert!(a.contains(&(AlarmKind::CertExpired, AlarmState::Unacknowledged, Priority::High)), "{a:?}");
    assert!(r.clock.now_ms() > t0);
}
