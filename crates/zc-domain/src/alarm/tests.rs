//! The alarm engine against an injected time: every ISA-18.2 transition, and the ones that must
//! not happen.

use super::*;

const MIN: i64 = 60_000;

/// A store in memory: what `evaluate` gets is what the real store loads (every alarm not normal).
#[derive(Default)]
struct Bench {
    alarms: Vec<Alarm>,
    events: Vec<(i64, AlarmEvent)>,
    next_id: i64,
    settings: AlarmSettings,
}

impl Bench {
    fn run(&mut self, facts: &AlarmFacts, now: i64) -> usize {
        let mut stored: Vec<Alarm> = self.alarms.iter().filter(|a| a.state() != AlarmState::Normal).cloned().collect();
        let mut changes = evaluate(facts, &stored, &self.settings, now);
        // As the store does: a source new to this pass may have a normal row already; with it
        // loaded, the pass is decided again (its occurrences continue).
        let known: Vec<Alarm> = changes
            .iter()
            .filter(|c| c.alarm.id.is_none())
            .filter_map(|c| self.alarms.iter().find(|a| a.key == c.alarm.key).cloned())
            .collect();
        if !known.is_empty() {
            stored.extend(known);
            changes = evaluate(facts, &stored, &self.settings, now);
        }
        let n = changes.len();
        for c in changes {
            self.put(c.alarm, c.events);
        }
        n
    }
    fn put(&mut self, mut alarm: Alarm, events: Vec<AlarmEvent>) {
        let existing = self.alarms.iter().position(|a| a.key == alarm.key);
        let id = existing.and_then(|i| self.alarms[i].id).unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id
        });
        alarm.id = Some(id);
        match existing {
            Some(i) => self.alarms[i] = alarm,
            None => self.alarms.push(alarm),
        }
        self.events.extend(events.into_iter().map(|e| (id, e)));
    }
    fn get(&self, key: &AlarmKey) -> &Alarm {
        self.alarms.iter().find(|a| &a.key == key).expect("alarm exists")
    }
    fn state(&self, key: &AlarmKey) -> AlarmState {
        self.alarms.iter().find(|a| &a.key == key).map(Alarm::state).unwrap_or(AlarmState::Normal)
    }
    fn act(&mut self, key: &AlarmKey, f: impl FnOnce(&mut Alarm) -> ZcResult<Vec<AlarmEvent>>) -> ZcResult<()> {
        let mut a = self.get(key).clone();
        let events = f(&mut a)?;
        self.put(a, events);
        Ok(())
    }
    fn visible(&self) -> Vec<&AlarmKey> {
        self.alarms.iter().filter(|a| a.state().is_visible()).map(|a| &a.key).collect()
    }
    fn annunciations(&self) -> Vec<Annunciation> {
        self.events
            .iter()
            .filter(|(_, e)| e.annunciated)
            .map(|(id, e)| Annunciation { at_ms: e.at_ms, alarm_id: *id })
            .collect()
    }
    fn actions(&self, key: &AlarmKey) -> Vec<AlarmAction> {
        let id = self.get(key).id;
        self.events.iter().filter(|(i, _)| Some(*i) == id).map(|(_, e)| e.action).collect()
    }
}

fn conn(id: i64, status: Status, since: i64) -> ConnectionFacts {
    ConnectionFacts {
        id,
        name: format!("station-{id}"),
        status,
        status_since: since,
        detail: None,
        depends_on: None,
        confirm_window_ms: 35_000,
        in_maintenance: false,
        recent_changes: 0,
        last_change_at: None,
        cert: None,
        trust_changed_at: None,
    }
}

fn facts(connections: Vec<ConnectionFacts>) -> AlarmFacts {
    AlarmFacts { console_online: true, connections, points: Vec::new() }
}

fn offline(id: i64) -> AlarmKey {
    AlarmKey::connection(AlarmKind::Offline, id)
}

fn ack(by: &str, now: i64) -> impl FnOnce(&mut Alarm) -> ZcResult<Vec<AlarmEvent>> {
    move |a| a.acknowledge(by, now).map(|e| vec![e])
}

