// The console's commands, typed with the bindings generated from Rust. Every failure arrives as
// zc-app's `{code, message}`; nothing here decides anything, it only asks the core.
import { invoke } from '@tauri-apps/api/core';
import type { AckReport } from '../bindings/AckReport';
import type { AckTarget } from '../bindings/AckTarget';
import type { ActivityFilter } from '../bindings/ActivityFilter';
import type { AlarmFilter } from '../bindings/AlarmFilter';
import type { AlarmHistoryRow } from '../bindings/AlarmHistoryRow';
import type { AlarmRow } from '../bindings/AlarmRow';
import type { AlarmsView } from '../bindings/AlarmsView';
import type { MaintenanceWindow } from '../bindings/MaintenanceWindow';
import type { ActivityView } from '../bindings/ActivityView';
import type { CertificateCheck } from '../bindings/CertificateCheck';
import type { ChartReport } from '../bindings/ChartReport';
import type { ConnectionDetail } from '../bindings/ConnectionDetail';
import type { ConnectionSpec } from '../bindings/ConnectionSpec';
import type { ConnectionRow } from '../bindings/ConnectionRow';
import type { ConnectionRemoval } from '../bindings/ConnectionRemoval';
import type { ExportKind } from '../bindings/ExportKind';
import type { ExportReport } from '../bindings/ExportReport';
import type { ConsoleState } from '../bindings/ConsoleState';
import type { ControlRoom } from '../bindings/ControlRoom';
import type { HistoryReport } from '../bindings/HistoryReport';
import type { KeyCheck } from '../bindings/KeyCheck';
import type { KeyShare } from '../bindings/KeyShare';
import type { LatencyChart } from '../bindings/LatencyChart';
import type { MetricsPage } from '../bindings/MetricsPage';
import type { PointsReport } from '../bindings/PointsReport';
import type { Profile } from '../bindings/Profile';
import type { SessionRow } from '../bindings/SessionRow';
import type { SignInState } from '../bindings/SignInState';
import type { Side } from '../bindings/Side';
import type { WidgetNotice } from '../bindings/WidgetNotice';
import type { SyncReport } from '../bindings/SyncReport';
import type { SyncStatus } from '../bindings/SyncStatus';
import type { UserRow } from '../bindings/UserRow';
import type { FieldError } from '../bindings/FieldError';
import type { WidgetDiff } from '../bindings/WidgetDiff';
import type { WidgetGroup } from '../bindings/WidgetGroup';
import type { WidgetKindInfo } from '../bindings/WidgetKindInfo';
import type { WidgetRow } from '../bindings/WidgetRow';
import type { WidgetSpec } from '../bindings/WidgetSpec';
import type { WidgetVersion } from '../bindings/WidgetVersion';
import type { NotificationPreferences } from '../bindings/NotificationPreferences';
import type { NotificationTally } from '../bindings/NotificationTally';
import type { RetentionPolicy } from '../bindings/RetentionPolicy';
import type { Settings } from '../bindings/Settings';
import type { Theme } from '../bindings/Theme';
import type { UpdateOutcome } from '../bindings/UpdateOutcome';
import type { UpdateSettings } from '../bindings/UpdateSettings';
import type { ZcError } from '../bindings/ZcError';
import { t } from './i18n';

export class ConsoleError extends Error {
  readonly code: string;
  /** The input the error is about (e.g. `config.max`), when it is about one. */
  readonly field: string | null;
  constructor(e: ZcError) {
    super(e.message);
    this.code = e.code;
    this.field = e.field ?? null;
  }
}

function isZcError(e: unknown): e is ZcError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

/// Sent on the window when a command answers `signed_out`.
export const SIGNED_OUT = 'zc-signed-out';

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isZcError(e)) {
      // The core ended the session (expired, signed out elsewhere, account changed): the
      // console goes back to its sign-in screen.
      if (e.code === 'signed_out') window.dispatchEvent(new Event(SIGNED_OUT));
      throw new ConsoleError(e);
    }
    // The IPC layer itself refused (e.g. a command not granted): still one clear line.
    throw new ConsoleError({ code: 'internal', message: t('error.ipc', { cmd, error: String(e) }) });
  }
}

