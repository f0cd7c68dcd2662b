import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { parseExposition } from './helpers/prom-text.js';

/**
 * /status `refresh.lastAt` and `audiencectl_last_successful_refresh_timestamp_seconds` said when
 * the pass that refreshed ended (after its steps, its runs followed for up to --run-wait), not
 * when the audiences were read, which /plan says ("Refreshed … from AEP at …"): two times for one
 * read, and drift made between the read and the end of the pass passed for seen.
 */
const spec = controllerSpec('audiencectl-refresh-read-time-');

describe('audiencectl run: when the last refresh read the audiences', () => {
  it('/status and the metric name the time of the read, as /plan does', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(state);
    // A first run on create: the pass follows it after the refresh's read.
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: true } }));
    const controller = await spec.start(
      [
        '--dir',
        dir,
        '--state',
        state,
        '--interval',
        '1h',
        '--resync-interval',
        '1h',
        '--refresh-interval',
        '1h',
      ],
      controllerEnv(em),
    );
    const status = await statusWhen(
      controller,
      (s) => s.refresh?.lastAt != null && s.audiences.some((a) => a.state === 'in-sync'),
      'gold created after a refresh',
    );
    const plan = await (await fetch(`${controller.url}/plan`)).text();
    const read = /^Refreshed 0 recorded audience\(s\) from AEP at (\S+):/m.exec(plan)?.[1];
    expect(read).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(status.refresh?.lastAt).toBe(read);

    const metrics = parseExposition(await (await fetch(`${controller.url}/metrics`)).text());
    const sample = metrics.samples.find(
      (s) => s.name === 'audiencectl_last_successful_refresh_timestamp_seconds',
    );
    expect(sample?.value).toBe(Date.parse(read ?? '') / 1000);
  });
});
