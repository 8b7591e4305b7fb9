// The signed-in person's settings: profile (with the time zone and language everything is shown
// in), desktop notifications with quiet hours, theme, this device, and for admins retention.
// Each section saves on its own; the core checks every value and says what is wrong.
import { useEffect, useState } from 'react';
import type { NotificationTally } from '../../bindings/NotificationTally';
import type { NotificationPreferences } from '../../bindings/NotificationPreferences';
import type { Priority } from '../../bindings/Priority';
import type { Profile } from '../../bindings/Profile';
import type { Settings as SettingsData } from '../../bindings/Settings';
import type { Theme } from '../../bindings/Theme';
import type { UpdateOutcome } from '../../bindings/UpdateOutcome';
import { dateTime } from '../../lib/format';
import { api, ConsoleError } from '../../lib/ipc';
import { t, type Key } from '../../lib/i18n';

function message(e: unknown): string {
  return e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e);
}

const DAY = 86_400_000;

/** Every IANA zone the WebView knows, with the current one first if it is not among them. */
function zones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes(current) ? all : [current, ...all];
}

function Section({ title, name, children }: { title: string; name: string; children: React.ReactNode }) {
  return (
    <section className="settings-section" data-settings={name}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function Status({ error, saved }: { error: string | null; saved: boolean }) {
  if (error)
    return (
      <p className="error-line" role="alert">
        {error}
      </p>
    );
  return saved ? (
    <p className="muted" role="status" data-saved>
      {t('settings.saved')}
    </p>
  ) : null;
}

function ProfileForm({ data, onChanged }: { data: SettingsData; onChanged: () => void }) {
  const [p, setP] = useState<Profile>({ ...data.user.profile, timezone: data.user.profile.timezone ?? data.timezone, preferred_language: data.language });
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const field = (k: 'display_name' | 'company' | 'email' | 'phone', label: Key) => (
    <label className="field">
      <span>{t(label)}</span>
      <input name={k} value={p[k] ?? ''} onChange={(e) => setP({ ...p, [k]: e.target.value || null })} />
    </label>
  );
  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      await api.setProfile(p);
      setSaved(true);
      onChanged();
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <Section title={t('settings.profile')} name="profile">
      <div className="field-row">
        {field('display_name', 'settings.displayName')}
        {field('company', 'settings.company')}
        {field('email', 'settings.email')}
        {field('phone', 'settings.phone')}
      </div>
      <div className="field-row">
        <label className="field">
          <span>{t('settings.timezone')}</span>
          <select name="timezone" value={p.timezone ?? ''} onChange={(e) => setP({ ...p, timezone: e.target.value })}>
            {zones(p.timezone ?? data.timezone).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          <small className="muted">{t('settings.timezoneHint')}</small>
        </label>
        <label className="field">
          <span>{t('settings.language')}</span>
          <select name="language" value={p.preferred_language ?? 'en'} onChange={(e) => setP({ ...p, preferred_language: e.target.value })}>
            {data.languages.map((l) => (
              <option key={l} value={l}>
                {t(`lang.${l}` as Key)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Status error={error} saved={saved} />
      <button type="button" onClick={() => void save()} data-action="save-profile">
        {t('settings.saveProfile')}
      </button>
    </Section>
  );
}

function NotificationsForm({ data }: { data: SettingsData }) {
  const [n, setN] = useState<NotificationPreferences>(data.notifications);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      setN(await api.setNotifications(n));
      setSaved(true);
    } catch (e) {
      setError(message(e));
    }
  };
  const quiet = n.quiet_hours;
  // What the notifications did since the console started, so "why did nothing pop up?" has an answer.
  const [tally, setTally] = useState<NotificationTally | null>(null);
  useEffect(() => {
    api.notificationTally().then(setTally, () => setTally(null));
  }, [saved]);
  return (
    <Section title={t('settings.notifications')} name="notifications">
      <label className="check">
        <input type="checkbox" name="desktop" checked={n.desktop} onChange={(e) => setN({ ...n, desktop: e.target.checked })} />
        {t('settings.desktop')}
      </label>
      <label className="field">
        <span>{t('settings.minPriority')}</span>
        <select name="min-priority" value={n.min_priority} onChange={(e) => setN({ ...n, min_priority: e.target.value as Priority })}>
          {(['high', 'medium', 'low'] as const).map((p) => (
            <option key={p} value={p}>
              {t(`settings.priority.${p}`)}
            </option>
          ))}
        </select>
      </label>
      <div className="field-row quiet-hours">
        <label className="check">
          <input
            type="checkbox"
            name="quiet"
            checked={quiet !== null}
            onChange={(e) => setN({ ...n, quiet_hours: e.target.checked ? { from: '22:00', to: '06:00' } : null })}
          />
          {t('settings.quiet')}
        </label>
        {quiet && (
          <>
            <label className="field">
              <span>{t('settings.quietFrom')}</span>
              <input type="time" name="quiet-from" value={quiet.from} onChange={(e) => setN({ ...n, quiet_hours: { ...quiet, from: e.target.value } })} />
            </label>
            <label className="field">
              <span>{t('settings.quietTo')}</span>
              <input type="time" name="quiet-to" value={quiet.to} onChange={(e) => setN({ ...n, quiet_hours: { ...quiet, to: e.target.value } })} />
            </label>
          </>
        )}
      </div>
      <p className="muted">{t('settings.quietHint')}</p>
      {tally && (
        <p className="muted" data-notification-tally>
          {t('settings.tally', { shown: tally.shown, quiet: tally.quiet, priority: tally.below_priority, off: tally.off })}
        </p>
      )}
      <Status error={error} saved={saved} />
      <button type="button" onClick={() => void save()} data-action="save-notifications">
        {t('settings.saveNotifications')}
      </button>
    </Section>
  );
}

function Retention({ data, onChanged }: { data: SettingsData; onChanged: () => void }) {
  const [days, setDays] = useState<Record<string, string>>(() =>
    Object.fromEntries((data.retention ?? []).map((r) => [r.data_kind, String(Math.round(r.max_age_ms / DAY))])),
  );
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async (kind: string) => {
    setError(null);
    setSaved(false);
    const n = Number(days[kind]);
    try {
      await api.setRetention(kind, Number.isFinite(n) ? Math.round(n * DAY) : 0);
      setSaved(true);
      onChanged();
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <Section title={t('settings.retention')} name="retention">
      <p className="muted">{t('settings.retentionHint')}</p>
      <table className="grid">
        <tbody>
          {(data.retention ?? []).map((r) => (
            <tr key={r.data_kind} data-retention={r.data_kind}>
              <td>{r.data_kind}</td>
              <td>
                <input name={`retention-${r.data_kind}`} inputMode="numeric" value={days[r.data_kind] ?? ''} onChange={(e) => setDays({ ...days, [r.data_kind]: e.target.value })} />{' '}
                {t('settings.retention.days')}
              </td>
              <td>
                <button type="button" onClick={() => void save(r.data_kind)}>
                  {t('settings.retention.save')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Status error={error} saved={saved} />
    </Section>
  );
}

/** One line for an update look's outcome. */
function outcomeLine(o: UpdateOutcome): string {
  switch (o.result) {
    case 'up_to_date':
      return t('updates.upToDate', { version: o.version });
    case 'available':
      return t('updates.available', { version: o.version, current: o.current });
    case 'unreachable':
      return t('updates.unreachable', { reason: o.reason });
    case 'rejected':
      return t('updates.rejected', { version: o.version, reason: o.reason });
    case 'installed':
      return t('updates.installed', { version: o.version });
  }
}

/** Look for an update now, install it, and the automatic look (admins); the last outcome. */
function Updates({ data, onChanged }: { data: SettingsData; onChanged: () => void }) {
  const [info, setInfo] = useState<{ configured: boolean; current_version: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.updateInfo().then(setInfo, () => setInfo(null));
  }, []);
  const admin = data.role === 'admin';
  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await what();
      onChanged();
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  const last = data.updates.last_check;
  return (
    <Section title={t('settings.updates')} name="updates">
      {info && !info.configured && <p className="muted" data-updates="not-configured">{t('settings.updatesNone')}</p>}
      {last && (
        <p data-update-outcome={last.outcome.result}>
          {outcomeLine(last.outcome)} <span className="muted">({dateTime(last.at)})</span>
        </p>
      )}
      {admin && info?.configured && (
        <>
          <button type="button" disabled={busy} onClick={() => void run(api.checkForUpdates)} data-action="check-updates">
            {t('updates.check')}
          </button>{' '}
          {last?.outcome.result === 'available' && (
            <button type="button" disabled={busy} onClick={() => void run(api.installUpdate)} data-action="install-update">
              {t('updates.install', { version: last.outcome.version })}
            </button>
          )}
          <label className="check">
            <input type="checkbox" checked={data.updates.auto_check} onChange={(e) => void run(() => api.setUpdateAutoCheck(e.target.checked))} />
            {t('updates.auto')}
          </label>
        </>
      )}
      {!admin && <p className="muted">{t('updates.adminOnly')}</p>}
      <Status error={error} saved={false} />
    </Section>
  );
}

export function Settings({ data, onChanged }: { data: SettingsData; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const setTheme = async (theme: Theme) => {
    try {
      await api.setTheme(theme);
      onChanged();
    } catch (e) {
      setError(message(e));
    }
  };
  const d = data.device;
  return (
    <div className="settings-page" aria-label={t('settings.title')}>
      <ProfileForm key={`${data.user.profile.timezone}/${data.language}`} data={data} onChanged={onChanged} />
      <NotificationsForm data={data} />
      <Section title={t('settings.theme')} name="theme">
        {(['dark', 'light'] as const).map((th) => (
          <label key={th} className="check">
            <input type="radio" name="theme" value={th} checked={data.theme === th} onChange={() => void setTheme(th)} />
            {t(`settings.theme.${th}`)}
          </label>
        ))}
        <Status error={error} saved={false} />
      </Section>
      <Section title={t('settings.device')} name="device">
        <dl className="cert-check">
          <dt>{t('settings.device.host')}</dt>
          <dd>{d.hostname}</dd>
          <dt>{t('settings.device.os')}</dt>
          <dd>
            {d.os} {d.os_version} ({d.arch})
          </dd>
          <dt>{t('settings.device.version')}</dt>
          <dd data-app-version>{d.app_version}</dd>
          <dt>{t('settings.device.locale')}</dt>
          <dd>{d.locale}</dd>
        </dl>
      </Section>
      {data.retention && <Retention data={data} onChanged={onChanged} />}
      <Updates data={data} onChanged={onChanged} />
    </div>
  );
}
