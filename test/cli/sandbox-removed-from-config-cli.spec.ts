import path from 'node:path';
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER, partnerConfig, partnerEnv } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// review-35a L-2: a sandbox of another org removed from the configuration while the store holds
// its records falls back to the shared credentials; the refusal (STATE_OTHER_ORG) then advises
// pointing the shared credentials at that org, which would break every other sandbox.

describe('a sandbox of another org removed from the configuration while it has records', () => {
  it('is not "fixed" by advice to point the shared credentials at its org', async () => {
    await withEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', NO_RUN),
          'm/silver.yaml': manifestYaml('silver', { ...NO_RUN, metadata: { sandbox: 'partner' } }),
          'aep.yaml': partnerConfig({ orgId: PARTNER.orgId }),
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const apply = () =>
          runCli(['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve'], {
            cwd: dir,
            env: partnerEnv(emulator),
          });
        const first = await apply();
        expect(first.code, first.stderr).toBe(0);

        // partner is decommissioned: its manifest and its configuration go in one change.
        await rm(path.join(dir, 'm/silver.yaml'));
        await writeFiles(dir, {
          'aep.yaml': partnerConfig('unlisted'),
          'm/gold.yaml': manifestYaml('gold', { ...NO_RUN, spec: { description: 'changed' } }),
        });
        const second = await apply();
        // Refused (nothing deleted in partner's org), as it should be ...
        expect(second.code).toBe(1);
        expect(emulator.control.listAudiences(PARTNER.orgId, 'partner').map((a) => a.audienceName)).toEqual([
          'Audience silver',
        ]);
        // ... but the way out it gives is wrong: pointing the shared credentials (prod's) at
        // partner's org would break prod, and "the state store of DEMO" is this very store.
        // What changed is that partner has no credentials of its own any more.
        expect(second.stderr).not.toContain(`set credentials.orgId in aep.yaml to ${PARTNER.orgId}`);
        expect(second.stderr).toContain('sandboxes.partner');
        expect(second.stderr).toContain(
          `Error: the state ${state} belongs to IMS org PARTNER00000000000000000@AdobeOrg (sandbox partner), but sandboxes.partner in aep.yaml is missing, so the shared credentials reach sandbox partner, and they are for DEMO0RG0000000000000000@AdobeOrg (credentials.orgId in aep.yaml); nothing was sent to AEP or written. If this store is the right one, give sandbox partner its entry (sandboxes.partner in aep.yaml) with the credentials of PARTNER00000000000000000@AdobeOrg (a client of that org, and orgId: PARTNER00000000000000000@AdobeOrg); otherwise use the store of these sandboxes (--state)\n`,
        );
        expect(second.stderr).not.toMatch(/\n\s+at /);
      });
    });
  });
});
