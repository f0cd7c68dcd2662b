import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// package.json says audiencectl runs on Node 20.19 and later; the production image runs
// Node 24. A production dependency that declares a narrower `engines.node` (cookie 2, under
// fastify's light-my-request, wants Node 22) makes `npm install -g audiencectl` warn on
// Node 20, and refuse where npm's engine-strict is set; light-my-request is a direct
// dependency pinned to 6.6.0 for it (README, Development), which a global install honours
// as it does not the lock. Development dependencies (the Kubernetes schemas, say) are not
// installed by users and are left out.

type LockEntry = { version?: string; dev?: boolean; engines?: { node?: string } | string[] };
type Lock = { packages: Record<string, LockEntry> };

const read = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as T;

describe('engines', () => {
  it('package.json claims Node 20.19 and later', () => {
    expect(read<{ engines: { node: string } }>('package.json').engines.node).toBe('>=20.19');
  });

  it('every production dependency in the lock accepts Node 20.19 and Node 24', () => {
    const { packages } = read<Lock>('package-lock.json');
    const narrower = Object.entries(packages)
      .filter(([name, entry]) => name !== '' && !entry.dev)
      .flatMap(([name, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        if (range === undefined) return [];
        const refused = ['20.19.0', '24.0.0'].filter((node) => !semver.satisfies(node, range));
        return refused.length > 0 ? [`${name}@${entry.version} wants node ${range}`] : [];
      });
    expect(narrower).toEqual([]);
  });
});
