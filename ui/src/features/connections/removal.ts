// What removing a connection says afterwards.
import type { ConnectionRemoval } from '../../bindings/ConnectionRemoval';
import type { UnpushedHistory } from '../../bindings/UnpushedHistory';
import { t } from '../../lib/i18n';

export const totalOf = (h: UnpushedHistory) => h.status_history + h.request_metrics + h.point_history;

/** What a removal says afterwards: what it discarded that never reached the centre, and a key it could not delete. */
export function removalNotice(r: ConnectionRemoval): string {
  const h = r.discarded;
  const parts = [
    totalOf(h) > 0
      ? t('conn.removedDiscarded', { name: r.name, s: h.status_history, m: h.request_metrics, p: h.point_history })
      : t('conn.removed', { name: r.name }),
  ];
  if (r.key_left) parts.push(r.key_left);
  return parts.join(' ');
}