#[test]
fn an_acknowledged_alarm_clears_on_return_and_is_not_raised_again() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    assert_eq!(b.state(&offline(1)), AlarmState::Unacknowledged);
    b.act(&offline(1), ack("ana", 10)).unwrap();
    let a = b.get(&offline(1));
    assert_eq!((a.state(), a.acked_by.as_deref(), a.acked_at), (AlarmState::Acknowledged, Some("ana"), Some(10)));
    b.run(&facts(vec![conn(1, Status::Online, 20)]), 20);
    assert_eq!(b.state(&offline(1)), AlarmState::Normal);
    // Nothing re-raises it while the station stays up (FUXA #1556 re-raised acknowledged alarms).
    for t in [21, 1_000, 100_000] {
        assert_eq!(b.run(&facts(vec![conn(1, Status::Online, 20)]), t), 0);
    }
    assert_eq!(b.actions(&offline(1)), [AlarmAction::Raised, AlarmAction::Acknowledged, AlarmAction::Returned]);
    assert!(b.get(&offline(1)).clone().acknowledge("ana", 30).is_err(), "nothing is left to acknowledge");
}

#[test]
fn a_return_nobody_acknowledged_stays_visible_until_acknowledged() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    b.run(&facts(vec![conn(1, Status::Online, 5)]), 5);
    assert_eq!(b.state(&offline(1)), AlarmState::ReturnedUnacknowledged);
    assert_eq!(b.run(&facts(vec![conn(1, Status::Online, 5)]), 10 * MIN), 0, "it stays, however long");
    assert_eq!(b.visible(), [&offline(1)]);
    b.act(&offline(1), ack("ana", 11 * MIN)).unwrap();
    assert_eq!(b.state(&offline(1)), AlarmState::Normal);
    assert!(b.visible().is_empty());
}

#[test]
fn a_condition_back_before_acknowledgement_is_the_same_occurrence() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    b.run(&facts(vec![conn(1, Status::Online, 5)]), 5);
    b.run(&facts(vec![conn(1, Status::Offline, 9)]), 9);
    let a = b.get(&offline(1));
    assert_eq!((a.state(), a.occurrence, a.raised_at), (AlarmState::Unacknowledged, 1, Some(0)));
    assert_eq!(b.actions(&offline(1)).last(), Some(&AlarmAction::Reraised));
    // After acknowledgement and a return, the next failure is a new occurrence.
    b.act(&offline(1), ack("ana", 10)).unwrap();
    b.run(&facts(vec![conn(1, Status::Online, 11)]), 11);
    b.run(&facts(vec![conn(1, Status::Offline, 12)]), 12);
    let a = b.get(&offline(1));
    assert_eq!(
        (a.state(), a.occurrence, a.raised_at, a.acked_by.as_deref()),
        (AlarmState::Unacknowledged, 2, Some(12), None)
    );
}

#[test]
fn another_abnormal_status_is_another_alarm() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    b.run(&facts(vec![conn(1, Status::Degraded, 5)]), 5);
    assert_eq!(b.state(&offline(1)), AlarmState::ReturnedUnacknowledged);
    let degraded = AlarmKey::connection(AlarmKind::Degraded, 1);
    assert_eq!(b.state(&degraded), AlarmState::Unacknowledged);
    assert_eq!(b.get(&degraded).priority, Priority::Low);
    assert_eq!(b.get(&offline(1)).priority, Priority::High);
}

#[test]
fn unknown_status_neither_raises_nor_clears() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0), conn(2, Status::Unknown, 0)]), 0);
    b.run(&facts(vec![conn(1, Status::Unknown, 5), conn(2, Status::Unknown, 0)]), 5);
    assert_eq!(b.state(&offline(1)), AlarmState::Unacknowledged, "monitoring stopped: still offline as far as we know");
    assert_eq!(b.visible(), [&offline(1)]);
}

#[test]
fn evaluating_again_changes_nothing() {
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Offline, 0), conn(2, Status::Online, 0)]);
    f.connections[1].depends_on = Some(1);
    f.points.push(PointFacts { connection_id: 2, point: "p".into(), kind: AlarmKind::PointHigh, message: "m".into() });
    assert!(b.run(&f, 0) > 0);
    assert_eq!(b.run(&f, 0), 0);
    assert_eq!(b.run(&f, 1), 0);
}

