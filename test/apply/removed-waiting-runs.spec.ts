import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { newRecord } from '../../src/state/record-changes.js';
import { dropTaken, runsHeldElsewhere, takenRunsNotes } from '../../src/state/runs-elsewhere.js';
import type { RunRecord } from '../../src/state/schema.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useStores, type StoreKind } from '../state/stores.js';
import { useTempDirs } from '../state/helpers.js';
import { openStateStore } from '../../src/state/open.js';

// A record waiting for its create (a replace's, refused while the service still holds the
// deleted audience's name) keeps the deleted audience's runs of the last day: they count against
// the sandbox's daily run budget. Its manifest then removed, the record is forgotten (it names no
// audience), but those runs still count at the service: a runs-only record keeps them until they
// no longer do. The plan never shows it again, `state list`/`state show` say what it is, `state
// forget` drops it, and an apply drops it once its runs are spent. Same plan on both stores.

const ORG = DEMO_CLIENT.orgId;
const stores = useStores();
const tempDir = useTempDirs();

const DAY = 86_400;

let budgetFile: Promise<string> | undefined;
/**
 * A configuration whose client budget is 1000 requests a second, not 10: an apply of three
 * audiences with their first runs makes more than 10 requests, and waited most of a second
 * for the next window (of ~1.2 s per apply), which is not what this file is about.
 */
function budgetConfig(): Promise<string> {
  budgetFile ??= (async () => {
    const file = path.join(await tempDir(), 'aep.yaml');
    await writeFile(file, 'budget: { requests: 1000, intervalMs: 1000 }\n');
    return file;
  })();
  return budgetFile;
}

/** The environment of a CLI against `emulator`, with the budget above. */
async function envFor(emulator: Parameters<typeof emulatorEnv>[0]): Promise<Record<string, string>> {
  return emulatorEnv(emulator, { AUDIENCECTL_CONFIG: await budgetConfig() });
}

/** The CLI, in process, against `emulator` and the store at `state`. */
function cliAt(emulator: Parameters<typeof emulatorEnv>[0], state: string) {
  return async (...args: string[]) =>
    runCliInProcess([...args, '--state', state], { env: await envFor(emulator) });
}

/**
 * gold applied, then `state forget gold`: its record as applied, and what is left of it (a
 * runs-only record of its run). The store at `state`, of `kind`.
 */
async function goldForgotten(kind: StoreKind, emulator: Parameters<typeof emulatorEnv>[0]) {
  const state = await kind.fresh();
  const manifests = new ManifestDir(await tempDir());
  const cli = cliAt(emulator, state);
  await manifests.write([gold!]);
  expect((await cli('apply', manifests.dir, '--auto-approve')).code).toBe(0);
  const store = await kind.open(state);
  const applied = (await store.get('prod', 'gold'))!;
  expect((await cli('state', 'forget', 'gold', '--sandbox', 'prod')).code).toBe(0);
  return { cli, manifests, store, applied };
}

/** The rename's second half: gold's manifest under the key gold-new, and audience `id` imported there. */
async function importAsGoldNew(cli: ReturnType<typeof cliAt>, manifests: ManifestDir, id: string) {
  await manifests.write([manifestObject('gold-new', { spec: { name: 'Audience gold' } })]);
  return cli('state', 'import', 'gold-new', manifests.dir, '--sandbox', 'prod', '--audience-id', id);
}

/** `count` runs of `formerAudienceId`, begun in the last two hours: each counts today. */
function runsOf(prefix: string, count: number, formerAudienceId: string): RunRecord[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => ({
    runId: `${prefix}-${i}`,
    status: 'SUCCESS',
    createdAt: now - 3_600 - i * 60,
    dataFilterStartTime: 0,
    formerAudienceId,
  }));
}
/** A new source cannot be PATCHed: a replace, allowed by the manifest. */
function moved(name: string): ManifestInput {
  return manifestObject(name, {
    metadata: { allowReplace: true },
    spec: {
      sourceSpec: {
        path: `exports/${name}-v2.csv`,
        type: 'file',
        sourceType: 'Cloud Storage',
        cloudType: 'DLZ',
      },
    },
  });
}

const [gold, copper, silver, bronze] = ['gold', 'copper', 'silver', 'bronze'].map((name) =>
  manifestObject(name),
);

