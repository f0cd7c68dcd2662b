import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { withPartnerBoundStore } from '../helpers/partner-bound-store.js';
import { PARTNER } from '../helpers/partner-org.js';

// Review 38c L-4: `audiencectl init` "checks the credentials" of a store (README: "once: checks
// these credentials, creates the store"). Run against a store bound to another IMS org (README,
// "A store belongs to one IMS org"), it said "directory state ready" and exited 0; the next
// apply with the same credentials was refused with STATE_OTHER_ORG. The check a person runs to
// learn whether these credentials fit this store said they did.

describe('init with the credentials of another org than the store’s', () => {
  it('says the store belongs to another org, as apply would', async () => {
    await withPartnerBoundStore(async ({ dir, state, base }) => {
      const demo = {
        ...base,
        AEP_CLIENT_ID: DEMO_CLIENT.clientId,
        AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
        AEP_ORG_ID: DEMO_CLIENT.orgId,
      };
      const apply = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
        cwd: dir,
        env: demo,
      });
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`);
      const init = await runCli(['init', '--state', state], { cwd: dir, env: demo });
      expect(init.stderr + init.stdout).toContain(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`);
      expect(init.code).toBe(1);
    });
  });
});