#[test]
fn shelving_needs_a_reason_and_a_bounded_expiry() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    let k = offline(1);
    assert!(b.act(&k, |a| a.shelve("ana", 30 * MIN, " ", 0)).unwrap_err().message.contains("reason"));
    assert!(b.act(&k, |a| a.shelve("ana", 30_000, "noisy", 0)).is_err(), "under a minute");
    assert!(b.act(&k, |a| a.shelve("ana", 25 * 60 * MIN, "noisy", 0)).is_err(), "over a day");
    assert!(b.act(&k, |a| a.unshelve("ana", 0).map(|e| vec![e])).is_err(), "not shelved");
    assert_eq!(b.state(&k), AlarmState::Unacknowledged, "a refused shelve changes nothing");
}

#[test]
fn a_shelved_alarm_comes_back_at_expiry() {
    let mut b = Bench::default();
    let down = facts(vec![conn(1, Status::Offline, 0)]);
    b.run(&down, 0);
    let k = offline(1);
    b.act(&k, |a| a.shelve("ana", 30 * MIN, "known fault, crew on site", MIN)).unwrap();
    assert_eq!(b.state(&k), AlarmState::Shelved);
    assert!(b.visible().is_empty());
    assert_eq!(b.run(&down, 30 * MIN - 1), 0, "still shelved a millisecond before expiry");
    b.run(&down, 31 * MIN);
    assert_eq!(b.state(&k), AlarmState::Unacknowledged);
    let last = &b.events.last().unwrap().1;
    assert_eq!((last.action, last.annunciated), (AlarmAction::ShelveExpired, true));
}

#[test]
fn a_return_while_shelved_needs_no_acknowledgement_and_a_new_failure_stays_shelved() {
    let mut b = Bench::default();
    b.run(&facts(vec![conn(1, Status::Offline, 0)]), 0);
    let k = offline(1);
    b.act(&k, |a| a.shelve("ana", 60 * MIN, "chattering radio", 0)).unwrap();
    b.run(&facts(vec![conn(1, Status::Online, MIN)]), MIN);
    assert_eq!(b.state(&k), AlarmState::Shelved);
    b.run(&facts(vec![conn(1, Status::Offline, 2 * MIN)]), 2 * MIN);
    assert_eq!(b.state(&k), AlarmState::Shelved, "shelving hides the source, not one occurrence");
    b.run(&facts(vec![conn(1, Status::Online, 3 * MIN)]), 3 * MIN);
    b.run(&facts(vec![conn(1, Status::Online, 3 * MIN)]), 61 * MIN);
    assert_eq!(b.state(&k), AlarmState::Normal, "it returned while shelved: nothing waits");
    b.act(&k, |a| a.shelve("ana", 70 * MIN, "again", 61 * MIN)).unwrap();
    b.act(&k, |a| a.unshelve("ben", 62 * MIN).map(|e| vec![e])).unwrap();
    assert_eq!(b.state(&k), AlarmState::Normal);
}

#[test]
fn a_maintenance_window_suppresses_and_releases() {
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Online, 0)]);
    f.connections[0].in_maintenance = true;
    b.run(&f, 0);
    f.connections[0].status = Status::Offline;
    b.run(&f, MIN);
    let k = offline(1);
    assert_eq!(b.state(&k), AlarmState::Suppressed);
    assert!(b.annunciations().is_empty(), "nothing was shown");
    assert_eq!(b.get(&k).suppression, Some(Suppression::Maintenance));
    // The window ends while the station is still down: now it needs the operator.
    f.connections[0].in_maintenance = false;
    b.run(&f, 2 * MIN);
    assert_eq!(b.state(&k), AlarmState::Unacknowledged);
    assert_eq!(b.annunciations().len(), 1);
    // A failure that is over before the window ends leaves nothing.
    let mut g = facts(vec![conn(2, Status::Offline, 0)]);
    g.connections[0].in_maintenance = true;
    b.run(&g, 3 * MIN);
    g.connections[0].status = Status::Online;
    b.run(&g, 4 * MIN);
    g.connections[0].in_maintenance = false;
    b.run(&g, 5 * MIN);
    assert_eq!(b.state(&offline(2)), AlarmState::Normal);
}

