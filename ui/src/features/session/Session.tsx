// Who uses the console: nothing of it shows until someone is signed in. The core checks every
// command anyway; when it answers `signed_out` (expiry, an admin's change) the console comes back
// here.
import { useCallback, useEffect, useState } from 'react';
import type { SignInState } from '../../bindings/SignInState';
import { api, ConsoleError, SIGNED_OUT } from '../../lib/ipc';
import { setLanguage } from '../../lib/i18n';
import { App } from '../shell/App';
import { QuitDialog } from '../shell/QuitDialog';
import { SignIn } from './SignIn';

export function Session() {
  const [state, setState] = useState<SignInState | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    api.signInState().then(
      (s) => {
        // Before anyone signs in, the device's language (the person's takes over after).
        if (!s.session) {
          setLanguage(s.language);
          document.documentElement.lang = s.language;
        }
        setState(s);
        setError(null);
      },
      (e: unknown) => setError(e instanceof ConsoleError ? e.message : String(e)),
    );
  }, []);

  useEffect(() => {
    reload();
    window.addEventListener(SIGNED_OUT, reload);
    return () => window.removeEventListener(SIGNED_OUT, reload);
  }, [reload]);

  return (
    <>
      <QuitDialog />
      <Screen state={state} error={error} reload={reload} />
    </>
  );
}

function Screen({ state, error, reload }: { state: SignInState | null; error: string | null; reload: () => void }) {
  if (error) {
    return (
      <div className="banner banner-error" role="alert">
        {error}
      </div>
    );
  }
  if (!state) return null;
  if (!state.session || !state.user) return <SignIn firstRun={state.first_run} onSignedIn={reload} />;
  const signOut = () => {
    void api.signOut().finally(reload);
  };
  return <App user={state.user} role={state.session.role} onSignOut={signOut} />;
}
