// Every string the console shows, in every language it speaks. `en` is the reference: `de` (and
// any language added) is typed as having exactly its keys, so a missing string fails the build
// (tsc), and `i18n.test.ts` fails on an empty one or on text in a component that bypasses t().
import { de } from '../i18n/de';
import { en, type Key } from '../i18n/en';

export type { Key };
export const LANGUAGES = { en, de } as const;
export type Language = keyof typeof LANGUAGES;

let current: Record<Key, string> = en;

export function setLanguage(lang: string): void {
  current = lang in LANGUAGES ? LANGUAGES[lang as Language] : en;
}

/** The string for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  const s = current[key];
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}
