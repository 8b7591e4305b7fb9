// Status as a word, a shape and a colour (ISA-101: colour-blind safe, colour only when abnormal).
import type { Freshness } from '../../bindings/Freshness';
import type { Quality } from '../../bindings/Quality';
import type { Status } from '../../bindings/Status';
import { t } from '../../lib/i18n';

/** A status as the operator reads it; unknown for want of a network says so. */
export function statusWord(status: Status, observerOffline = false): string {
  return status === 'unknown' && observerOffline ? t('status.unknownNoNetwork') : t(`status.${status}`);
}

function Shape({ status, observerOffline }: { status: Status; observerOffline: boolean }) {
  const common = { width: 18, height: 18, viewBox: '0 0 18 18', 'aria-hidden': true } as const;
  switch (status) {
    case 'online':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="6" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
      );
    case 'degraded':
      return (
        <svg {...common}>
          <path d="M9 2 L16.5 15.5 H1.5 Z" fill="currentColor" />
        </svg>
      );
    case 'offline':
      return (
        <svg {...common}>
          <rect x="2.5" y="2.5" width="13" height="13" fill="currentColor" />
        </svg>
      );
    case 'unauthorized':
      return (
        <svg {...common}>
          <path d="M9 1.5 L16.5 9 L9 16.5 L1.5 9 Z" fill="currentColor" />
        </svg>
      );
    case 'untrusted':
      // A shield with a slash: the station is there, its certificate is refused.
      return (
        <svg {...common}>
          <path d="M9 1.5 L15.5 4 V9 C15.5 13 12.5 15.5 9 16.5 C5.5 15.5 2.5 13 2.5 9 V4 Z" fill="currentColor" />
          <path d="M4 14 L14 4" stroke="white" strokeWidth="1.8" />
        </svg>
      );
    case 'unknown':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="6.5" fill="none" stroke="currentColor" strokeWidth="2" strokeDasharray={observerOffline ? '2 2' : '4 2'} />
          <text x="9" y="12.5" textAnchor="middle" fontSize="9" fill="currentColor">?</text>
        </svg>
      );
  }
}

export function StatusBadge({ status, observerOffline = false }: { status: Status; observerOffline?: boolean }) {
  const word = statusWord(status, observerOffline);
  return (
    <span className={`status status-${status}`} data-status={status} title={word}>
      <Shape status={status} observerOffline={observerOffline} />
      <span className="status-word">{word}</span>
    </span>
  );
}

/// A value's freshness and the station's quality, only when they are not fresh and good: a
/// plain value is a live, good one; anything else says so in words.
export function ValueBadges({ freshness, quality }: { freshness: Freshness; quality: Quality | null }) {
  return (
    <>
      {freshness !== 'fresh' && (
        <span className={`badge badge-${freshness}`} data-freshness={freshness}>
          {freshness === 'stale' ? `◷ ${t('status.stale')}` : `? ${t('status.unknownValue')}`}
        </span>
      )}
      {quality && quality !== 'good' && (
        <span className={`badge badge-quality-${quality}`} data-quality={quality}>
          {quality === 'bad' ? `✕ ${t('status.bad')}` : `~ ${t('status.uncertain')}`}
        </span>
      )}
    </>
  );
}
