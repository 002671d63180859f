import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { optionalText, text } from './validate.js';

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
});
