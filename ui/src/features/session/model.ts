// What the sign-in screen checks before asking the core (which checks again and decides): a
// form is complete, and a new password was typed the same twice.
import { t } from '../../lib/i18n';

export interface FirstAdminForm {
  username: string;
  displayName: string;
  password: string;
  repeat: string;
}

/** Why the form cannot be sent yet, or null. The core's rules (length, username) come back as its errors. */
export function firstAdminProblem(f: FirstAdminForm): string | null {
  if (f.username.trim() === '') return t('signin.needUsername');
  if (f.password === '') return t('signin.needPassword');
  if (f.password !== f.repeat) return t('signin.differ');
  return null;
}

/** The name a signed-in person is shown by. */
export function shownName(username: string, displayName: string | null | undefined): string {
  const d = displayName?.trim();
  return d ? `${d} (${username})` : username;
}