describe.each(stores)('$name store', (kind: StoreKind) => {
  it('a removed manifest of a replace waiting for its create: its runs stay counted until spent, then go', async () => {
    await withEmulator(
      { operationDelayMs: 10, runStageDelayMs: 10, compat: { deletedNames: 'held' } },
      async (emulator) => {
        const state = await kind.fresh();
        const manifests = new ManifestDir(await tempDir());
        const env = await envFor(emulator);
        const cli = (...args: string[]) => runCliInProcess([...args, '--state', state], { env });
        const apply = (...flags: string[]) => cli('apply', manifests.dir, '--auto-approve', ...flags);
        const plan = (...flags: string[]) => cli('plan', manifests.dir, '--output', 'json', ...flags);
        const steps = async (...flags: string[]) => {
          const planned = await plan(...flags);
          expect(planned.stderr).toBe('');
          const { steps } = JSON.parse(planned.stdout) as {
            steps: { id: string; reason: string; deferred?: string }[];
          };
          return steps.map((s) => [s.id, s.deferred ?? null]);
        };

        await manifests.write([gold!, copper!]);
        expect((await apply()).code).toBe(0);
        const store = await kind.open(state);
        const runOf = async (key: string) => (await store.get('prod', key))!.runs[0]!;
        const goldRun = await runOf('gold');
        const goldId = (await store.get('prod', 'gold'))!.audienceId!;
        const copperRun = await runOf('copper');

        // Both replaced: DELETE answered, the create refused while the name is held.
        await manifests.write([moved('gold'), moved('copper')]);
        const refused = await apply();
        expect(refused.code).toBe(1);
        expect(emulator.control.listAudiences(ORG, 'prod')).toEqual([]);
        for (const key of ['gold', 'copper']) {
          const waiting = await store.get('prod', key);
          expect(waiting?.audienceId).toBeUndefined();
          expect(waiting?.runs).toHaveLength(1);
        }

        // Their manifests removed: forgotten once, as a record without an audience id.
        await manifests.write([silver!]);
        expect(await steps('--runs-per-day', '3')).toEqual([
          ['prod/silver:create', null],
          ['prod/silver:run', null],
          ['prod/copper:forget', null],
          ['prod/gold:forget', null],
        ]);
        const forgot = await apply('--runs-per-day', '3');
        expect(forgot.code).toBe(0);
        const until = (run: { createdAt: number }) => new Date((run.createdAt + DAY) * 1000).toISOString();
        expect(forgot.stdout).toContain(
          `the record keeps only its 1 run of deleted audiences, counted against the sandbox's daily run budget until ${until(goldRun)}`,
        );
        const remnant = await store.get('prod', 'gold');
        expect(remnant).toEqual({
          schemaVersion: 2,
          sandbox: 'prod',
          key: 'gold',
          deletionPolicy: 'Delete',
          runs: [{ ...goldRun, formerAudienceId: goldId }],
        });

        // Never planned again, and still counted: gold's, copper's and silver's runs spend the 3.
        expect((await cli('plan', manifests.dir)).stdout).toContain('No changes.');
        await manifests.write([silver!, bronze!]);
        expect(await steps('--runs-per-day', '3')).toEqual([
          ['prod/bronze:create', null],
          ['prod/bronze:run', 'sandbox "prod" has used its 3 runs of the last 24 h'],
        ]);

        // `state list` and `state show` say what such a record is.
        const listed = await cli('state', 'list');
        expect(listed.stdout).toMatch(
          new RegExp(
            `prod +gold +- +runs of deleted or forgotten audiences only, counted until ${until(goldRun)}`,
          ),
        );
        expect(listed.stdout).toContain(
          '2 name no audience, only runs of deleted or forgotten audiences kept for the daily run budget',
        );
        // Counted apart from the audiences (review 8, L3): silver is the one audience.
        expect(listed.stdout).toMatch(/\n1 audience \(and 2 records of runs only, below\); lineage /);
        const shown = await cli('state', 'show', 'gold', '--sandbox', 'prod');
        expect(JSON.parse(shown.stdout)).toEqual(remnant);
        expect(shown.stderr).toContain(
          `prod/gold names no audience: it keeps only 1 run of deleted or forgotten audiences, which count against sandbox prod's daily run budget until ${until(goldRun)}`,
        );

        // `state forget` drops one: its run no longer counts, and bronze's run fits.
        const forgotten = await cli('state', 'forget', 'copper', '--sandbox', 'prod');
        expect(forgotten.code).toBe(0);
        // It named no audience and has no manifest: nothing remote untouched, nothing to import back (review 8, L2).
        expect(forgotten.stdout).toBe(
          "Forgot prod/copper: it named no audience, only 1 run of deleted or forgotten audiences, which no longer counts against sandbox prod's daily run budget.\n",
        );
        expect(await store.get('prod', 'copper')).toBeUndefined();
        expect(await steps('--runs-per-day', '3')).toEqual([
          ['prod/bronze:create', null],
          ['prod/bronze:run', null],
        ]);
        expect(copperRun.runId).not.toBe(goldRun.runId);

        // A day and 6 minutes on (the run aged in the store): the next apply drops gold's record.
        await store.lock();
        await store.put({
          ...remnant!,
          runs: remnant!.runs.map((r) => ({ ...r, createdAt: r.createdAt - DAY - 360 })),
        });
        await store.unlock();
        const spent = await apply();
        expect(spent.code).toBe(0);
        // Said before the plan, and done once the apply went ahead (auto-approved), before its steps.
        const note =
          'prod/gold: the record kept only for the runs of deleted or forgotten audiences, none of which counts against the daily run budget any more';
        expect(spent.stdout).toContain(`to drop: ${note}\n`);
        expect(spent.stdout).toContain(`dropped: ${note}\n`);
        expect((await store.readAll()).audiences.map((r) => r.key).sort()).toEqual(['bronze', 'silver']);
      },
    );
  });

  it('a live audience deleted for its removed manifest, forgotten (Orphan) or by `state forget`: its runs stay counted (review 9, finding 2)', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const state = await kind.fresh();
      const manifests = new ManifestDir(await tempDir());
      const cli = cliAt(emulator, state);
      const apply = () => cli('apply', manifests.dir, '--auto-approve');
      const steps = async () => {
        const planned = await cli('plan', manifests.dir, '--output', 'json', '--runs-per-day', '3');
        const { steps } = JSON.parse(planned.stdout) as { steps: { id: string; deferred?: string }[] };
        return steps.map((s) => [s.id, s.deferred ?? null]);
      };
      const until = (run: { createdAt: number }) => new Date((run.createdAt + DAY) * 1000).toISOString();

      const orphan = manifestObject('bronze', { metadata: { deletionPolicy: 'Orphan' } });
      await manifests.write([gold!, copper!, orphan]);
      expect((await apply()).code).toBe(0);
      const store = await kind.open(state);
      const recorded = async (key: string) => {
        const record = (await store.get('prod', key))!;
        return [record.audienceId!, record.runs[0]!] as const;
      };
      const [[goldId, goldRun], [copperId, copperRun], [bronzeId, bronzeRun]] = [
        await recorded('gold'),
        await recorded('copper'),
        await recorded('bronze'),
      ];

      // gold's manifest removed: its audience deleted, its run kept under its key; bronze's
      // (Orphan) forgotten, its audience left in AEP, its run kept too.
      await manifests.write([copper!]);
      const deleted = await apply();
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain(
        `deleted ${goldId}; the record keeps only its 1 run of deleted audiences, counted against the sandbox's daily run budget until ${until(goldRun)}`,
      );
      expect(deleted.stdout).toContain(
        `forgotten; the remote audience is kept; the record keeps only its 1 run of the audience, counted against the sandbox's daily run budget until ${until(bronzeRun)}`,
      );
      expect(
        emulator.control
          .listAudiences(ORG, 'prod')
          .map((a) => a.audienceId)
          .sort(),
      ).toEqual([copperId, bronzeId].sort());
      for (const [key, run, id] of [
        ['gold', goldRun, goldId],
        ['bronze', bronzeRun, bronzeId],
      ] as const) {
        expect(await store.get('prod', key)).toEqual({
          schemaVersion: 2,
          sandbox: 'prod',
          key,
          deletionPolicy: key === 'gold' ? 'Delete' : 'Orphan',
          runs: [{ ...run, formerAudienceId: id }],
        });
      }
      // Still counted: gold's, bronze's and copper's runs spend 3 a day, silver's run waits.
      await manifests.write([copper!, silver!]);
      expect(await steps()).toEqual([
        ['prod/silver:create', null],
        ['prod/silver:run', 'sandbox "prod" has used its 3 runs of the last 24 h'],
      ]);

      // `state forget copper`: the audience is left alone, its run stays counted, and it says so.
      const forgot = await cli('state', 'forget', 'copper', '--sandbox', 'prod');
      expect(forgot.code).toBe(0);
      expect(forgot.stdout).toContain(
        `Its 1 run begun in the last 24 hours stays under prod/copper as a record of runs only: forgetting does not undo them, and they count against sandbox prod's daily run budget until ${until(copperRun)}`,
      );
      expect(await store.get('prod', 'copper')).toEqual({
        schemaVersion: 2,
        sandbox: 'prod',
        key: 'copper',
        deletionPolicy: 'Delete',
        runs: [{ ...copperRun, formerAudienceId: copperId }],
      });
      await manifests.write([silver!]);
      expect(await steps()).toEqual([
        ['prod/silver:create', null],
        ['prod/silver:run', 'sandbox "prod" has used its 3 runs of the last 24 h'],
      ]);

      // Imported back (as forget's output suggests), the audience's run is its own again.
      await manifests.write([copper!, silver!]);
      const imported = await cli(
        'state',
        'import',
        'copper',
        manifests.dir,
        '--sandbox',
        'prod',
        '--audience-id',
        copperId,
      );
      expect(imported.code, imported.stderr).toBe(0);
      const back = await store.get('prod', 'copper');
      expect(back?.audienceId).toBe(copperId);
      expect(back?.runs).toEqual([copperRun]);

      // Pointed at another audience with `state import --force` (bronze's, forgotten, its manifest
      // now copper's): copper's run still counts, kept as its former audience's (review 12, F7);
      // bronze's run, kept under bronze since its forget, is its audience's own under copper now.
      await manifests.write([manifestObject('copper', { spec: { name: 'Audience bronze' } }), silver!]);
      const forced = await cli(
        'state',
        'import',
        'copper',
        manifests.dir,
        '--sandbox',
        'prod',
        '--audience-id',
        bronzeId,
        '--force',
      );
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain(
        `forgot what was recorded about audience ${copperId} (the record keeps only its 1 run of that audience, counted against the sandbox's daily run budget until ${until(copperRun)})`,
      );
      expect(forced.stdout).toContain(
        '  - took 1 counting run from the runs-only record of prod/bronze, which is dropped\n',
      );
      const pointed = await store.get('prod', 'copper');
      expect(pointed?.audienceId).toBe(bronzeId);
      const byId = (runs: readonly { runId: string }[] = []) =>
        [...runs].sort((a, b) => (a.runId < b.runId ? -1 : 1));
      expect(byId(pointed?.runs)).toEqual(byId([{ ...copperRun, formerAudienceId: copperId }, bronzeRun]));
      expect(await store.get('prod', 'bronze')).toBeUndefined();
    });
  });
  it('a forgotten audience (Orphan removal) adopts back into its runs-only record: metadata.adopt, --adopt and state import --discover keep its run (review 12, F2)', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const state = await kind.fresh();
      const manifests = new ManifestDir(await tempDir());
      const cli = cliAt(emulator, state);
      const apply = (...flags: string[]) => cli('apply', manifests.dir, '--auto-approve', ...flags);
      const orphan = (name: string, metadata = {}) =>
        manifestObject(name, { metadata: { deletionPolicy: 'Orphan', ...metadata } });
      const [goldO, copperO, bronzeO] = [orphan('gold'), orphan('copper'), orphan('bronze')];
      await manifests.write([goldO, copperO, bronzeO, silver!]);
      expect((await apply()).code).toBe(0);
      const store = await kind.open(state);
      const recorded = async (key: string) => {
        const record = (await store.get('prod', key))!;
        return { id: record.audienceId!, run: record.runs[0]! };
      };
      const [gold0, copper0, bronze0] = [
        await recorded('gold'),
        await recorded('copper'),
        await recorded('bronze'),
      ];

      // Their manifests removed: forgotten, each audience left in AEP, its run kept under its key.
      await manifests.write([silver!]);
      expect((await apply()).code).toBe(0);
      for (const [key, was] of [
        ['gold', gold0],
        ['copper', copper0],
        ['bronze', bronze0],
      ] as const) {
        expect((await store.get('prod', key))?.runs).toEqual([{ ...was.run, formerAudienceId: was.id }]);
      }

      // `state import --discover` matches bronze's audience, and takes its run back as its own.
      await manifests.write([silver!, bronzeO]);
      const discovered = await cli('state', 'import', '--discover', manifests.dir, '--sandbox', 'prod');
      expect({ code: discovered.code, stderr: discovered.stderr }).toEqual({ code: 0, stderr: '' });
      expect(discovered.stdout).toMatch(new RegExp(`\\nprod/bronze\\s+matched\\s+${bronze0.id}\\n`));
      const bronze = await store.get('prod', 'bronze');
      expect({ id: bronze?.audienceId, runs: bronze?.runs }).toEqual({ id: bronze0.id, runs: [bronze0.run] });

      // gold back with metadata.adopt, copper with --adopt: both adopted, their runs their own.
      await manifests.write([silver!, bronzeO, orphan('gold', { adopt: true }), copperO]);
      const adopted = await apply('--adopt');
      expect(adopted.code, adopted.stdout).toBe(0);
      expect(adopted.stdout).toContain(
        `adopted ${gold0.id}; it is the audience this key recorded before, taken back`,
      );
      expect(adopted.stdout).toContain(`adopted ${copper0.id}`);
      for (const [key, was] of [
        ['gold', gold0],
        ['copper', copper0],
      ] as const) {
        const record = await store.get('prod', key);
        expect({ id: record?.audienceId, runs: record?.runs, blocked: record?.blocked }).toEqual({
          id: was.id,
          runs: [was.run],
          blocked: undefined,
        });
      }
      // One audience a name, none made again; nothing planned next.
      const names = emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceName);
      expect(names.sort()).toEqual([
        'Audience bronze',
        'Audience copper',
        'Audience gold',
        'Audience silver',
      ]);
      expect((await cli('plan', manifests.dir)).stdout).toContain('No changes.');

      // copper forgotten again, its audience deleted, a colleague's made under its name: adopted
      // (by name, as asked), but said to be another than the one this key held (review 14, F3).
      await manifests.write([silver!, bronzeO, orphan('gold', { adopt: true })]);
      expect((await apply()).code).toBe(0);
      emulator.control.uiDeleteAudience(ORG, 'prod', copper0.id);
      const theirs = emulator.control.uiCreateAudience(
        ORG,
        'prod',
        manifestObject('copper').spec,
        'colleague@AdobeID',
      );
      await manifests.write([
        silver!,
        bronzeO,
        orphan('gold', { adopt: true }),
        orphan('copper', { adopt: true }),
      ]);
      const other = `it is NOT the audience this key recorded before (${copper0.id}, forgotten or deleted): another audience of the same name (created `;
      const planned = await cli('plan', manifests.dir);
      expect(planned.stdout).toContain(other);
      expect(planned.stdout).toContain(
        'by colleague@AdobeID), whose changeable properties the PATCH sets to the manifest',
      );
      const taken = await apply();
      expect(taken.stdout).toContain(`adopted ${theirs.id}; ${other}`);
    });
  });

  it('an audience forgotten under one key and imported, discovered or adopted under another (a rename) takes its counting runs from the runs-only record of the old key; over a runs-only key, another audience of the name is said to be another', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const state = await kind.fresh();
      const manifests = new ManifestDir(await tempDir());
      const cli = cliAt(emulator, state);
      const apply = () => cli('apply', manifests.dir, '--auto-approve');
      const keys = ['gold', 'copper', 'bronze', 'silver', 'tin'] as const;
      await manifests.write(keys.map((key) => manifestObject(key)));
      expect((await apply()).code).toBe(0);
      const store = await kind.open(state);
      const was = new Map<string, { id: string; run: RunRecord }>();
      for (const key of keys) {
        const record = (await store.get('prod', key))!;
        was.set(key, { id: record.audienceId!, run: record.runs[0]! });
        expect((await cli('state', 'forget', key, '--sandbox', 'prod')).code).toBe(0);
      }
      const [gold0, copper0, bronze0, silver0, tin0] = keys.map((key) => was.get(key)!);
      // Renamed: the same audience (spec.name) under a new key.
      const renamed = (key: string, name: string, metadata = {}) =>
        manifestObject(`${key}-new`, { metadata, spec: { name: `Audience ${name}` } });
      // tin now names a colleague's audience; silver's audience deleted, a colleague's made under its name.
      const tin = manifestObject('tin', { spec: { name: 'Audience tin-other' } });
      const tinOther = emulator.control.uiCreateAudience(ORG, 'prod', tin.spec, 'colleague@AdobeID');
      emulator.control.uiDeleteAudience(ORG, 'prod', silver0!.id);
      const silverOther = emulator.control.uiCreateAudience(
        ORG,
        'prod',
        manifestObject('silver').spec,
        'colleague@AdobeID',
      );
      const another = (former: string) =>
        `; it is NOT the audience this key recorded before (${former}, forgotten or deleted): another audience of the same name (created `;
      const byColleague = 'by colleague@AdobeID), whose changeable properties the PATCH sets to the manifest';

      // `state import` of gold's audience under gold-new takes gold's run; tin's, of another audience, says so.
      await manifests.write([renamed('gold', 'gold'), tin]);
      const imported = await cli(
        'state',
        'import',
        'gold-new',
        manifests.dir,
        '--sandbox',
        'prod',
        '--audience-id',
        gold0!.id,
      );
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain(
        '  - took 1 counting run from the runs-only record of prod/gold, which is dropped\n',
      );
      const other = await cli(
        'state',
        'import',
        'tin',
        manifests.dir,
        '--sandbox',
        'prod',
        '--audience-id',
        tinOther.id,
      );
      expect(other.code, other.stderr).toBe(0);
      expect(other.stdout).toContain(`  - audience ${tinOther.id}${another(tin0!.id)}`);
      expect(other.stdout).toContain(byColleague);

      // `state import --discover`: copper's audience under copper-new, the colleague's under silver.
      await manifests.write([
        renamed('gold', 'gold'),
        tin,
        renamed('copper', 'copper'),
        manifestObject('silver'),
      ]);
      // --dry-run says what it would take, and takes nothing.
      const dry = await cli('state', 'import', '--discover', manifests.dir, '--sandbox', 'prod', '--dry-run');
      expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
      expect(dry.stdout).toContain(
        '\nprod/copper-new: would take 1 counting run from the runs-only record of prod/copper, which would be dropped.\n',
      );
      expect((await store.get('prod', 'copper'))?.runs).toHaveLength(1);
      const discovered = await cli('state', 'import', '--discover', manifests.dir, '--sandbox', 'prod');
      expect({ code: discovered.code, stderr: discovered.stderr }).toEqual({ code: 0, stderr: '' });
      expect(discovered.stdout).toContain(
        '\nprod/copper-new: took 1 counting run from the runs-only record of prod/copper, which is dropped.\n',
      );
      expect(discovered.stdout).toContain(`\nprod/silver: audience ${silverOther.id}${another(silver0!.id)}`);
      expect(discovered.stdout).toContain(`${byColleague}.\n`);

      // Adoption of bronze's audience under bronze-new.
      await manifests.write([
        renamed('gold', 'gold'),
        tin,
        renamed('copper', 'copper'),
        manifestObject('silver'),
        renamed('bronze', 'bronze', { adopt: true }),
      ]);
      const adopted = await apply();
      expect(adopted.code, adopted.stdout).toBe(0);
      expect(adopted.stdout).toContain(
        `adopted ${bronze0!.id}; took 1 counting run from the runs-only record of prod/bronze, which is dropped; `,
      );

      // Each run is its audience's own under the new key, the old keys gone; those of the
      // audiences not taken stay marked as theirs.
      const recorded = async (key: string) => {
        const record = await store.get('prod', key);
        return record && { id: record.audienceId, runs: record.runs };
      };
      expect({
        gold: await recorded('gold'),
        copper: await recorded('copper'),
        bronze: await recorded('bronze'),
        goldNew: await recorded('gold-new'),
        copperNew: await recorded('copper-new'),
        bronzeNew: await recorded('bronze-new'),
        silver: await recorded('silver'),
        tin: await recorded('tin'),
      }).toEqual({
        gold: undefined,
        copper: undefined,
        bronze: undefined,
        goldNew: { id: gold0!.id, runs: [gold0!.run] },
        copperNew: { id: copper0!.id, runs: [copper0!.run] },
        bronzeNew: { id: bronze0!.id, runs: [bronze0!.run] },
        silver: { id: silverOther.id, runs: [{ ...silver0!.run, formerAudienceId: silver0!.id }] },
        tin: { id: tinOther.id, runs: [{ ...tin0!.run, formerAudienceId: tin0!.id }] },
      });

      // The service counts gold's audience's run: at one run an audience a day, another is deferred.
      await manifests.write([
        manifestObject('gold-new', { spec: { name: 'Audience gold' }, ingestion: { request: 'again' } }),
        tin,
        renamed('copper', 'copper'),
        manifestObject('silver'),
        renamed('bronze', 'bronze', { adopt: true }),
      ]);
      const planned = await cli('plan', manifests.dir, '--output', 'json', '--runs-per-audience', '1');
      const { steps } = JSON.parse(planned.stdout) as { steps: { id: string; deferred?: string }[] };
      expect(steps.map((step) => [step.id, step.deferred ?? null])).toEqual([
        ['prod/gold-new:run', 'audience has used its 1 runs of the last 24 h'],
      ]);
    });
  });

  it('taking runs from a runs-only record never cuts runs that count, past the 20 a record keeps (review 15, F1)', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const { cli, manifests, store, applied } = await goldForgotten(kind, emulator);
      const goldId = applied.audienceId!;
      // gold's audience ran 10 times today (the service's cap per audience), kept under prod/gold;
      // gold-new keeps 8 + 7 runs of two audiences it replaced today: 25 runs that count.
      await store.lock();
      await store.put({ ...newRecord('prod', 'gold'), runs: runsOf('g', 10, goldId) });
      await store.put({
        ...newRecord('prod', 'gold-new'),
        runs: [...runsOf('x', 8, 'aud-x'), ...runsOf('y', 7, 'aud-y')],
      });
      await store.unlock();

      const imported = await importAsGoldNew(cli, manifests, goldId);
      expect(imported.code, imported.stderr).toBe(0);
      // Taken, 25 runs that count in one record, which keeps more than 20 while they count.
      expect(imported.stdout).toContain(
        '  - took 10 counting runs from the runs-only record of prod/gold, which is dropped\n',
      );
      const now = await store.get('prod', 'gold-new');
      const ids = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
      expect({
        old: await store.get('prod', 'gold'),
        id: now?.audienceId,
        runs: now?.runs.map((run) => run.runId).sort(),
      }).toEqual({
        old: undefined,
        id: goldId,
        runs: [...ids('g', 10), ...ids('x', 8), ...ids('y', 7)].sort(),
      });

      // The service counts 10 runs of gold's audience today: another request waits.
      await manifests.write([
        manifestObject('gold-new', { spec: { name: 'Audience gold' }, ingestion: { request: 'again' } }),
      ]);
      const planned = await cli('plan', manifests.dir, '--output', 'json');
      const { steps } = JSON.parse(planned.stdout) as { steps: { id: string; deferred?: string }[] };
      // (The first apply of an imported audience PATCHes its fields too.)
      expect(
        steps.filter((step) => step.id.endsWith(':run')).map((step) => [step.id, step.deferred ?? null]),
      ).toEqual([['prod/gold-new:run', 'audience has used its 10 runs of the last 24 h']]);
    });
  });

  it('a run kept by two runs-only records is taken once, and a runs-only record changed meanwhile is said to be left (review 15, F2)', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const { cli, manifests, store, applied } = await goldForgotten(kind, emulator);
      const {
        audienceId: goldId,
        runs: [goldRun],
      } = applied;
      // What a kill between an import's two writes, then a forget of its key, leaves: the run in both.
      const remnant = (await store.get('prod', 'gold'))!;
      await store.lock();
      await store.put({ ...remnant, key: 'gold-mid' });
      await store.unlock();

      const imported = await importAsGoldNew(cli, manifests, goldId!);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain(
        '  - took 1 counting run from the runs-only record of prod/gold, which is dropped\n' +
          '  - took 0 counting runs from the runs-only record of prod/gold-mid (1 more it kept is held already: the same run ids), which is dropped\n',
      );
      expect({
        runs: (await store.get('prod', 'gold-new'))?.runs,
        gone: [await store.get('prod', 'gold'), await store.get('prod', 'gold-mid')],
      }).toEqual({ runs: [goldRun], gone: [undefined, undefined] });

      // Forgotten again, then taken into gold-3 while its runs-only record is changed meanwhile
      // (by another step of an apply, say): the record is left as it is, and said to be.
      expect((await cli('state', 'forget', 'gold-new', '--sandbox', 'prod')).code).toBe(0);
      const { audiences } = await store.readAll();
      const elsewhere = runsHeldElsewhere(audiences, { sandbox: 'prod', key: 'gold-3' }, goldId!, 0, []);
      await store.lock();
      await store.put({ ...newRecord('prod', 'gold-3'), audienceId: goldId!, runs: elsewhere.runs });
      const changed = await store.put({
        ...(await store.get('prod', 'gold-new'))!,
        deletionPolicy: 'Orphan',
      });
      const notes = takenRunsNotes(await dropTaken(store, elsewhere));
      await store.unlock();
      expect(notes).toEqual([
        `left the runs-only record of prod/gold-new as it is (it changed meanwhile): it keeps 1 counting run of audience ${goldId} too, counted once (by run id) until spent`,
      ]);
      expect(await store.get('prod', 'gold-new')).toEqual(changed);
    });
  });
});

