import { describe, expect, it } from 'vitest';
import { pathSegment } from './path-segment.js';

describe('pathSegment', () => {
  it('encodes what would end the segment or start a query', () => {
    expect(pathSegment('a/b?c#d e', 'audienceId')).toBe('a%2Fb%3Fc%23d%20e');
  });

  it('refuses an empty value, naming it', () => {
    expect(() => pathSegment('', 'runId')).toThrow(new TypeError('runId must not be empty'));
  });
});
