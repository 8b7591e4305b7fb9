import { describe, expect, it } from 'vitest';
import { expiry, showFingerprint, trustOf } from './model';

const DAY = 86_400_000;

describe('certificate expiry', () => {
  it('is calm far from expiry, abnormal inside the warning window and after expiry', () => {
    expect(expiry(100 * DAY, 0)).toEqual({ days: 100, abnormal: false, words: 'expires in 100 days' });
    expect(expiry(14 * DAY, 0).abnormal).toBe(true);
    expect(expiry(DAY / 2, 0).words).toBe('expires in 1 day');
    expect(expiry(0, 3 * DAY + 5)).toEqual({ days: -3, abnormal: true, words: 'EXPIRED 3 days ago' });
    expect(expiry(30 * DAY, 0, 31).abnormal).toBe(true);
  });
});

describe('trust', () => {
  it('is the pin when there is one, then the CA, else the system', () => {
    expect(trustOf({ tls_pin_sha256: 'ab', tls_ca_file: null })).toBe('pinned');
    expect(trustOf({ tls_pin_sha256: null, tls_ca_file: 'trust/ca-1.pem' })).toBe('private_ca');
    expect(trustOf({ tls_pin_sha256: null, tls_ca_file: null })).toBe('system');
  });
  it('shows a stored fingerprint as people compare it', () => {
    const hex = 'ab'.repeat(31) + '0f';
    expect(showFingerprint(hex)).toBe(Array.from({ length: 31 }, () => 'AB').join(':') + ':0F');
  });
});
