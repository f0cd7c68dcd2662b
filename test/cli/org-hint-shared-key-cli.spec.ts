import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER, partnerConfig, partnerEnv } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// review-35a L-3: a sandbox with a client of its own but no orgId of its own takes the shared
// credentials.orgId; AEP refuses it (100921-401) and the step says to change credentials.orgId,
// the org every other sandbox's client is in. Doing so breaks them; sandboxes.<name>.orgId is
// the key to set.

describe("a sandbox's own client refused with the shared org", () => {
  it("points at the sandbox's own orgId, not at the shared one", async () => {
    await withEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', NO_RUN),
          'm/silver.yaml': manifestYaml('silver', { ...NO_RUN, metadata: { sandbox: 'partner' } }),
          // partner: a client of its own, and no orgId of its own.
          'aep.yaml': partnerConfig({}),
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(
          ['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve'],
          {
            cwd: dir,
            env: partnerEnv(emulator),
          },
        );
        expect(result.code).toBe(1);
        // prod, on the shared org, works: that org is right for prod's client.
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
          'Audience gold',
        ]);
        expect(result.stdout).toContain(
          'FAILED   partner/silver create: create refused: AEP does not accept the organization',
        );
        expect(result.stdout).not.toContain('credentials.orgId in aep.yaml must be the IMS org');
        expect(result.stdout).toContain('sandboxes.partner.orgId');
        expect(result.stdout).toContain(
          'FAILED   partner/silver create: create refused: AEP does not accept the organization: set sandboxes.partner.orgId in aep.yaml to the IMS org (…@AdobeOrg) of client partner-client (it is unset, so credentials.orgId in aep.yaml is used, the org of the shared credentials) (createAudience in sandbox "partner"; HTTP 401, 100921-401, ',
        );
      });
    });
  });
});
