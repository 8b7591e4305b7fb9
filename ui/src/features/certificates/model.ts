// What the certificate panel says about a connection's trust and its certificate's expiry. The
// warning window is the alarm settings' (14 days unless an engineer changed it).
import type { ConnectionRow } from '../../bindings/ConnectionRow';
import { t } from '../../lib/i18n';

const DAY = 86_400_000;

export type Trust = 'system' | 'private_ca' | 'pinned';

export function trustOf(c: Pick<ConnectionRow, 'tls_pin_sha256' | 'tls_ca_file'>): Trust {
  if (c.tls_pin_sha256) return 'pinned';
  if (c.tls_ca_file) return 'private_ca';
  return 'system';
}

export function trustWords(trust: Trust): string {
  return t(`cert.trust.${trust}`);
}

export interface Expiry {
  // Whole days left (negative once expired).
  days: number;
  abnormal: boolean;
  words: string;
}

export function expiry(notAfterMs: number, nowMs: number, warnDays = 14): Expiry {
  const left = notAfterMs - nowMs;
  if (left <= 0) {
    const ago = Math.floor(-left / DAY);
    const words = ago === 0 ? t('cert.expiredToday') : t(ago === 1 ? 'cert.expiredOne' : 'cert.expiredDays', { days: ago });
    return { days: -ago, abnormal: true, words };
  }
  const days = Math.ceil(left / DAY);
  // The end-to-end tests read "expires in" (English) in the detail view.
  return { days, abnormal: days <= warnDays, words: t(days === 1 ? 'cert.expiresOne' : 'cert.expiresDays', { days }) };
}

// The stored form (64 hex digits) as people compare it: `AB:CD:…`.
export function showFingerprint(hex: string): string {
  const h = hex.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return (h.match(/.{2}/g) ?? []).join(':');
}
