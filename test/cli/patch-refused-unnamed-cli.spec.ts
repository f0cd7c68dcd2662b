import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { reply, startAlteringProxy } from '../helpers/altering-proxy.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * Audiences made in the UI with only `email` are imported for manifests listing `email` and
 * `tier`: AEP refuses the first PATCH (a PATCH cannot add a field). audiencectl recognised that
 * refusal by the emulator's named rules only: a service that answers with the page's appendix
 * text alone (no rules: `errorDetail: appendix`), or a 422 with no platform code, got an
 * ordinary failure, the same PATCH sent and refused by every apply, forever (review known-42,
 * H-2). Now the first such refusal teaches that the service names no rule (remembered per base
 * URL), and from then on the PATCH without the fields tells: accepted, the update is held as
 * the named refusal is. The CLI in process, the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };
const tempDir = useTempDirs();
const onlyEmail = { fields: [{ name: 'email', type: 'string' as const, identityNs: 'email' }] };
const differ = (key: string) =>
  `prod/${key} update: the audience's fields differ from the manifest's: AEP refused the PATCH of its fields (`;
const toldWithout = "; it named no rule, and the same PATCH without the manifest's fields was accepted), ";
const nextTells =
  "(AEP named no rule it broke: refused the same way again, the next apply sends this PATCH without the manifest's fields, to tell whether they are what AEP refuses)";

/** Audience `key` made in the UI with only email, imported for its manifest (email and tier). */
async function imported(emulator: TestEmulator, env: Record<string, string>, root: string, key: string) {
  const manifests = path.join(root, 'audiences');
  const state = path.join(root, 'state');
  await mkdir(manifests, { recursive: true });
  await mkdir(state, { recursive: true });
  const { id } = emulator.control.uiCreateAudience(
    DEMO_CLIENT.orgId,
    'prod',
    audienceBody({ name: `Audience ${key}`, ...onlyEmail }),
    'colleague@AdobeID',
  );
  await writeFile(path.join(manifests, `${key}.yaml`), manifestYaml(key, quiet));
  const done = await runCliInProcess(
    ['state', 'import', key, manifests, '--audience-id', id, '--state', state],
    { env },
  );
  expect(done.code, done.stderr).toBe(0);
  return { manifests, state };
}

describe("a refused PATCH of an imported audience's fields, the service naming no rule", () => {
  it('the appendix text only: one failure teaches it, then blocked with the ways out and held; remembered for the next audience', async () => {
    await withEmulator({ compat: { errorDetail: 'appendix' } }, async (emulator) => {
      const env = emulatorEnv(emulator);
      const root = await tempDir();
      const { manifests, state } = await imported(emulator, env, root, 'gold');
      const patches = () => emulator.control.counters().byEndpoint.patchAudience.requests;

      const first = await apply(manifests, state, env);
      expect(first.code).toBe(1);
      expect(first.stdout).toContain('FAILED   prod/gold update: PATCH failed: ');
      expect(first.stdout).toContain(nextTells);
      expect(patches()).toBe(1);
      const compat = JSON.parse(await readFile(path.join(state, 'compat.json'), 'utf8')) as {
        baseUrls: Record<string, { patchRefusals?: string }>;
      };
      expect(Object.values(compat.baseUrls).map((choices) => choices.patchRefusals)).toEqual(['unnamed']);

      // Refused the same way: the PATCH without the fields is accepted, so they are refused.
      const second = await apply(manifests, state, env);
      expect(second.code).toBe(3);
      expect(second.stdout).toContain(differ('gold'));
      expect(second.stdout).toContain(toldWithout);
      expect(second.stdout).toContain(
        "Set spec.fields in gold.yaml to the audience's fields (names and types) and apply.",
      );
      expect(patches()).toBe(3);
      const held = await apply(manifests, state, env);
      expect(held.code).toBe(3);
      expect(held.stdout).toContain(differ('gold'));
      expect(patches()).toBe(3);

      // Another audience imported since: blocked at its first apply (the service is known).
      await imported(emulator, env, root, 'tin');
      const tin = await apply(manifests, state, env);
      expect(tin.code).toBe(3);
      expect(tin.stdout).toContain(differ('tin'));
      expect(patches()).toBe(5);

      // The manifests' fields set to the audiences': the PATCHes go through, the holds lift.
      for (const key of ['gold', 'tin'])
        await writeFile(
          path.join(manifests, `${key}.yaml`),
          manifestYaml(key, { ...quiet, spec: onlyEmail }),
        );
      const fixed = await apply(manifests, state, env);
      expect(fixed.code, fixed.stdout).toBe(0);
      expect(patches()).toBe(7);
    });
  });

  it('a 422 with no platform code: blocked the same way from the second apply', async () => {
    await withEmulator(undefined, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url, { refusals: true });
      try {
        proxy.alter((answer) =>
          answer.method === 'PATCH' && answer.status === 422
            ? reply(422, { title: 'Unprocessable Entity', status: 422 })
            : undefined,
        );
        const env = emulatorEnv(emulator, {
          AEP_BASE_URL: `${proxy.url}/data/core/ais`,
          AEP_IMS_URL: `${proxy.url}/ims/token/v3`,
        });
        const { manifests, state } = await imported(emulator, env, await tempDir(), 'gold');
        const first = await apply(manifests, state, env);
        expect(first.code).toBe(1);
        expect(first.stdout).toContain(nextTells);
        const second = await apply(manifests, state, env);
        expect(second.code).toBe(3);
        expect(second.stdout).toContain(differ('gold'));
        expect(second.stdout).toContain(toldWithout);
      } finally {
        await proxy.close();
      }
    });
  });

  it('refused without the fields too: an ordinary failure, retried, never a block', async () => {
    await withEmulator({ compat: { errorDetail: 'appendix' } }, async (emulator) => {
      const env = emulatorEnv(emulator);
      const { manifests, state } = await imported(emulator, env, await tempDir(), 'gold');
      expect((await apply(manifests, state, env)).code).toBe(1);
      // The next PATCH and the one without the fields are both refused (a run in progress, say).
      emulator.control.queueFault({ kind: 'clientError', status: 422, endpoint: 'patchAudience', count: 2 });
      const refused = await apply(manifests, state, env);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('FAILED   prod/gold update: PATCH failed: ');
      expect(refused.stdout).not.toContain('fields differ');
      expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(3);
    });
  });
});
