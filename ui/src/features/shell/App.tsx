// The console's frame: its mode, the observer-offline banner, navigation, and the views. Data
// comes from the core: a load, then the events it pushes.
import { useCallback, useEffect, useState } from 'react';
import { onConsoleEvents, onShellEvents } from '../../lib/events';
import { api, ConsoleError } from '../../lib/ipc';
import { Activity } from '../activity/Activity';
import { AlarmBanners, AlarmCounter } from '../alarms/AlarmBar';
import { AlarmList } from '../alarms/AlarmList';
import { NO_FILTER, useAlarms } from '../alarms/useAlarms';
import { Detail } from '../connection-detail/Detail';
import { Connections } from '../connections/Connections';
import { ControlRoom } from '../control-room/ControlRoom';
import { applyEvents, emptyRoom, loadRoom, type Room } from '../control-room/model';
import type { Role } from '../../bindings/Role';
import type { Settings as SettingsData } from '../../bindings/Settings';
import { setDisplay } from '../../lib/format';
import { setLanguage, t } from '../../lib/i18n';
import { Settings } from '../settings/Settings';
import { SyncIndicator } from '../sync/SyncIndicator';
import { SyncView } from '../sync/SyncView';
import { useSync } from '../sync/useSync';
import type { UserRow } from '../../bindings/UserRow';
import { shownName } from '../session/model';
import { WidgetEditor } from '../widget-editor/WidgetEditor';
import { ModeLine } from './ModeLine';

type View =
  | { name: 'room' }
  | { name: 'alarms' }
  | { name: 'detail'; connection: string }
  | { name: 'connections' }
  | { name: 'widgets' }
  | { name: 'activity' }
  | { name: 'sync' }
  | { name: 'settings' };

export function App({ user, role, onSignOut }: { user: UserRow; role: Role; onSignOut: () => void }) {
  const [room, setRoom] = useState<Room>(emptyRoom);
  const [view, setView] = useState<View>({ name: 'room' });
  const [error, setError] = useState<string | null>(null);
  const alarms = useAlarms(NO_FILTER);
  const sync = useSync();
  // The person's settings decide the theme, the zone times are shown in and the language; they
  // load with the console and again after every change in the settings view.
  const [settings, setSettings] = useState<SettingsData | null>(null);
  const loadSettings = useCallback(() => {
    api.settings().then(
      (s) => {
        setDisplay(s.timezone, s.language);
        setLanguage(s.language);
        document.documentElement.dataset.theme = s.theme;
        document.documentElement.lang = s.language;
        localStorage.setItem('zc-theme', s.theme);
        setSettings(s);
      },
      (e: unknown) => setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e)),
    );
  }, []);
  useEffect(loadSettings, [loadSettings]);

  // Loads the control room from the core; again whenever events were lost (room.stale).
  useEffect(() => {
    let live = true;
    Promise.all([api.consoleState(), api.controlRoom()]).then(
      ([state, data]) => {
        if (!live) return;
        setRoom((r) => loadRoom(r, data, state));
        setError(null);
      },
      (e: unknown) => live && setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e)),
    );
    return () => {
      live = false;
    };
  }, [room.stale]);

  useEffect(() => {
    // Events are applied on top of whatever the load brings; one arriving before it is kept.
    const unlisten = onConsoleEvents((events) => setRoom((r) => applyEvents(r, events)));
    return () => {
      void unlisten.then((f) => f());
    };
  }, []);

  // The tray's "Show alarms".
  useEffect(() => {
    const unlisten = onShellEvents((e) => {
      if (e.type === 'navigate') setView({ name: e.view });
    });
    return () => {
      void unlisten.then((f) => f());
    };
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && view.name !== 'room') setView({ name: 'room' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view.name]);

  return (
    <div className="app">
      <header className="app-head">
        <span className="product">ZeroClient</span>
        <nav aria-label={t('shell.views')}>
          <button type="button" aria-current={view.name === 'room'} onClick={() => setView({ name: 'room' })} data-nav="room">
            {t('nav.room')}
          </button>
          <button type="button" aria-current={view.name === 'alarms'} onClick={() => setView({ name: 'alarms' })} data-nav="alarms">
            {t('nav.alarms')}
            {alarms.view ? ` (${alarms.view.counts.active})` : ''}
          </button>
          <button type="button" aria-current={view.name === 'connections'} onClick={() => setView({ name: 'connections' })} data-nav="connections">
            {t('nav.connections')}
          </button>
          {role === 'admin' && (
            <button type="button" aria-current={view.name === 'widgets'} onClick={() => setView({ name: 'widgets' })} data-nav="widgets">
              {t('nav.widgets')}
            </button>
          )}
          <button type="button" aria-current={view.name === 'activity'} onClick={() => setView({ name: 'activity' })} data-nav="activity">
            {t('nav.activity')}
          </button>
          <button type="button" aria-current={view.name === 'settings'} onClick={() => setView({ name: 'settings' })} data-nav="settings">
            {t('nav.settings')}
          </button>
        </nav>
        <AlarmCounter view={alarms.view} onOpen={() => setView({ name: 'alarms' })} />
        <SyncIndicator status={sync.status} error={sync.error} onOpen={() => setView({ name: 'sync' })} />
        <ModeLine state={room.console} />
        <span className="who" data-signed-in={user.username} data-role={role} title={shownName(user.username, user.profile.display_name)}>
          {shownName(user.username, user.profile.display_name)} · {t(`role.${role}`)}
        </span>
        <button type="button" onClick={onSignOut} data-action="sign-out">
          {t('shell.signOut')}
        </button>
      </header>
      {!room.observerOnline && (
        <div className="banner banner-observer" role="alert" data-banner="observer-offline">
          <strong>{t('shell.observerOffline')}</strong> {t('shell.observerOfflineText')}
        </div>
      )}
      <AlarmBanners view={alarms.view} onOpen={() => setView({ name: 'alarms' })} />
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
      <main>
        {view.name === 'room' && (
          <ControlRoom room={room} alarms={alarms.view?.by_connection ?? []} onOpen={(c) => setView({ name: 'detail', connection: c })} />
        )}
        {view.name === 'alarms' && <AlarmList connections={[...room.tiles.values()].map((t) => t.name).sort()} />}
        {view.name === 'detail' && <Detail name={view.connection} room={room} onBack={() => setView({ name: 'room' })} />}
        {view.name === 'connections' && <Connections />}
        {view.name === 'widgets' && <WidgetEditor />}
        {view.name === 'activity' && <Activity />}
        {view.name === 'sync' && <SyncView status={sync.status} readError={sync.error} role={role} onChanged={sync.set} />}
        {view.name === 'settings' && settings && <Settings data={settings} onChanged={loadSettings} />}
      </main>
    </div>
  );
}
