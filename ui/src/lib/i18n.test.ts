import { describe, expect, it } from 'vitest';
import { de } from '../i18n/de';
import { en } from '../i18n/en';
import { LANGUAGES, setLanguage, t } from './i18n';

/** Names, not words: the same in every language. */
// `Promise` is a type in a generic the scan reads as text; `zc monitor` a command; HTTP a protocol.
const NOT_WORDS = new Set(['ZeroClient', 'Promise', 'zc monitor', 'HTTP']);

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('every language has every string, none empty, with the same placeholders', () => {
    for (const [lang, dict] of Object.entries(LANGUAGES)) {
      for (const [key, text] of Object.entries(en)) {
        const other = (dict as Record<string, string>)[key];
        expect(other, `${lang}: ${key}`).toBeTruthy();
        expect(placeholders(other ?? ''), `${lang}: ${key}`).toEqual(placeholders(text));
      }
      expect(Object.keys(dict).sort()).toEqual(Object.keys(en).sort());
    }
  });

  it('fills placeholders and follows the language', () => {
    setLanguage('de');
    expect(t('nav.settings')).toBe(de['nav.settings']);
    setLanguage('xx');
    expect(t('nav.settings')).toBe('Settings');
  });

  // tests/desktop/scenarios.rs reads these in English, the default language.
  it('keeps the English the end-to-end tests read', () => {
    setLanguage('en');
    expect(t('export.savedCsv', { file: '/d/north.csv', rows: 3 })).toBe('Saved /d/north.csv (3 rows)');
    expect(t('export.savedChart', { file: '/d/north.png', samples: 3 }).startsWith('Saved /d/north.png')).toBe(true);
    expect(t('cert.expiresDays', { days: 5 })).toContain('expires in');
    expect(t('signin.createAdmin')).toBe('Create the first admin');
    expect(t('signin.title')).toBe('Sign in');
  });

  // Text written straight into a component would never be translated: every visible string and
  // every label a screen reader reads goes through t().
  it('no component shows text that bypasses t()', () => {
    const sources = import.meta.glob('../features/**/*.tsx', { query: '?raw', import: 'default', eager: true });
    const offenders: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      const src = (text as string).replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of src.matchAll(/>([^<>{}]*[A-Za-zÄÖÜäöüß]{2,}[^<>{}]*)</g)) {
        const text = (m[1] ?? '').trim();
        // A TypeScript generic (`useState<T>(x); ... <`) is not JSX text.
        if (text.startsWith('(') || /[;=]/.test(text) || NOT_WORDS.has(text)) continue;
        offenders.push(`${file}: "${text}"`);
      }
      for (const m of src.matchAll(/\b(placeholder|title|aria-label|alt)="([^"]*[A-Za-z]{2,}[^"]*)"/g)) {
        offenders.push(`${file}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