#[test]
fn a_gateway_outage_is_one_alarm_and_its_dependants_are_tracked_underneath() {
    let mut b = Bench::default();
    let mut cs = vec![conn(100, Status::Online, 0)];
    cs.extend((1..=50).map(|i| ConnectionFacts { depends_on: Some(100), ..conn(i, Status::Online, 0) }));
    let mut f = facts(cs);
    b.run(&f, 0);
    // Dependants fail first (their probes came in first): they wait for the gateway's verdict.
    for c in f.connections.iter_mut().skip(1) {
        c.status = Status::Offline;
        c.status_since = 1_000;
    }
    b.run(&f, 1_000);
    assert!(b.visible().is_empty(), "no alarm while the gateway has not been judged yet");
    f.connections[0].status = Status::Offline;
    f.connections[0].status_since = 20_000;
    b.run(&f, 20_000);
    assert_eq!(b.visible(), [&offline(100)], "one alarm for the cause");
    assert_eq!(b.state(&offline(7)), AlarmState::Suppressed);
    assert_eq!(b.get(&offline(7)).suppression, Some(Suppression::Gateway { connection_id: 100 }));
    assert_eq!(b.annunciations().len(), 1);
    // Station 7 recovers underneath; the gateway comes back; station 8 is still down.
    f.connections[7].status = Status::Online;
    b.run(&f, 30_000);
    f.connections[0].status = Status::Online;
    for c in f.connections.iter_mut().skip(1).filter(|c| c.id != 8 && c.id != 7) {
        c.status = Status::Online;
    }
    b.run(&f, 40_000);
    assert_eq!(b.state(&offline(7)), AlarmState::Normal, "cleared properly underneath");
    assert_eq!(b.state(&offline(8)), AlarmState::Unacknowledged, "its own fault shows once the gateway is back");
    assert_eq!(b.state(&offline(100)), AlarmState::ReturnedUnacknowledged);
}

#[test]
fn a_dependant_alarms_alone_once_its_gateway_was_judged_up() {
    let mut b = Bench::default();
    let f = facts(vec![
        conn(100, Status::Online, 0),
        ConnectionFacts { depends_on: Some(100), ..conn(1, Status::Offline, 1_000) },
    ]);
    b.run(&f, 1_000);
    assert_eq!(b.state(&offline(1)), AlarmState::Normal);
    b.run(&f, 1_000 + 34_999);
    assert_eq!(b.state(&offline(1)), AlarmState::Normal);
    b.run(&f, 1_000 + 35_000);
    assert_eq!(b.state(&offline(1)), AlarmState::Unacknowledged);
}

#[test]
fn point_alarms_wait_under_their_station() {
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Online, 0)]);
    f.points.push(PointFacts {
        connection_id: 1,
        point: "p1".into(),
        kind: AlarmKind::PointHigh,
        message: "p1 high".into(),
    });
    b.run(&f, 0);
    let p = AlarmKey::point(AlarmKind::PointHigh, 1, "p1");
    assert_eq!(b.state(&p), AlarmState::Unacknowledged);
    f.points.push(PointFacts {
        connection_id: 1,
        point: "p2".into(),
        kind: AlarmKind::PointQuality,
        message: "p2 bad".into(),
    });
    f.connections[0].status = Status::Offline;
    b.run(&f, MIN);
    assert_eq!(b.visible(), [&offline(1)], "one alarm per lost station");
    assert_eq!(b.get(&p).suppression, Some(Suppression::Station { connection_id: 1 }));
    assert_eq!(b.state(&AlarmKey::point(AlarmKind::PointQuality, 1, "p2")), AlarmState::Suppressed);
}

#[test]
fn the_console_losing_its_network_is_one_alarm() {
    let mut b = Bench::default();
    let mut f = facts((1..=20).map(|i| conn(i, Status::Online, 0)).collect());
    b.run(&f, 0);
    b.run(&f, 0);
    f.console_online = false;
    // Every station goes to unknown (observer offline) or is still seen offline.
    for c in &mut f.connections {
        c.status = if c.id % 2 == 0 { Status::Offline } else { Status::Unknown };
    }
    b.run(&f, MIN);
    assert_eq!(b.visible(), [&AlarmKey::console()]);
    assert_eq!(b.get(&AlarmKey::console()).priority, Priority::High);
    assert_eq!(b.annunciations().len(), 1);
    f.console_online = true;
    for c in &mut f.connections {
        c.status = Status::Online;
    }
    b.run(&f, 2 * MIN);
    assert_eq!(b.visible(), [&AlarmKey::console()], "returned, waiting for acknowledgement");
    assert_eq!(b.state(&offline(2)), AlarmState::Normal);
}

