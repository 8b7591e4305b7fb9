import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../bindings/FieldError';
import type { WidgetKindInfo } from '../../bindings/WidgetKindInfo';
import { changeWords, diffValue, emptyForm, errorsByField, formFrom, shownErrors, specFrom, withKind } from './model';

const field = (name: string, input: 'text' | 'number' | 'integer', required = false) => ({
  name,
  title: name,
  description: null,
  input,
  required,
  minimum: null,
  maximum: null,
});
const kinds: WidgetKindInfo[] = [
  { kind: 'gauge', title: 'Gauge', description: '', needs_url: false, schema: '{}', fields: [field('point', 'text', true), field('label', 'text'), field('min', 'number', true), field('max', 'number', true), field('decimals', 'integer')] },
  { kind: 'lamp', title: 'Status lamp', description: '', needs_url: false, schema: '{}', fields: [field('point', 'text', true), field('low', 'number'), field('high', 'number')] },
];

describe('widget form', () => {
  it('reads a stored config into its fields and writes the same config back', () => {
    const spec = { name: 'p1', kind: 'gauge', url: null, active: true, config: '{"point":"n.p","min":0,"max":8.5,"decimals":2}' };
    const form = formFrom(spec, kinds);
    expect(form.settings).toEqual({ point: 'n.p', min: '0', max: '8.5', decimals: '2' });
    expect(JSON.parse(specFrom(form, kinds).config)).toEqual({ point: 'n.p', min: 0, max: 8.5, decimals: 2 });
  });

  it('leaves an empty field out and sends text that is not a number as typed, for the core to name', () => {
    const form = { ...emptyForm('gauge'), name: ' p2 ', settings: { point: 'n.p', min: '', max: '1,5', label: '' } };
    const spec = specFrom(form, kinds);
    expect(spec.name).toBe('p2');
    expect(JSON.parse(spec.config)).toEqual({ point: 'n.p', max: '1,5' });
    expect(JSON.parse(specFrom({ ...form, settings: { max: '12abc' } }, kinds).config)).toEqual({ max: '12abc' });
    expect(JSON.parse(specFrom({ ...form, settings: { max: '-1e3' } }, kinds).config)).toEqual({ max: -1000 });
  });

  it('keeps settings the kind does not know, so the core can name them instead of them vanishing', () => {
    const form = formFrom({ name: 'p', kind: 'gauge', url: null, active: true, config: '{"point":"n.p","colour":"red"}' }, kinds);
    expect(form.extra).toEqual({ colour: 'red' });
    expect(JSON.parse(specFrom(form, kinds).config)).toEqual({ point: 'n.p', colour: 'red' });
  });

  it('keeps the settings two kinds share when the kind changes', () => {
    const form = { ...emptyForm('gauge'), settings: { point: 'n.p', min: '0', max: '8' } };
    expect(withKind(form, 'lamp', kinds).settings).toEqual({ point: 'n.p' });
  });

  it('shows a field’s errors once touched, and all once a save was tried', () => {
    const errors: FieldError[] = [
      { field: 'config.point', code: 'invalid_widget_config' as const, message: 'a gauge needs a point' },
      { field: 'config.max', code: 'invalid_widget_config' as const, message: "'max' must be a number" },
      { field: 'config.colour', code: 'invalid_widget_config' as const, message: "'colour' is not a setting" },
    ];
    expect(shownErrors(errors, new Set(['config.max']), false, { colour: 'red' }).map((e) => e.field)).toEqual(['config.max', 'config.colour']);
    expect(shownErrors(errors, new Set(), true, {})).toHaveLength(3);
    expect(errorsByField([...errors, { field: 'config.max', code: 'invalid_widget_config', message: 'again' }]).get('config.max')).toEqual(["'max' must be a number", 'again']);
  });
});

describe('history', () => {
  it('says how each version came about', () => {
    expect(changeWords('restore', '2')).toBe('restored version 2');
    expect(changeWords('duplicate', 'north/p1')).toBe('copied from north/p1');
    expect(changeWords('existing', null)).toBe('saved before versions were kept');
  });
  it('shows a diff value plainly', () => {
    expect(diffValue('"n.p"')).toBe('n.p');
    expect(diffValue('8')).toBe('8');
    expect(diffValue(null)).toBe('—');
  });
});
