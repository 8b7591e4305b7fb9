// Times and numbers for people. Stored times are UTC milliseconds; they are shown in the
// signed-in person's time zone (their profile's, else the device's, as the core decides) and
// formatted for their language. `setDisplay` is called when the settings load or change.
let zone: string | undefined;
let locale = 'en';

export function setDisplay(timeZone: string, language: string): void {
  zone = timeZone;
  locale = language === 'de' ? 'de-DE' : 'en-GB';
}

export function displayLocale(): string {
  return locale;
}

export function clock(ms: number): string {
  return new Intl.DateTimeFormat(locale, { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(ms);
}

/** Date, time and the zone's short name (CET, CEST, UTC): a time read aloud is never ambiguous. */
export function dateTime(ms: number): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(ms);
}

export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** A number in the person's language (1,234.5 / 1.234,5). */
export function number(v: number, digits: number): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}

export function value(v: number | null, unit: string): string {
  if (v === null) return '—';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  return `${number(v, digits)} ${unit}`.trim();
}
