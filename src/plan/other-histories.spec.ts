import { describe, expect, it } from 'vitest';
import type { SandboxMark } from '../state/schema.js';
import { otherHistories } from './other-histories.js';

const A = 'marketing/emea/audiences';
const B = 'emea/audiences';
const mark = (repository: string | undefined, roots?: string[]): SandboxMark => ({
  commit: 'c'.repeat(40),
  committedAt: '2026-01-01T00:00:00Z',
  ...(repository === undefined ? {} : { repository }),
  ...(roots === undefined ? {} : { roots }),
});
const other = (repository: string, roots?: string[]) => ({ ...mark(repository, roots), repository });

describe('otherHistories: a path that differs by a prefix, of another history', () => {
  it('is another repository when its mark (on top or kept beside) records roots none of which are ours', () => {
    expect([...otherHistories({ prod: mark(A, ['a0']) }, B, ['b0'])]).toEqual([A]);
    expect([
      ...otherHistories({ prod: { ...mark(B, ['b0']), otherRepositories: [other(A, ['a0'])] } }, B, ['b0']),
    ]).toEqual([A]);
    // Either way round: the shorter path's records seen from the longer one.
    expect([...otherHistories({ prod: mark(B, ['b0']) }, A, ['a0'])]).toEqual([B]);
  });

  it("is not when a mark of that path shares a root (a mirror's clone), in any sandbox", () => {
    expect(otherHistories({ prod: mark(A, ['x', 'a0']) }, B, ['a0']).size).toBe(0);
    expect(otherHistories({ prod: mark(A, ['z']), dev: mark(A, ['a0']) }, B, ['a0']).size).toBe(0);
  });

  it('says nothing without roots on either side, or of paths the prefix rule does not join', () => {
    // Ours unknown (a shallow clone, a --git-depth controller).
    expect(otherHistories({ prod: mark(A, ['a0']) }, B, undefined).size).toBe(0);
    expect(otherHistories({ prod: mark(A, ['a0']) }, B, []).size).toBe(0);
    // Theirs unknown (an earlier release's mark, a shallow clone's).
    expect(otherHistories({ prod: mark(A) }, B, ['b0']).size).toBe(0);
    // The same path is one repository whatever its roots; another path is another anyway.
    expect(otherHistories({ prod: mark(B, ['a0']) }, B, ['b0']).size).toBe(0);
    expect(otherHistories({ prod: mark('acme/other', ['a0']) }, B, ['b0']).size).toBe(0);
    expect(otherHistories({ prod: mark(undefined, ['a0']) }, B, ['b0']).size).toBe(0);
    expect(otherHistories(undefined, B, ['b0']).size).toBe(0);
    expect(otherHistories({ prod: mark(A, ['a0']) }, undefined, ['b0']).size).toBe(0);
  });
});