#[test]
fn a_chattering_connection_raises_one_alarm_until_it_settles() {
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Offline, 0)]);
    f.connections[0].recent_changes = 1;
    f.connections[0].last_change_at = Some(0);
    b.run(&f, 0);
    let chatter = AlarmKey::connection(AlarmKind::Chattering, 1);
    for (i, t) in [10_000, 20_000, 30_000, 40_000].into_iter().enumerate() {
        let c = &mut f.connections[0];
        c.status = if i % 2 == 0 { Status::Online } else { Status::Offline };
        c.recent_changes = i as u32 + 2;
        c.last_change_at = Some(t);
        b.run(&f, t);
    }
    assert_eq!(
        b.visible(),
        [&offline(1), &chatter].into_iter().filter(|k| b.state(k).is_visible()).collect::<Vec<_>>()
    );
    assert_eq!(b.state(&chatter), AlarmState::Unacknowledged);
    assert_eq!(b.state(&offline(1)), AlarmState::Suppressed, "the flapping itself is the alarm");
    let before = b.annunciations().len();
    // More flapping adds nothing to the operator's list.
    for t in [50_000, 60_000, 70_000] {
        let c = &mut f.connections[0];
        c.status = if c.status == Status::Online { Status::Offline } else { Status::Online };
        c.last_change_at = Some(t);
        b.run(&f, t);
    }
    assert_eq!(b.annunciations().len(), before);
    // Quiet for less than the settle time: still chattering; after it, returned.
    f.connections[0].recent_changes = 0;
    b.run(&f, 70_000 + 119_999);
    assert_eq!(b.state(&chatter), AlarmState::Unacknowledged);
    b.run(&f, 70_000 + 120_000);
    assert_eq!(b.state(&chatter), AlarmState::ReturnedUnacknowledged);
}

#[test]
fn certificates_warn_before_and_at_expiry_and_when_changed() {
    let day = 86_400_000;
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Online, 0)]);
    f.connections[0].cert = Some(CertFacts { not_after_ms: 20 * day, pin_changed: false });
    b.run(&f, 0);
    assert!(b.visible().is_empty());
    b.run(&f, 6 * day);
    let expiring = AlarmKey::connection(AlarmKind::CertExpiring, 1);
    assert_eq!(b.state(&expiring), AlarmState::Unacknowledged);
    assert!(b.get(&expiring).message.contains("expires in 14 days"), "{}", b.get(&expiring).message);
    b.run(&f, 20 * day);
    assert_eq!(b.state(&AlarmKey::connection(AlarmKind::CertExpired, 1)), AlarmState::Unacknowledged);
    assert_eq!(b.state(&expiring), AlarmState::ReturnedUnacknowledged);
    f.connections[0].cert = Some(CertFacts { not_after_ms: 400 * day, pin_changed: true });
    b.run(&f, 21 * day);
    let changed = b.get(&AlarmKey::connection(AlarmKind::CertChanged, 1));
    assert_eq!((changed.state(), changed.priority), (AlarmState::Unacknowledged, Priority::High));
}

#[test]
fn a_replaced_pinned_certificate_is_one_alarm_not_two() {
    let mut b = Bench::default();
    let mut f = facts(vec![conn(1, Status::Untrusted, 0)]);
    f.connections[0].cert = Some(CertFacts { not_after_ms: i64::MAX / 2, pin_changed: true });
    b.run(&f, 0);
    let shown: Vec<AlarmKind> = b.visible().iter().map(|k| k.kind).collect();
    assert_eq!(shown, vec![AlarmKind::CertChanged], "the changed certificate is the cause");
    // Pinned again (or the old certificate back): the station is only untrusted if it still is.
    f.connections[0].cert = Some(CertFacts { not_after_ms: i64::MAX / 2, pin_changed: false });
    b.run(&f, 1_000);
    let untrusted = AlarmKey::connection(AlarmKind::Untrusted, 1);
    assert_eq!(b.state(&untrusted), AlarmState::Unacknowledged);
    assert_eq!(b.state(&AlarmKey::connection(AlarmKind::CertChanged, 1)), AlarmState::ReturnedUnacknowledged);
}

