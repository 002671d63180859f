export function defineEndToEndCases(_mount: unknown): void {}
