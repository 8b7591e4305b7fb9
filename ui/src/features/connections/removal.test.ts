import { describe, expect, it } from 'vitest';
import { removalNotice } from './removal';

const none = { status_history: 0, request_metrics: 0, point_history: 0 };

describe('removalNotice', () => {
  it('says what was discarded that the centre never had', () => {
    const text = removalNotice({ name: 'north-9', discarded: { status_history: 2, request_metrics: 40, point_history: 7 }, key_left: null });
    expect(text).toContain('north-9');
    expect(text).toContain('2 status changes, 40 request metrics and 7 point samples');
  });
  it('is one short line when nothing was lost, and says a key left behind', () => {
    expect(removalNotice({ name: 'north-1', discarded: none, key_left: null })).toBe('Removed north-1.');
    expect(removalNotice({ name: 'north-1', discarded: none, key_left: 'Its API key could not be deleted.' })).toBe(
      'Removed north-1. Its API key could not be deleted.',
    );
  });
});