export const api = {
  signInState: () => call<SignInState>('sign_in_state'),
  createFirstAdmin: (username: string, password: string, profile: Profile) =>
    call<UserRow>('create_first_admin', { username, password, profile }),
  signIn: (username: string, password: string) => call<SessionRow>('sign_in', { username, password }),
  signOut: () => call<SessionRow | null>('sign_out'),
  consoleState: () => call<ConsoleState>('console_state'),
  controlRoom: () => call<ControlRoom>('control_room'),
  connectionDetail: (name: string) => call<ConnectionDetail>('connection_detail', { name }),
  statusHistory: (name: string, since: number, until: number | null) =>
    call<HistoryReport>('status_history', { name, since, until }),
  latencyChart: (name: string, since: number, until: number | null, width: number, height: number) =>
    call<LatencyChart>('latency_chart', { name, since, until, width, height }),
  metricsPage: (name: string, since: number, until: number | null, offset: number, limit: number) =>
    call<MetricsPage>('metrics_page', { name, since, until, offset, limit }),
  pointValues: (name: string, since: number | null, until: number | null, limit: number) =>
    call<PointsReport>('point_values', { name, since, until, limit }),
  checkKey: (name: string) => call<KeyCheck>('check_key', { name }),
  // Sealed to each other console of the site; the key itself never crosses IPC.
  shareKey: (name: string) => call<KeyShare>('share_key', { name }),
  listConnections: () => call<ConnectionRow[]>('list_connections'),
  connectionForm: (name: string | null) => call<ConnectionSpec>('connection_form', { name }),
  // The key travels once, to the keyring; nothing ever sends it back.
  addConnection: (input: ConnectionSpec, key: string | null) => call<ConnectionRow>('add_connection', { input, key }),
  updateConnection: (name: string, input: ConnectionSpec, key: string | null) =>
    call<ConnectionRow>('update_connection', { name, input, key }),
  removeConnection: (name: string, discardUnpushed = false) =>
    call<ConnectionRemoval>('remove_connection', { name, discardUnpushed }),
  activity: (filter: ActivityFilter) => call<ActivityView>('activity', { filter }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<SyncReport>('sync_now'),
  retryQuarantined: (id: number) => call<SyncReport>('retry_quarantined', { id }),
  discardQuarantined: (id: number) => call<SyncStatus>('discard_quarantined', { id }),
  widgetNotices: () => call<WidgetNotice[]>('widget_notices'),
  resolveWidgetConflict: (id: number, choices: Record<string, Side>) =>
    call<WidgetNotice[]>('resolve_widget_conflict', { id, choices }),
  dismissWidgetNotice: (id: number) => call<WidgetNotice[]>('dismiss_widget_notice', { id }),
  defaultExportPath: (name: string, what: string, ext: string) => call<string>('default_export_path', { name, what, ext }),
  exportCsv: (id: number, kind: ExportKind, name: string, since: number, until: number | null, path: string) =>
    call<ExportReport>('export_csv', { id, kind, name, since, until, path }),
  cancelExport: (id: number) => call<null>('cancel_export', { id }),
  alarms: (filter: AlarmFilter) => call<AlarmsView>('alarms_view', { filter }),
  acknowledgeAlarms: (target: AckTarget, comment: string | null) =>
    call<AckReport>('acknowledge_alarms', { target, comment }),
  shelveAlarm: (id: number, forMs: number, reason: string) => call<AlarmRow>('shelve_alarm', { id, forMs, reason }),
  unshelveAlarm: (id: number) => call<AlarmRow>('unshelve_alarm', { id }),
  alarmHistory: (since: number, until: number | null, connection: string | null, limit: number) =>
    call<AlarmHistoryRow[]>('alarm_history', { since, until, connection, limit }),
  maintenanceWindows: (name: string | null) => call<MaintenanceWindow[]>('maintenance_windows', { name }),
  openMaintenanceWindow: (name: string, forMs: number, reason: string) =>
    call<MaintenanceWindow>('open_maintenance_window', { name, forMs, reason }),
  endMaintenanceWindow: (id: number) => call<MaintenanceWindow>('end_maintenance_window', { id }),
  inspectCertificate: (name: string) => call<CertificateCheck>('inspect_certificate', { name }),
  /** One of `pin` and `caFile`, or neither for the system's roots. */
  trustCertificate: (name: string, pin: string | null, caFile: string | null) =>
    call<CertificateCheck>('trust_certificate', { name, pin, caFile }),
  exportChart: (name: string, since: number, until: number | null, path: string, width: number, height: number) =>
    call<ChartReport>('export_chart', { name, since, until, path, width, height }),
  widgetKinds: () => call<WidgetKindInfo[]>('widget_kinds'),
  widgetGroups: () => call<WidgetGroup[]>('widget_groups'),
  checkWidget: (spec: WidgetSpec) => call<FieldError[]>('check_widget', { spec }),
  addWidget: (connection: string, spec: WidgetSpec) => call<WidgetRow>('add_widget', { connection, spec }),
  /** Saves over `baseVersion`, the version the edit started from; `edit_conflict` if it moved on. */
  saveWidget: (connection: string, name: string, baseVersion: number, spec: WidgetSpec) =>
    call<WidgetRow>('save_widget', { connection, name, baseVersion, spec }),
  widgetHistory: (connection: string, name: string) => call<WidgetVersion[]>('widget_history', { connection, name }),
  widgetDiff: (connection: string, name: string, from: number, to: number | null) =>
    call<WidgetDiff>('widget_diff', { connection, name, from, to }),
  restoreWidget: (connection: string, name: string, version: number, baseVersion: number) =>
    call<WidgetRow>('restore_widget', { connection, name, version, baseVersion }),
  duplicateWidget: (connection: string, name: string, newName: string, toConnection: string | null) =>
    call<WidgetRow>('duplicate_widget', { connection, name, newName, toConnection }),
  removeWidget: (connection: string, name: string) => call<null>('remove_widget', { connection, name }),
  settings: () => call<Settings>('settings'),
  setProfile: (profile: Profile) => call<UserRow>('set_profile', { profile }),
  setNotifications: (preferences: NotificationPreferences) => call<NotificationPreferences>('set_notifications', { preferences }),
  setTheme: (theme: Theme) => call<Theme>('set_theme', { theme }),
  notificationTally: () => call<NotificationTally>('notification_tally'),
  /** Quits after the person confirmed it (the shell asked because alarms were active). */
  quitConsole: () => call<null>('quit_console'),
  updateInfo: () => call<{ configured: boolean; current_version: string }>('update_info'),
  checkForUpdates: () => call<UpdateOutcome>('check_for_updates'),
  /** Downloads, verifies and installs the newer version; the console then restarts into it. */
  installUpdate: () => call<UpdateOutcome>('install_update'),
  setUpdateAutoCheck: (on: boolean) => call<UpdateSettings>('set_update_auto_check', { on }),
  setRetention: (dataKind: string, maxAgeMs: number) => call<RetentionPolicy[]>('set_retention', { dataKind, maxAgeMs }),
};
