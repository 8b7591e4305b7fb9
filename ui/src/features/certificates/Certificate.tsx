// A connection's certificate in the detail view: how it is trusted, the expiry the probe last
// recorded, and on demand what the station presents now. An untrusted certificate is pinned
// only after the engineer says its fingerprint matches the device's own; a private CA is a PEM
// file the console copies. There is no control that turns verification off.
import { useState } from 'react';
import type { CertificateCheck } from '../../bindings/CertificateCheck';
import type { ConnectionRow } from '../../bindings/ConnectionRow';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { expiry, showFingerprint, type Trust, trustOf, trustWords } from './model';

export function Certificate({ connection, now }: { connection: ConnectionRow; now: number }) {
  const name = connection.name;
  const [check, setCheck] = useState<CertificateCheck | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [caFile, setCaFile] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<CertificateCheck>) => {
    setBusy(true);
    setMessage(null);
    try {
      const c = await f();
      setCheck(c);
      setMessage(c.note);
    } catch (e) {
      setMessage(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  // The last answer knows a trust just changed; the row is as the detail view loaded it.
  const trust = (check?.trust as Trust | undefined) ?? trustOf(connection);
  const recorded = connection.tls_not_after === null ? null : expiry(connection.tls_not_after, now);
  const presented = check?.presented ?? null;
  return (
    <div className="certificate" data-certificate>
      <p>
        {t('cert.trusts')} <strong data-trust={trust}>{trustWords(trust)}</strong>
        {trust === 'pinned' && (
          <>
            : <code className="fingerprint">{check?.pinned_sha256 ?? showFingerprint(connection.tls_pin_sha256 ?? '')}</code>
          </>
        )}
        .
      </p>
      <p data-cert-expiry>
        {recorded === null || connection.tls_not_after === null ? (
          t('cert.noneRecorded')
        ) : (
          <>
            {t('cert.certificate', { subject: connection.tls_subject ?? '' })}{' '}
            <span className={recorded.abnormal ? 'cert-abnormal' : ''}>
              {recorded.abnormal ? '▲ ' : ''}
              {recorded.words}
            </span>{' '}
            ({dateTime(connection.tls_not_after)})
          </>
        )}
      </p>
      <button type="button" disabled={busy} onClick={() => void run(() => api.inspectCertificate(name))} data-action="inspect-certificate">
        {t('cert.checkNow')}
      </button>
      {check && (
        <dl className="cert-check" data-cert-check>
          {presented ? (
            <>
              <dt>{t('cert.presented')}</dt>
              <dd>
                <code className="fingerprint" data-presented-sha256>
                  {presented.sha256}
                </code>
              </dd>
              <dt>{t('cert.subject')}</dt>
              <dd>{presented.subject}</dd>
              <dt>{t('cert.issuer')}</dt>
              <dd>{presented.issuer}</dd>
              <dt>{t('cert.valid')}</dt>
              <dd>
                {dateTime(presented.not_before_ms)} – {dateTime(presented.not_after_ms)} ({expiry(presented.not_after_ms, now).words})
              </dd>
            </>
          ) : (
            <>
              <dt>{t('cert.presented')}</dt>
              <dd>{check.error ? t('cert.nothingReadBecause', { error: check.error }) : t('cert.nothingRead')}</dd>
            </>
          )}
          <dt>{t('cert.trusted')}</dt>
          <dd data-cert-trusted={check.trusted ? 'yes' : 'no'} className={check.trusted ? '' : 'cert-abnormal'}>
            {check.trusted ? t('cert.yes') : `◆ ${t('cert.no', { refusal: check.refusal ?? '' })}`}
          </dd>
        </dl>
      )}
      {presented && !check?.trusted && !confirming && (
        <button type="button" onClick={() => setConfirming(true)} data-action="pin-certificate">
          {t('cert.pin')}
        </button>
      )}
      {presented && confirming && (
        <div className="cert-confirm" role="alertdialog" aria-label={t('cert.confirmLabel')}>
          <p>{t('cert.compare')}</p>
          <p>
            <code className="fingerprint">{presented.sha256}</code>
          </p>
          <button type="button" disabled={busy} onClick={() => void run(() => api.trustCertificate(name, presented.sha256, null))} data-action="confirm-pin">
            {t('cert.match')}
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            {t('common.cancel')}
          </button>
        </div>
      )}
      <form
        className="cert-ca"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.trustCertificate(name, null, caFile));
        }}
      >
        <input name="ca-file" placeholder={t('cert.caPlaceholder')} value={caFile} onChange={(e) => setCaFile(e.target.value)} aria-label={t('cert.caLabel')} />
        <button type="submit" disabled={busy || caFile.trim() === ''} data-action="trust-ca">
          {t('cert.trustCa')}
        </button>
        {trust !== 'system' && (
          <button type="button" disabled={busy} onClick={() => void run(() => api.trustCertificate(name, null, null))} data-action="trust-system">
            {t('cert.useSystem')}
          </button>
        )}
      </form>
      {message && (
        <p className="muted" data-cert-message>
          {message}
        </p>
      )}
    </div>
  );
}
