import { describe, expect, it } from 'vitest';
import { CompatInput, DEFAULT_COMPAT, type CompatSettings } from '../../src/emulator/compat-settings.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { remoteAudience, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * The handbook tests the client against every reading the emulator takes of the page
 * (src/emulator/compat-settings.ts). test/aep/tolerant.spec.ts does so call by call; here the
 * executor's journeys go through each: a create (its run, its answer lost and the audience
 * adopted from the list), adoption of a colleague's audience, a PATCH of each kind, a run, a
 * refresh that finds a UI edit, a delete. The readings are taken from the emulator's own schema,
 * so a reading added there is in this matrix without a word here.
 */
const ORG = DEMO_CLIENT.orgId;

type Mode = { name: string; compat: CompatSettings };

/** What a reading needs beside it to change anything (a cut applies to the bare runs list only). */
const WITH: Partial<Record<keyof CompatSettings, CompatSettings>> = {
  runsListCut: { runsListParams: 'refused' },
};

function everyReading(): Mode[] {
  const modes: Mode[] = [{ name: 'the default emulator', compat: {} }];
  const strict: Record<string, string> = {};
  for (const [key, schema] of Object.entries(CompatInput.shape)) {
    const name = key as keyof CompatSettings;
    const fallback = DEFAULT_COMPAT[name];
    for (const value of schema.unwrap().options) {
      if (value === fallback) continue;
      modes.push({ name: `${key}: ${value}`, compat: { ...WITH[name], [key]: value } });
      strict[key] = value;
    }
  }
  modes.push({ name: 'every strict reading at once', compat: strict });
  return modes;
}

const gold = (description = 'About gold', request?: string): ManifestInput =>
  manifestObject('gold', {
    spec: { description },
    ingestion: request === undefined ? { onCreate: true } : { onCreate: true, request },
  });
const silver = (labels: string[] = ['core/C2']): ManifestInput =>
  manifestObject('silver', {
    spec: {
      fields: [
        { name: 'email', type: 'string', identityNs: 'email' },
        { name: 'tier', type: 'string', labels },
      ],
    },
    ingestion: { onCreate: false },
  });
const bronze = (): ManifestInput =>
  manifestObject('bronze', { metadata: { adopt: true }, ingestion: { onCreate: false } });

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  (outcome.report?.results.map((r) => `${r.step.id} ${r.status}`) ?? []).sort();

/** Each record's audience id is one /core/ais knows (the emulator's audienceId). */
async function recordedIds(env: ExecutorEnv): Promise<Record<string, string | undefined>> {
  const remote = new Set(env.emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceId));
  const records = (await env.store().readAll()).audiences;
  return Object.fromEntries(
    records.map((record) => [
      record.key,
      record.audienceId !== undefined && remote.has(record.audienceId) ? 'known' : record.audienceId,
    ]),
  );
}

describe.each(everyReading())('the executor against $name', ({ compat }) => {
  it('creates, adopts, PATCHes, runs, refreshes and deletes', async () => {
    await withExecutor({ compat }, async (env) => {
      const control = env.emulator.control;
      // As a person makes it, in the shape of sourceSpec the service takes.
      const { sourceSpec, ...made } = bronze().spec;
      control.uiCreateAudience(
        ORG,
        'prod',
        {
          ...made,
          description: 'Made in the UI',
          sourceSpec: compat.sourceSpec === 'flat' ? sourceSpec : { params: sourceSpec },
        },
        'colleague@AdobeID',
      );
      // gold's first POST makes the audience, its answer lost: found by name and adopted.
      control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });

      const first = await env.apply([gold(), silver(), bronze()]);
      expect(statuses(first)).toEqual([
        'prod/bronze:adopt applied',
        'prod/gold:create applied',
        'prod/gold:run applied',
        'prod/silver:create applied',
      ]);
      expect(control.listAudiences(ORG, 'prod')).toHaveLength(3);
      expect(await recordedIds(env)).toEqual({ bronze: 'known', gold: 'known', silver: 'known' });
      expect(remoteAudience(env, 'bronze').description).toBe('About bronze');

      const changed = await env.apply([gold('Changed', 'r1'), silver(['core/C2', 'core/C3']), bronze()]);
      expect(statuses(changed)).toEqual([
        'prod/gold:run applied',
        'prod/gold:update applied',
        'prod/silver:update applied',
      ]);
      expect(remoteAudience(env, 'gold').description).toBe('Changed');
      expect(remoteAudience(env, 'silver').fields.find((f) => f.name === 'tier')?.labels).toEqual([
        'core/C2',
        'core/C3',
      ]);
      expect(control.listRuns(ORG, 'prod', remoteAudience(env, 'gold').audienceId)).toHaveLength(2);

      // Edited in the UI: a refresh finds it and PATCHes it back.
      control.uiEditAudience(ORG, 'prod', remoteAudience(env, 'bronze').audienceId, {
        description: 'Edited',
      });
      const refreshed = await env.apply([gold('Changed', 'r1'), silver(['core/C2', 'core/C3']), bronze()], {
        refresh: true,
      });
      expect(refreshed.plan.refresh?.drifted.map((d) => `${d.kind} ${d.key}`)).toEqual(['changed bronze']);
      expect(statuses(refreshed)).toEqual(['prod/bronze:update applied']);
      expect(remoteAudience(env, 'bronze').description).toBe('About bronze');

      const removed = await env.apply([gold('Changed', 'r1'), bronze()]);
      expect(statuses(removed)).toEqual(['prod/silver:delete applied']);
      expect(
        control
          .listAudiences(ORG, 'prod')
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience bronze', 'Audience gold']);
      const settled = await env.apply([gold('Changed', 'r1'), bronze()], { refresh: true });
      expect(settled.plan.steps).toEqual([]);
    });
  });
});
