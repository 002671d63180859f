/** `timestamp` (whole Unix seconds) as the decimal string client pay parameters carry; else a RangeError. */
export function unixSeconds(timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be whole Unix seconds');
  return String(timestamp);
}
