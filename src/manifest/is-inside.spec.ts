import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runs } from '../../test/helpers/property-runs.js';
import { isInside } from './read-dir.js';

/** isInside as it was before the fifty-seventh pass: path.relative of the two, always. */
function oldIsInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || !(relative === '..' || relative.startsWith('../') || path.isAbsolute(relative));
}

/** Paths of a few segments, with what path.resolve changes (`.`, `..`, `//`, a `/` at the end) now and then. */
const pathArb = fc
  .tuple(
    fc.constantFrom('/', '', './'),
    fc.array(fc.constantFrom('a', 'b', 'ab', '.', '..', '..a', '.a', '', 'a.'), { maxLength: 5 }),
    fc.constantFrom('', '/'),
  )
  .map(([start, segments, end]) => `${start}${segments.join('/')}${end}`);

describe('isInside', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers as path.relative does', () => {
    fc.assert(
      fc.property(pathArb, pathArb, (root, target) => {
        expect(isInside(root, target)).toBe(oldIsInside(root, target));
      }),
      { numRuns: runs(3000) },
    );
    for (const [root, target, inside] of [
      ['/', '/a', true],
      ['/a', '/a', true],
      ['/a', '/a/b', true],
      ['/a', '/ab', false],
      ['/a/b', '/a', false],
      ['/a/', '/a/b', true],
      ['/a/./b', '/a/b/c', true],
      ['/a/b/..', '/a/c', true],
      ['/a', '/a/..b', true],
      // A doubled `/` (path.resolve makes it one): random paths meet one where it matters one run in three.
      ['/a//b', '/a/b/c', true],
      ['/a/b', '/a//b', true],
      ['//a', '/a/b', true],
      ['/a//b', '/a/bc', false],
    ] as const)
      expect(isInside(root, target), `${root} ${target}`).toBe(inside);
  });

  // A plan's search for a removed record's moved manifest asks it of every file git names
  // (the bench's 10,000 manifests and 10,000 records): path.relative resolved both paths each time.
  it('compares absolute paths that resolve as they are without path.relative', () => {
    const relative = vi.spyOn(path, 'relative');
    expect(isInside('/work/repo/manifests', '/work/repo/manifests/group-3/a.yaml')).toBe(true);
    expect(isInside('/work/repo/manifests', '/work/repo/state/audiences/prod/a.json')).toBe(false);
    expect(relative).not.toHaveBeenCalled();
    expect(isInside('/work/repo/manifests/', '/work/repo/manifests/../state')).toBe(false);
    expect(relative).toHaveBeenCalled();
  });
});
