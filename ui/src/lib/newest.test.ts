import { describe, expect, it } from 'vitest';
import { Newest } from './newest';

describe('Newest', () => {
  it('drops a poll answer that arrives after an action answered', () => {
    const n = new Newest();
    const shown: string[] = [];
    const poll = n.ask();
    // The retry answers first, with the state after it.
    n.supersede();
    shown.push('after retry');
    // The poll that started before it answers late, with the state from before the retry.
    poll((s: string) => shown.push(s))('before retry');
    expect(shown).toEqual(['after retry']);
  });

  it('applies only the newest of two reads, whatever order they answer in', () => {
    const n = new Newest();
    const shown: number[] = [];
    const first = n.ask();
    const second = n.ask();
    second((v: number) => shown.push(v))(2);
    first((v: number) => shown.push(v))(1);
    expect(shown).toEqual([2]);
  });

  it('applies an answer when nothing newer was asked', () => {
    const n = new Newest();
    const shown: number[] = [];
    n.ask()((v: number) => shown.push(v))(7);
    expect(shown).toEqual([7]);
  });
});
