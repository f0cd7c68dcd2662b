import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { parseExposition } from './helpers/prom-text.js';

// Review 38s, S-4: audiencectl_aep_clock_offset_seconds read 0 ("the clocks agree") before any
// AEP answer was measured, where /status has no clock at all; an alert on its absolute value
// was quiet for a controller that never read AEP's clock.

const spec = controllerSpec('clock-metric-unmeasured-');

describe('run: /metrics before any AEP answer', () => {
  it('has no AEP clock offset sample while /status has no clock reading', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    // A shadow controller without credentials: it never asks AEP anything, so never reads its clock.
    const env = Object.fromEntries(
      Object.entries(controllerEnv(em)).filter(([name]) => !name.startsWith('AEP_')),
    );
    const ctl = await spec.start(
      ['--dir', dir, '--state', path.join(root, 'state'), '--dry-run', '--interval', '1h'],
      env,
    );
    const status = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass',
    );
    expect(status.clock).toBeUndefined();
    const text = await (await fetch(`${ctl.url}/metrics`)).text();
    const offsets = parseExposition(text).samples.filter(
      (s) => s.name === 'audiencectl_aep_clock_offset_seconds',
    );
    // 0 would read as "AEP's clock and ours agree": nothing was measured.
    expect(offsets).toEqual([]);
  }, 60_000);
});
