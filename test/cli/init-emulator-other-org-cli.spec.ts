import { describe, expect, it } from 'vitest';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { withPartnerBoundStore } from '../helpers/partner-bound-store.js';
import { PARTNER } from '../helpers/partner-org.js';

// Review 39 (cli-39) 1: `init --emulator` checked the embedded emulator's demo credentials, but
// not the org the store already belongs to: on a store another org's apply bound, it said
// the store was ready and exited 0, and `apply --emulator` then refused it. That refusal told
// the user to set AEP_ORG_ID, which --emulator ignores (it always uses the demo client).

describe('init --emulator on a store bound to another IMS org', () => {
  it('is refused as apply --emulator refuses it, without naming a setting --emulator ignores', async () => {
    await withPartnerBoundStore(async ({ dir, state }) => {
      const apply = await runCli(['apply', 'm', '--emulator', '--state', state, '--auto-approve'], {
        cwd: dir,
        env: NO_AEP_CREDENTIALS,
      });
      const init = await runCli(['init', '--emulator', '--state', state], {
        cwd: dir,
        env: NO_AEP_CREDENTIALS,
      });
      expect({
        apply: apply.code,
        init: init.code,
        applyBelongs: apply.stderr.includes(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`),
        initBelongs: (init.stderr + init.stdout).includes(
          `belongs to IMS org ${PARTNER.orgId} (sandbox prod)`,
        ),
        applyNamesOrgVariable: apply.stderr.includes('AEP_ORG_ID'),
        initNamesOrgVariable: init.stderr.includes('AEP_ORG_ID'),
        applyStderr: apply.stderr,
        initOut: init.stdout + init.stderr,
      }).toMatchObject({
        apply: 1,
        init: 1,
        applyBelongs: true,
        initBelongs: true,
        applyNamesOrgVariable: false,
        initNamesOrgVariable: false,
      });
    });
  });
});
