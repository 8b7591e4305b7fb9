// The sign-in screen: on a new console, creating its first admin; otherwise signing in. No
// network is needed for either. A refusal is the core's one line (it never says which half of
// username and password was wrong).
import { useState, type KeyboardEvent } from 'react';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { firstAdminProblem, type FirstAdminForm } from './model';

function messageOf(e: unknown): string {
  return e instanceof ConsoleError ? e.message : String(e);
}

export function SignIn({ firstRun, onSignedIn }: { firstRun: boolean; onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // No <form> submission: Enter in any field, or the button, signs in (WebKit's WebDriver
  // waits for a navigation after a submitted form with a password field, which never comes).
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter') void submit();
  };
  const submit = async () => {
    const form: FirstAdminForm = { username, displayName, password, repeat };
    const problem = firstRun ? firstAdminProblem(form) : null;
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    let created = false;
    try {
      if (firstRun) {
        await api.createFirstAdmin(username, password, { display_name: displayName || null, company: null, email: null, phone: null, timezone: null, preferred_language: null });
        created = true;
      }
      await api.signIn(username, password);
      setPassword('');
      setRepeat('');
      onSignedIn();
    } catch (err) {
      setError(messageOf(err));
      // The admin exists even if signing in failed: the screen becomes the sign-in form (a
      // retry must not try to create the admin again).
      if (created) onSignedIn();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sign-in" data-view="sign-in">
      <div role="form" className="sign-in-panel" onKeyDown={onKey} aria-label={firstRun ? t('signin.createAdmin') : t('signin.title')}>
        <h1>ZeroClient</h1>
        {firstRun ? (
          <p>{t('signin.firstRunIntro')}</p>
        ) : (
          <p>{t('signin.intro')}</p>
        )}
        <label className="field">
          <span>{t('signin.username')}</span>
          <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        {firstRun && (
          <label className="field">
            <span>{t('signin.displayName')}</span>
            <input name="display-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </label>
        )}
        <label className="field">
          <span>{firstRun ? t('signin.passwordNew') : t('signin.password')}</span>
          <input
            name="password"
            type="password"
            autoComplete={firstRun ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {firstRun && (
          <label className="field">
            <span>{t('signin.repeat')}</span>
            <input name="repeat" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
          </label>
        )}
        {error && (
          <div className="banner banner-error" role="alert" data-sign-in-error>
            {error}
          </div>
        )}
        <div className="form-actions">
          <button type="button" disabled={busy} onClick={() => void submit()} data-action="sign-in">
            {firstRun ? t('signin.create') : t('signin.submit')}
          </button>
        </div>
      </div>
    </div>
  );
}
