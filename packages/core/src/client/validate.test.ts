import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { notifyUrl, optionalText, text } from './validate.js';

describe('text fields', () => {
  it('counts length in characters, a surrogate pair as one', () => {
    expect(optionalText('body', '😀😀😀', 3)).toBe('😀😀😀');
    expect(optionalText('body', '腾讯充值', 4)).toBe('腾讯充值');
    expect(() => optionalText('body', '😀😀😀😀', 3)).toThrow('body must be at most 3 characters');
    expect(() => optionalText('body', 'abcd', 3)).toThrow('body must be at most 3 characters');
    // A lone surrogate counts as one character (and is refused for XML below).
    expect(() => optionalText('body', '\uD800\uD800\uD800\uD800', 3)).toThrow('body must be at most 3 characters');
  });

  it('refuses characters XML cannot carry, lone surrogates included', () => {
    for (const bad of ['a\u0001', 'a\u000Bb', 'x\uFFFE', '\uD800x', 'x\uDC00', 'a\uDC00\uD800b']) {
      expect(() => optionalText('attach', bad, 100)).toThrow('attach contains a control character');
    }
    for (const good of ['a\tb\nc', '😀', '中文', '<&>"\'']) expect(optionalText('attach', good, 100)).toBe(good);
  });

  it('refuses surrounding white space, and absent or empty required text', () => {
    expect(() => optionalText('attach', ' a', 100)).toThrow(ValidationError);
    expect(() => optionalText('attach', 'a\u3000', 100)).toThrow('must not start or end with whitespace');
    expect(optionalText('attach', '', 100)).toBeUndefined();
    expect(() => text('body', '', 100)).toThrow('body is required');
    expect(() => text('body', 7, 100)).toThrow('body is required');
  });

  it('checks notify URLs the same way on every call', () => {
    const good = 'https://pay.example.com/notify-pay/shop';
    expect(notifyUrl('notifyUrl', good)).toBe(good);
    expect(notifyUrl('notifyUrl', good)).toBe(good);
    for (const bad of [
      `${good}?a=1`,
      `${good}#x`,
      'ftp://pay.example.com/n',
      'not a url',
      ` ${good}`,
      'https://a.example.com/' + 'x'.repeat(300),
    ]) {
      expect(() => notifyUrl('notifyUrl', bad), bad).toThrow(ValidationError);
      expect(() => notifyUrl('notifyUrl', bad), bad).toThrow(ValidationError);
    }
    expect(() => notifyUrl('notifyUrl', 42)).toThrow('notifyUrl is required');
  });
});