#[test]
fn a_station_found_untrusted_before_its_trust_changed_is_checked_again_before_it_alarms() {
    let mut b = Bench::default();
    let untrusted = AlarmKey::connection(AlarmKind::Untrusted, 1);
    // Untrusted since 0; the engineer pins its certificate at 10 s: the monitor has its
    // confirmation window (35 s here) to see it trusted before the old status alarms.
    let f = facts(vec![ConnectionFacts { trust_changed_at: Some(10_000), ..conn(1, Status::Untrusted, 0) }]);
    b.run(&f, 10_000);
    assert!(b.visible().is_empty(), "no alarm while the new trust is checked");
    b.run(&f, 44_999);
    assert!(b.visible().is_empty());
    // Still untrusted after the window: the new trust did not help.
    b.run(&f, 45_000);
    assert_eq!(b.state(&untrusted), AlarmState::Unacknowledged);
}

#[test]
fn priorities_follow_the_settings() {
    let mut b = Bench::default();
    b.settings.priorities.insert("degraded".into(), Priority::Medium);
    b.run(&facts(vec![conn(1, Status::Degraded, 0)]), 0);
    assert_eq!(b.get(&AlarmKey::connection(AlarmKind::Degraded, 1)).priority, Priority::Medium);
    let mut bad = AlarmSettings::default();
    bad.priorities.insert("nonsense".into(), Priority::Low);
    assert!(bad.validate().is_err());
    assert!(AlarmSettings { flood_end: 11, ..Default::default() }.validate().is_err());
    assert!(AlarmSettings::default().validate().is_ok());
}

fn ann(at_ms: i64, alarm_id: i64) -> Annunciation {
    Annunciation { at_ms, alarm_id }
}

#[test]
fn a_flood_starts_above_ten_in_ten_minutes_names_its_first_out_and_ends_below_five() {
    let s = AlarmSettings::default();
    // Ten within ten minutes is not yet a flood.
    let mut a: Vec<_> = (0..10).map(|i| ann(i * 1_000, 100 + i)).collect();
    assert_eq!(
        flood(&a, 10_000, &s),
        FloodStatus {
            rate: 10,
            window_ms: 600_000,
            flooding: false,
            started_at: None,
            first_out: None,
            repeat_offenders: vec![]
        }
    );
    // An early, unrelated one outside the window is not the first-out.
    a.insert(0, ann(-20 * MIN, 7));
    a.push(ann(11_000, 200));
    let st = flood(&a, 12_000, &s);
    assert!(st.flooding);
    assert_eq!((st.rate, st.started_at, st.first_out), (11, Some(11_000), Some(100)));
    // A repeat offender.
    for t in 0..4 {
        a.push(ann(20_000 + t * 1_000, 105));
    }
    let st = flood(&a, 30_000, &s);
    assert_eq!(st.repeat_offenders, [(105, 5)]);
    // Hysteresis: it stays a flood until fewer than five remain in the window.
    assert!(flood(&a, 600_000 + 10_000, &s).flooding, "{:?}", flood(&a, 610_000, &s));
    let end = flood(&a, 600_000 + 20_000, &s);
    assert!(!end.flooding && end.first_out.is_none(), "{end:?}");
    assert_eq!(end.rate, 3);
}

#[test]
fn the_first_out_starts_the_burst_not_the_window() {
    let s = AlarmSettings::default();
    // A stray alarm five minutes before the burst is in the window but did not start it.
    let mut a = vec![ann(0, 7)];
    a.extend((0..11).map(|i| ann(5 * MIN + i * 2_000, 100 + i)));
    let st = flood(&a, 6 * MIN, &s);
    assert!(st.flooding);
    assert_eq!(st.first_out, Some(100));
}

#[test]
fn the_rate_counts_only_the_window() {
    let s = AlarmSettings::default();
    let a: Vec<_> = (0..30).map(|i| ann(i * MIN, i)).collect();
    let st = flood(&a, 29 * MIN, &s);
    assert_eq!((st.rate, st.flooding), (10, false));
}
