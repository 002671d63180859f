import type { Json } from './reply.js';

/** A field that failed validation; answered as 400 `PARAM_ERROR` with `detail`. */
export class ParamError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly issue: string,
    readonly location: 'body' | 'query' | 'path' = 'body',
  ) {
    super(`输入源“/${location}/${field}”校验失败：${issue}`);
  }
}

export function parseBody(text: string): Json {
  if (text.trim() === '') throw new ParamError('', '', '请求体为空');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ParamError('', '', '请求体不是合法的JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ParamError('', '', '请求体必须是JSON对象');
  return value as Json;
}

interface StringRule {
  readonly required?: boolean;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly oneOf?: readonly string[];
  readonly test?: (value: string) => boolean;
}

/** Reads members of a JSON object by path, throwing {@link ParamError} on the first bad one. */
export class Reader {
  constructor(private readonly root: Json) {}

  private at(path: string): unknown {
    let v: unknown = this.root;
    for (const part of path.split('/')) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Json)[part];
    }
    return v;
  }

  string(path: string, rule: StringRule = {}): string | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (rule.required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'string') throw new ParamError(path, v, '字段类型应为字符串');
    if (rule.required && v === '') throw new ParamError(path, v, '字段不能为空');
    if (rule.max !== undefined && [...v].length > rule.max) throw new ParamError(path, v, `长度超过${rule.max}`);
    if (v !== '' && rule.pattern && !rule.pattern.test(v)) throw new ParamError(path, v, '格式错误');
    if (rule.oneOf && !rule.oneOf.includes(v)) throw new ParamError(path, v, `应为${rule.oneOf.join('、')}之一`);
    if (v !== '' && rule.test && !rule.test(v)) throw new ParamError(path, v, '格式错误');
    return v;
  }

  int(path: string, required: boolean): number | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ParamError(path, v, '字段类型应为整数');
    if (v < 1) throw new ParamError(path, v, '值低于最小值 1');
    return v;
  }

  object(path: string, required: boolean): Json | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw new ParamError(path, v, '字段类型应为对象');
    return v as Json;
  }
}

export const OUT_NO = /^[A-Za-z0-9_\-|*@]+$/;

export function isNotifyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && !value.includes('?');
}
