import { expect } from 'vitest';

/** `expect.any(String)`, typed so it can sit inside expected objects without an `any`. */
export const anyString: unknown = expect.any(String);