describe("an audience whose runs another audience's record keeps (review 15, F3)", () => {
  it("swapped between keys (`state import --force`), its run kept by the other key as a former audience's counts for it", async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const state = await tempDir();
      const manifests = new ManifestDir(await tempDir());
      const cli = cliAt(emulator, state);
      expect((await cli('init')).code).toBe(0);
      const tin = manifestObject('tin');
      await manifests.write([gold!, tin]);
      expect((await cli('apply', manifests.dir, '--auto-approve')).code).toBe(0);
      const store = await openStateStore(state);
      const [goldWas, tinWas] = [(await store.get('prod', 'gold'))!, (await store.get('prod', 'tin'))!];
      // gold's key now names tin's audience; gold's audience goes to gold-2.
      expect((await cli('state', 'forget', 'tin', '--sandbox', 'prod')).code).toBe(0);
      const goldAsTin = manifestObject('gold', { spec: { name: 'Audience tin' } });
      await manifests.write([goldAsTin]);
      const importAs = (key: string, audienceId: string, ...flags: string[]) =>
        cli(
          'state',
          'import',
          key,
          manifests.dir,
          '--sandbox',
          'prod',
          '--audience-id',
          audienceId,
          ...flags,
        );
      const forced = await importAs('gold', tinWas.audienceId!, '--force');
      expect(forced.code, forced.stderr).toBe(0);
      await manifests.write([goldAsTin, manifestObject('gold-2', { spec: { name: 'Audience gold' } })]);
      const imported = await importAs('gold-2', goldWas.audienceId!);
      expect(imported.code, imported.stderr).toBe(0);
      // The run of gold's audience stays in gold, marked as its; gold-2 holds none.
      const byRun = (runs: readonly RunRecord[]) => [...runs].sort((a, b) => (a.runId < b.runId ? -1 : 1));
      const records = (await store.readAll()).audiences.map((r) => ({
        key: r.key,
        id: r.audienceId,
        runs: byRun(r.runs),
      }));
      expect(records).toEqual([
        {
          key: 'gold',
          id: tinWas.audienceId,
          runs: byRun([tinWas.runs[0]!, { ...goldWas.runs[0]!, formerAudienceId: goldWas.audienceId! }]),
        },
        { key: 'gold-2', id: goldWas.audienceId, runs: [] },
      ]);
      await store.close();

      // gold's audience ran once today: at one run an audience a day, another request waits.
      await manifests.write([
        goldAsTin,
        manifestObject('gold-2', { spec: { name: 'Audience gold' }, ingestion: { request: 'again' } }),
      ]);
      const planned = await cli('plan', manifests.dir, '--output', 'json', '--runs-per-audience', '1');
      const { steps } = JSON.parse(planned.stdout) as { steps: { id: string; deferred?: string }[] };
      expect(
        steps.filter((step) => step.id.endsWith(':run')).map((step) => [step.id, step.deferred ?? null]),
      ).toEqual([['prod/gold-2:run', 'audience has used its 1 runs of the last 24 h']]);
    });
  });
});
