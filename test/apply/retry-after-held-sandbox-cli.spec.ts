import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { assertBuilt, controllerEnv } from '../daemon/helpers/controller.js';

// Review 46 (service), M-1. A 429 whose Retry-After is longer than retry.maxRetryAfterMs fails
// its call at once (docs/configuration.md, Retries); AEP throttles the whole org, yet the apply
// went on sending the sandbox's other calls into that throttle, each earning a 429 of its own.
// Now the first such answer holds every later call of the sandbox until the time it asked for:
// the steps not sent are blocked, naming that time, and the apply exits non-zero.

let emulator: RunningEmulator | undefined;
let root: string | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
  emulator = root = undefined;
});

const KEYS = ['gold', 'silver', 'bronze', 'iron'];

describe('apply: a 429 asking for a wait longer than retry.maxRetryAfterMs', { timeout: 60_000 }, () => {
  it('holds every later call of the sandbox until then: the steps left are blocked, not sent', async () => {
    const em = await startEmulator({ port: 0 });
    emulator = em;
    root = await mkdtemp(path.join(tmpdir(), 'retry-after-held-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await mkdir(path.join(root, 'state'));
    const write = (description: string) =>
      Promise.all(
        KEYS.map((key) =>
          writeFile(
            path.join(dir, `${key}.yaml`),
            manifestYaml(key, { ingestion: { onCreate: false }, spec: { description } }),
          ),
        ),
      );
    await write('First');
    // One call at a time: each PATCH leaves after the answer of the one before it. A Retry-After
    // past 2 s is not waited for (the default, 60 s, paused the sandbox that long before).
    const config = path.join(root, 'aep.yaml');
    await writeFile(config, 'budget:\n  concurrency: 1\nretry:\n  maxRetryAfterMs: 2000\n');
    const env = { ...controllerEnv(em), AUDIENCECTL_CONFIG: config };
    const args = [dir, '--state', path.join(root, 'state')];
    // The creates are a premise: the CLI's entry in this process (cli-in-process.ts); the apply
    // the case is about spawns the built CLI.
    const created = await runCliInProcess(['apply', ...args, '--auto-approve'], { env });
    expect(created.code, created.stderr).toBe(0);

    await write('Second');
    // The org's bucket holds one request, and refills in 100 s: the second PATCH is answered
    // 429 with a Retry-After of 100 s, past retry.maxRetryAfterMs.
    em.control.setRateLimit({ perSecond: 0.01, burst: 1 });
    const answered: { endpoint: string; status: number }[] = [];
    const stop = em.control.observeRequests((request) => {
      answered.push({ endpoint: request.endpoint, status: request.status });
    });
    let applied;
    try {
      applied = await runCli(['apply', ...args, '--auto-approve'], { env });
    } finally {
      stop();
    }
    // One PATCH through, one refused; none of the sandbox's calls after that 429.
    expect(answered.map((a) => `${a.endpoint} ${a.status}`)).toEqual([
      'patchAudience 200',
      'patchAudience 429',
    ]);
    // The one refused failed; the two after it were not sent, and say until when.
    expect(applied.code).not.toBe(0);
    expect(applied.stdout).toContain('Apply: 1 applied, 0 run(s) still running, 1 failed, 2 blocked');
    expect(applied.stdout).toMatch(/^FAILED +prod\/\w+ update: PATCH failed: AEP is throttling/m);
    const heldLines = applied.stdout.split('\n').filter((line) => line.startsWith('blocked '));
    expect(heldLines, applied.stdout).toHaveLength(2);
    for (const line of heldLines) {
      // 100 s less what the bucket refilled between the two PATCHes (a second or more when loaded).
      expect(line).toMatch(
        new RegExp(
          `update: not sent: AEP asked for a Retry-After of (9\\d|100) s in sandbox "${DEMO_SANDBOX}"`,
        ),
      );
      expect(line).toMatch(/every call of the sandbox is held until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    }
    const changed = em.control
      .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
      .filter((a) => a.description === 'Second');
    expect(changed).toHaveLength(1);
  });
});
