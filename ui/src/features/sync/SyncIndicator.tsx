// The header's sync state as a word, a shape and (only when someone should look) a colour.
import type { SyncStatus } from '../../bindings/SyncStatus';
import { useNow } from '../../lib/clock';
import { age } from '../../lib/format';
import { t } from '../../lib/i18n';
import { abnormal, summarise, type SyncKind } from './model';

function Shape({ kind }: { kind: SyncKind }) {
  const common = { width: 14, height: 14, viewBox: '0 0 18 18', 'aria-hidden': true } as const;
  switch (kind) {
    case 'synced':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="6" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
      );
    case 'waiting':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="6" fill="none" stroke="currentColor" strokeWidth="2" />
          <circle cx="9" cy="9" r="2" fill="currentColor" />
        </svg>
      );
    case 'failing':
      return (
        <svg {...common}>
          <path d="M9 2 L16.5 15.5 H1.5 Z" fill="currentColor" />
        </svg>
      );
    case 'held':
      return (
        <svg {...common}>
          <path d="M9 1.5 L16.5 9 L9 16.5 L1.5 9 Z" fill="currentColor" />
        </svg>
      );
    case 'local':
      return (
        <svg {...common}>
          <rect x="3" y="8" width="12" height="2" fill="currentColor" />
        </svg>
      );
  }
}

export function syncWord(status: SyncStatus, now: number): string {
  const s = summarise(status);
  switch (s.kind) {
    case 'local':
      return t('sync.local');
    case 'synced':
      return t('sync.synced');
    case 'waiting':
      return t('sync.waiting', { n: s.pending, age: s.oldestAt === null ? '' : age(now - s.oldestAt) });
    case 'failing':
      return t('sync.failing', { n: s.pending });
    case 'held':
      return t('sync.held', { n: s.held });
  }
}

export function SyncIndicator({ status, error, onOpen }: { status: SyncStatus | null; error: string | null; onOpen: () => void }) {
  const now = useNow();
  // The queue could not be read: say so rather than show a state that may be stale.
  if (error !== null)
    return (
      <button type="button" className="sync-indicator sync-failing" data-sync="unreadable" title={error} onClick={onOpen}>
        <Shape kind="failing" /> {t('sync.unreadable')}
      </button>
    );
  if (!status) return null;
  const s = summarise(status);
  return (
    <button
      type="button"
      className={abnormal(s.kind) ? `sync-indicator sync-${s.kind}` : 'sync-indicator'}
      data-sync={s.kind}
      data-pending={s.pending}
      title={s.lastError ?? ''}
      onClick={onOpen}
    >
      <Shape kind={s.kind} /> {syncWord(status, now)}
    </button>
  );
}
