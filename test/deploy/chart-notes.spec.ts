import { describe, expect, it } from 'vitest';
import { chartDir, helmBinaries, helmWithValues } from './helm.js';

const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git', auth: 'token' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { gitToken: 't', aepClientId: 'id', aepClientSecret: 's' },
};

/**
 * NOTES.txt as `helm install` prints it. Only helm 4 renders an install without a
 * cluster (`--dry-run=client`); helm 3 asks the API server for its version first.
 */
async function notes(values: Record<string, unknown>): Promise<string> {
  const bin = helmBinaries().find((b) => b.major === 4);
  if (!bin) throw new Error('no helm 4');
  const args = ['install', 'shop', chartDir, '-n', 'marketing', '--dry-run=client'];
  const result = await helmWithValues(bin, args, values);
  expect(result.stderr).toBe('');
  const at = result.stdout.indexOf('\nNOTES:\n');
  expect(at).toBeGreaterThan(0);
  return result.stdout.slice(at + '\nNOTES:\n'.length);
}

describe('NOTES', () => {
  it.concurrent('port-forwards in the release namespace and names helm test', async () => {
    const text = await notes(SETUP);
    expect(text).toContain('kubectl -n marketing port-forward svc/shop-audiencectl 8080:8080');
    expect(text).toContain('helm test -n marketing shop');
    expect(text).not.toContain('WARNING');
  });

  it.concurrent('warns when an applying controller keeps its state on no volume', async () => {
    const text = await notes({ ...SETUP, persistence: { enabled: false } });
    expect(text).toMatch(/WARNING: persistence\.enabled is false while the controller applies changes/);
  });

  it.concurrent('does not warn for a dry run or a PostgreSQL state', async () => {
    const dryRun = await notes({ ...SETUP, persistence: { enabled: false }, reconcile: { dryRun: true } });
    expect(dryRun).not.toContain('WARNING');
    const postgres = await notes({
      ...SETUP,
      persistence: { enabled: false },
      state: { backend: 'postgres' },
      secret: { ...SETUP.secret, stateUrl: 'postgres://u@db:5432/audiences' },
    });
    expect(postgres).not.toContain('WARNING');
  });

  it.concurrent(
    "says where a PostgreSQL init step tells why it failed, or that init is the user's",
    async () => {
      const postgres = {
        ...SETUP,
        state: { backend: 'postgres' },
        secret: { ...SETUP.secret, stateUrl: 'postgres://u@db:5432/audiences' },
      };
      const [file, migrated, manual, dryRun] = await Promise.all([
        notes(SETUP),
        notes(postgres),
        notes({ ...postgres, state: { backend: 'postgres', migrate: false } }),
        notes({ ...postgres, reconcile: { dryRun: true } }),
      ]);
      expect(migrated).toContain('kubectl -n marketing logs deploy/shop-audiencectl -c init-state');
      expect(manual).toContain('state.migrate is false');
      expect(manual).toContain('Run `audiencectl init --state <url>`');
      expect(manual).not.toContain('init-state');
      expect(file).not.toContain('init');
      // REVIEW-34a M-3: a dry run has no init step, and says who migrates instead.
      expect(dryRun).toContain(
        'A dry run never creates or migrates the PostgreSQL schema (no init-state step)',
      );
      expect(dryRun).toContain('`audiencectl init --state <url>`');
      expect(dryRun).not.toContain('logs deploy/shop-audiencectl -c init-state');
    },
  );
});
