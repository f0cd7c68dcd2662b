import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanUp, type TestParts } from './helpers/controller.js';
import { controllerWithMountedSecret } from './helpers/mounted-secret.js';

// Review secrets-44 (last pass's leftover 1). The bearer token guarding /status, /plan and
// /metrics of `audiencectl run` is read once from --http-token-file at start. The chart (or
// an operator) mounts it from a Kubernetes Secret, which the kubelet updates in place by
// swapping the ..data link: a rotated token should be taken without a restart, and the old
// one refused once the new one is in place, as --git-token-file is read at each fetch.

const OLD = 'http-token-OLD-canary-0123456789abcdef';
const NEW = 'http-token-NEW-canary-fedcba9876543210';

let parts: TestParts = {};

beforeAll(assertBuilt);

afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

async function statusWith(url: string, token: string): Promise<number> {
  const answer = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } });
  await answer.arrayBuffer();
  return answer.status;
}

describe('an HTTP token given as a file (review secrets-44, leftover 1)', () => {
  it('is read again when its file changes: the rotated token is taken, the old one refused, a bad rewrite kept out, neither shown', async () => {
    const { ctl, file, rotate } = await controllerWithMountedSecret(parts, {
      prefix: 'audiencectl-http-rotate-',
      key: 'token',
      first: OLD,
      give: (file) => ({ args: ['--http-token-file', file] }),
    });
    expect(await statusWith(ctl.url, OLD)).toBe(200);
    expect(await statusWith(ctl.url, NEW)).toBe(401);

    await rotate('v2', NEW);
    expect(await statusWith(ctl.url, NEW)).toBe(200);
    expect(await statusWith(ctl.url, OLD)).toBe(401);

    // A rewrite holding no usable token (too short) keeps the token read before, and says so.
    await rotate('v3', 'too-short');
    expect(await statusWith(ctl.url, 'too-short')).toBe(401);
    expect(await statusWith(ctl.url, NEW)).toBe(200);
    expect(await statusWith(ctl.url, OLD)).toBe(401);
    const kept = ctl.logs.filter((line) => /holds no usable token/.test(line.msg ?? ''));
    expect(kept).toHaveLength(1);
    expect(kept[0]?.['file']).toBe(file);
    expect(String(kept[0]?.['reason'])).toContain('at least 16 characters');
    const metrics = await fetch(`${ctl.url}/metrics`, { headers: { authorization: `Bearer ${NEW}` } });
    expect(metrics.status).toBe(200);
    const shown = JSON.stringify(ctl.logs) + ctl.stdout() + (await metrics.text());
    expect(shown).not.toContain(OLD);
    expect(shown).not.toContain(NEW);
  });
});
