import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER, partnerConfig, partnerEnv } from '../helpers/partner-org.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// review-35a M-1: a sandbox's first apply with a forgotten `orgId` (it falls back to the shared
// credentials' org) is refused by AEP as "org not the token's" (100921-401). The create's intent,
// written before that POST, binds the sandbox to the org AEP refused; once the create is refused
// and no record of the sandbox is left, that binding speaks for nothing and must not stay: after
// the user fixes the org, the next apply creates the audience (it was refused with
// STATE_OTHER_ORG for good, in either store).
// Against the emulator over HTTP; the applies run the CLI's entry in this process (the same code,
// output and exit code as the built CLI: nothing here is about a process).

const emulator = useEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 });
const tempDir = useTempDirs();
const postgres = usePostgres();
// Each test counts the audiences of its own story.
beforeEach(() => emulator().control.reset());

const stores = [
  { name: 'directory', fresh: (dir: string) => Promise.resolve(path.join(dir, 'state')) },
  { name: 'PostgreSQL', fresh: () => postgres.freshLocation() },
] as const;

/** Every `[sandbox, key]` the store at `location` holds a record for. */
async function recordIds(location: string): Promise<Array<[string, string]>> {
  const store = await openStateStore(location);
  return store.list().finally(() => store.close());
}

/** The org bindings the store at `location` keeps (its meta's `orgs`). */
async function bindings(location: string): Promise<Record<string, string> | undefined> {
  const store = await openStateStore(location);
  return (await store.meta().finally(() => store.close()))?.orgs;
}

describe.each(stores)('($name store) a sandbox whose first create AEP refused as another org', (kind) => {
  it('is not bound to that org: fixing its orgId lets the next apply create it', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'm/gold.yaml': manifestYaml('gold', NO_RUN),
      'm/silver.yaml': manifestYaml('silver', { ...NO_RUN, metadata: { sandbox: 'partner' } }),
      'aep.yaml': partnerConfig({}),
    });
    const state = await kind.fresh(dir);
    await ensureDirStore(state);
    const env = partnerEnv(emulator());
    const apply = () =>
      runCliInProcess(['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve'], {
        cwd: dir,
        env,
      });

    // orgId forgotten for partner: its calls carry the shared org, which AEP refuses.
    const first = await apply();
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(
      'FAILED   partner/silver create: create refused: AEP does not accept the organization',
    );
    expect(
      emulator()
        .control.listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName),
    ).toEqual(['Audience gold']);
    // Nothing exists in partner, in either org.
    expect(emulator().control.listAudiences(DEMO_CLIENT.orgId, 'partner')).toEqual([]);
    expect(emulator().control.listAudiences(PARTNER.orgId, 'partner')).toEqual([]);
    // ... and the store keeps no record of partner: nothing there belongs to any org.
    expect(await recordIds(state)).toEqual([['prod', 'gold']]);
    // prod's binding, made by an accepted create, stays; partner's is gone with its refused create.
    expect(await bindings(state)).toEqual({ prod: 'DEMO0RG0000000000000000@AdobeOrg' });

    // The user adds partner's orgId, as the refusal asks.
    await writeFiles(dir, { 'aep.yaml': partnerConfig({ orgId: PARTNER.orgId }) });
    const second = await apply();
    expect(second.stderr).not.toContain('STATE_OTHER_ORG');
    expect(second.stderr).not.toContain('belongs to IMS org');
    expect(second.code, second.stderr).toBe(0);
    expect(
      emulator()
        .control.listAudiences(PARTNER.orgId, 'partner')
        .map((a) => a.audienceName),
    ).toEqual(['Audience silver']);
    // Bound now, to the org that accepted the create.
    expect(await bindings(state)).toEqual({
      partner: 'PARTNER00000000000000000@AdobeOrg',
      prod: 'DEMO0RG0000000000000000@AdobeOrg',
    });
  });

  it('with one sandbox and a mistyped AEP_ORG_ID on the first apply: fixing it lets the next apply create', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
    const state = await kind.fresh(dir);
    await ensureDirStore(state);
    const apply = (orgId: string) =>
      runCliInProcess(['apply', 'm', '--state', state, '--auto-approve'], {
        cwd: dir,
        env: {
          AEP_BASE_URL: emulator().apiBaseUrl,
          AEP_IMS_URL: emulator().imsUrl,
          AEP_CLIENT_ID: DEMO_CLIENT.clientId,
          AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
          AEP_ORG_ID: orgId,
          AEP_SANDBOX: 'prod',
          AUDIENCECTL_POLL_INTERVAL_MS: '25',
        },
      });
    // One letter off: O for 0.
    const first = await apply('DEMO0RG000000000000000O@AdobeOrg');
    expect(first.code).toBe(1);
    expect(emulator().control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
    expect(await recordIds(state)).toEqual([]);
    expect(await bindings(state)).toBeUndefined();

    const second = await apply(DEMO_CLIENT.orgId);
    expect(second.stderr).not.toContain('belongs to IMS org');
    expect(second.code, second.stderr).toBe(0);
    expect(
      emulator()
        .control.listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName),
    ).toEqual(['Audience gold']);
    expect(await bindings(state)).toEqual({ prod: 'DEMO0RG0000000000000000@AdobeOrg' });
  });
});
