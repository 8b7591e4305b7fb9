import { describe, expect, it } from 'vitest';
import { firstAdminProblem, shownName } from './model';

describe('first admin form', () => {
  const ok = { username: 'j.meyer', displayName: '', password: 'correct horse battery', repeat: 'correct horse battery' };
  it('is complete when both passwords agree', () => {
    expect(firstAdminProblem(ok)).toBeNull();
  });
  it('names what is missing or wrong', () => {
    expect(firstAdminProblem({ ...ok, username: '  ' })).toBe('Enter a username.');
    expect(firstAdminProblem({ ...ok, password: '', repeat: '' })).toBe('Enter a password.');
    expect(firstAdminProblem({ ...ok, repeat: 'correct horse batery' })).toBe('The two passwords differ.');
  });
});

describe('shown name', () => {
  it('puts the display name first, the username beside it', () => {
    expect(shownName('j.meyer', 'Jana Meyer')).toBe('Jana Meyer (j.meyer)');
    expect(shownName('j.meyer', ' ')).toBe('j.meyer');
    expect(shownName('j.meyer', null)).toBe('j.meyer');
  });
});
