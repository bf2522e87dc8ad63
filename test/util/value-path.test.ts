import { describe, expect, it } from 'vitest';
import { IDENTIFIER, MISSING, formatPath, makeGetter } from '../../connector/util/value-path';

describe('formatPath', () => {
  it('dots names its grammar reads bare and quotes every other key', () => {
    expect(formatPath(['address', 'country'], IDENTIFIER)).toBe('address.country');
    expect(formatPath(['metadata', 'signup.source'], IDENTIFIER)).toBe('metadata["signup.source"]');
    expect(formatPath(['metadata', 'a-b'], IDENTIFIER)).toBe('metadata["a-b"]');
    expect(formatPath(['metadata', 'a-b'], /^[A-Za-z0-9_$-]+$/)).toBe('metadata.a-b');
  });

  it('writes indices in brackets', () => {
    expect(formatPath(['invoice_settings', 'custom_fields', 0, 'name'], IDENTIFIER)).toBe(
      'invoice_settings.custom_fields[0].name',
    );
  });

  it('starts from a root, dotting even its first name', () => {
    expect(formatPath(['a', 0], IDENTIFIER, '$')).toBe('$.a[0]');
    expect(formatPath(['city'], IDENTIFIER, 'address')).toBe('address.city');
    expect(formatPath(['a b'], IDENTIFIER, 'metadata')).toBe('metadata["a b"]');
  });

  it('dots a name after a quoted first key', () => {
    expect(formatPath(['a b', 'c'], IDENTIFIER)).toBe('["a b"].c');
  });
});

describe('makeGetter', () => {
  const customer = {
    email: 'a@b.com',
    phone: null,
    nothing: undefined,
    address: { city: 'Paris', line: { one: '1 rue' } },
    metadata: { 'signup.source': 'ad', '0': 'zero' },
    locales: ['fr', 'en'],
    fields: [{ name: 'po', value: '1' }],
    deep: { a: { b: { c: { d: 4 } } } },
  };

  it('reads values, null included', () => {
    expect(makeGetter(['email'])(customer)).toBe('a@b.com');
    expect(makeGetter(['phone'])(customer)).toBeNull();
    expect(makeGetter(['address', 'city'])(customer)).toBe('Paris');
    expect(makeGetter(['address', 'line', 'one'])(customer)).toBe('1 rue');
    expect(makeGetter(['deep', 'a', 'b', 'c', 'd'])(customer)).toBe(4);
    expect(makeGetter(['metadata', 'signup.source'])(customer)).toBe('ad');
  });

  it('reads array elements by index only', () => {
    expect(makeGetter(['locales', 1])(customer)).toBe('en');
    expect(makeGetter(['fields', 0, 'name'])(customer)).toBe('po');
    expect(makeGetter(['locales', 2])(customer)).toBe(MISSING);
    expect(makeGetter(['locales', '0'])(customer)).toBe(MISSING);
    expect(makeGetter(['metadata', 0])(customer)).toBe(MISSING);
    expect(makeGetter(['metadata', '0'])(customer)).toBe('zero');
  });

  it('is MISSING for absent keys, undefined values, missing parents and inherited keys', () => {
    expect(makeGetter(['name'])(customer)).toBe(MISSING);
    expect(makeGetter(['nothing'])(customer)).toBe(MISSING);
    expect(makeGetter(['phone', 'country'])(customer)).toBe(MISSING);
    expect(makeGetter(['email', 'length'])(customer)).toBe(MISSING);
    expect(makeGetter(['address', 'constructor'])(customer)).toBe(MISSING);
    expect(makeGetter(['deep', 'a', 'x', 'c', 'd'])(customer)).toBe(MISSING);
    expect(makeGetter(['email'])(null)).toBe(MISSING);
  });

  it('gives the value itself for an empty path, MISSING for undefined', () => {
    expect(makeGetter([])(customer)).toBe(customer);
    expect(makeGetter([])(null)).toBeNull();
    expect(makeGetter([])(undefined)).toBe(MISSING);
  });
});
