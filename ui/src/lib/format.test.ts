import { afterEach, describe, expect, it } from 'vitest';
import { dateTime, setDisplay, value } from './format';

afterEach(() => setDisplay('UTC', 'en'));

describe('times and numbers', () => {
  // 2026-12-02 21:30 UTC and 2026-07-02 11:30 UTC.
  const winter = Date.UTC(2026, 11, 2, 21, 30, 0);
  const summer = Date.UTC(2026, 6, 2, 11, 30, 0);
  it('shows a time in the person’s zone, daylight saving included', () => {
    setDisplay('Europe/Berlin', 'en');
    expect(dateTime(winter)).toContain('22:30:00');
    expect(dateTime(summer)).toContain('13:30:00');
    setDisplay('America/New_York', 'en');
    expect(dateTime(winter)).toContain('16:30:00');
  });
  it('formats dates and numbers for the language', () => {
    setDisplay('UTC', 'de');
    expect(dateTime(winter)).toMatch(/^02\.12\.2026/);
    expect(value(1234.5, 'bar')).toBe('1.234,5 bar');
    setDisplay('UTC', 'en');
    expect(dateTime(winter)).toMatch(/^02\/12\/2026/);
    expect(value(1234.5, 'bar')).toBe('1,234.5 bar');
  });
});
