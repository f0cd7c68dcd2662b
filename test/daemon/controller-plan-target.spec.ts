import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 39, L-2. README (Plan output): the `Target:` line names the IMS org of each sandbox the steps go to
// (several orgs each have a sandbox named prod); "the Markdown says it under the table".
// docs/controller.md: `GET /plan` is the last plan "as `plan --output markdown` prints it". The
// controller's Markdown (GET /plan, what a team posts or links) has steps for prod and partner,
// made with credentials, and named no org: in which org's prod did it create gold?

const spec = controllerSpec('controller-plan-target-');

describe('run: GET /plan of a pass with steps', () => {
  it('names the AEP org of each sandbox its steps go to, as the CLI plan does', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const ctl = await spec.start(
      ['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h'],
      controllerEnv(em),
    );
    await statusWhen(ctl, (s) => s.audiences.some((a) => a.state === 'in-sync'), 'gold created');
    const markdown = await (await fetch(`${ctl.url}/plan`)).text();
    expect(markdown).toContain('| 1 |');
    expect(markdown).toContain(
      `Target: sandbox prod of AEP org ${DEMO_CLIENT.orgId} (as the configured credentials name it).`,
    );
  }, 90_000);
});
