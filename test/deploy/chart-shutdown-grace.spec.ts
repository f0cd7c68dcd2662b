import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';
import { controllerEnv, deploymentSpec } from './pod-env.js';

/**
 * REVIEW-34a L-3. `AUDIENCECTL_SHUTDOWN_GRACE` (25 s by default) "must stay under the pod's
 * terminationGracePeriodSeconds" (docs/controller.md, "Shutdown"; docs/deploy.md), which the
 * chart offers as a value. Set below 25 (a team that speeds its rollouts: 20 s), the kubelet
 * kills the controller while it still waits for its in-flight calls and before it releases the
 * state lock: the next pod of the file state (Recreate, another host name) then watches the
 * dead pod's lock for 30 to 60 s before its first pass. The chart neither derives the
 * controller's grace from the pod's nor refuses the value.
 *
 * Once fixed, `helm template` refuses it naming terminationGracePeriodSeconds, or the pod's
 * controller gets an `AUDIENCECTL_SHUTDOWN_GRACE` shorter than the pod's grace.
 */
const VALUES = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
  terminationGracePeriodSeconds: 20,
};

/** Seconds of a duration the app reads (`25s`, `1m`, `500ms`, a plain number of seconds). */
function seconds(duration: string): number {
  if (/^\d+$/.test(duration)) return Number(duration);
  const units: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|d|h|m|s)/g))
    total += Number(amount) * units[unit ?? 's']!;
  return total;
}

describe.each(helmBinaries())('helm $major: the controller stops within the pod grace period', (bin) => {
  it.concurrent('terminationGracePeriodSeconds 20', async () => {
    const result = await template(bin, { values: VALUES });
    if (result.code !== 0) {
      expect(result.stderr).toContain('terminationGracePeriodSeconds');
      return;
    }
    const pod = deploymentSpec(result.objects).template.spec as { terminationGracePeriodSeconds?: number };
    expect(pod.terminationGracePeriodSeconds).toBe(20);
    const grace = controllerEnv(result.objects).get('AUDIENCECTL_SHUTDOWN_GRACE')?.value ?? '25s';
    expect(seconds(grace)).toBeLessThan(20);
  });
});

const SETUP = { git: VALUES.git, aep: VALUES.aep, secret: VALUES.secret };

describe.each(helmBinaries())('helm $major: the controller shutdown grace follows the pod', (bin) => {
  it.concurrent('is 5 s under terminationGracePeriodSeconds, by default and as set', async () => {
    for (const [pod, controllerGrace] of [
      [undefined, '55s'],
      [10, '5s'],
      [120, '115s'],
    ] as const) {
      const values = pod === undefined ? SETUP : { ...SETUP, terminationGracePeriodSeconds: pod };
      const result = await template(bin, { values });
      expect(result.stderr).toBe('');
      const spec = deploymentSpec(result.objects).template.spec as { terminationGracePeriodSeconds?: number };
      expect(spec.terminationGracePeriodSeconds).toBe(pod ?? 60);
      expect(controllerEnv(result.objects).get('AUDIENCECTL_SHUTDOWN_GRACE')).toEqual({
        value: controllerGrace,
      });
    }
  });

  it.concurrent('refuses a pod grace under 10 s in one line naming it', async () => {
    const result = await template(bin, { values: { ...SETUP, terminationGracePeriodSeconds: 9 } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    // One line: helm's prefix (the template helm happened to render first), then the chart's words.
    const [line = '', ...more] = result.stderr.trim().split('\n');
    expect(more.filter((rest) => rest !== '' && !rest.startsWith('Use --debug'))).toEqual([]);
    expect(line.replace(/^Error: execution error at \(audiencectl\/templates\/[\w.-]+:\d+:\d+\): /, '')).toBe(
      'terminationGracePeriodSeconds must be at least 10: the controller gets 5 s less (AUDIENCECTL_SHUTDOWN_GRACE) to finish its API calls and release the state lock before it is killed',
    );
  });

  it.concurrent('leaves a grace set through extraEnv to it', async () => {
    const result = await template(bin, {
      values: { ...SETUP, extraEnv: [{ name: 'AUDIENCECTL_SHUTDOWN_GRACE', value: '20s' }] },
    });
    expect(result.stderr).toBe('');
    expect(controllerEnv(result.objects).get('AUDIENCECTL_SHUTDOWN_GRACE')).toEqual({ value: '20s' });
  });
});
