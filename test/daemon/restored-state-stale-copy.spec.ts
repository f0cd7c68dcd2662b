import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { StatusSnapshot } from '../../src/daemon/types.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventuallyLogged } from '../daemon/helpers/controller.js';
import { controllerSpec } from '../daemon/helpers/controller-spec.js';

const quiet = { ingestion: { onCreate: false } };

async function serialOf(state: string): Promise<number> {
  return (JSON.parse(await readFile(path.join(state, 'meta.json'), 'utf8')) as { serial: number }).serial;
}

/**
 * Review 34c, M-1. The controller serves its copy of the recorded state again while the store's
 * `lineage#serial` is unchanged (src/daemon/cached-reads.ts). docs/state.md says the serial
 * "never goes back", but its repair recipe for a corrupt record file is "Restore it from a
 * backup", which sets it back: a store restored from serial N-2 that then takes two writes
 * (`state forget silver`, `state forget gold`) is at serial N again, with other records. The
 * controller's next pass plans from the copy it took at N: it plans and reports `delete silver`
 * (applied, "already gone") for an audience audiencectl no longer manages, which still exists.
 * A read of the store gives no delete: silver has no record.
 */
const spec = controllerSpec('audiencectl-review-34c-restore-');

describe('the controller after its directory store was restored from a backup', () => {
  it('plans from the records the store holds, not from a copy whose serial came round again', async () => {
    const { em: emulator, root: dir } = await spec.setUp({ operationDelayMs: 10, runStageDelayMs: 10 });
    const manifests = path.join(dir, 'm');
    const state = path.join(dir, 's');
    const backup = path.join(dir, 's.bak');
    const write = (name: string, description: string) =>
      writeFile(
        path.join(manifests, `${name}.yaml`),
        manifestYaml(name, { ...quiet, spec: { description } }),
      );
    await mkdir(manifests);
    await write('gold', 'one');
    await write('silver', 'one');
    await write('bronze', 'one');
    // The commands around the controller (the store made, the records forgotten) are premises:
    // the CLI's entry in this process (cli-in-process.ts, the same code and exit codes).
    const init = await runCliInProcess(['init', '--state', state], { env: emulatorEnv(emulator) });
    expect(init.code, init.stderr).toBe(0);

    const controller = await spec.start(
      [
        '--dir',
        manifests,
        '--state',
        state,
        '--interval',
        '1h',
        '--resync-interval',
        '1h',
        '--refresh-interval',
        '0',
      ],
      controllerEnv(emulator),
    );
    const idleAfter = (previous: string | null | undefined) =>
      eventuallyLogged(
        [controller],
        () => controller.status(),
        (s: StatusSnapshot) =>
          !s.reconcile.running &&
          s.reconcile.lastRevision !== previous &&
          s.reconcile.lastResult === 'success',
        20_000,
        'a pass of the new revision',
      );
    let status = await idleAfter(null);
    const names = () =>
      emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceName)
        .sort();
    expect(names()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

    // The operator's nightly backup.
    await cp(state, backup, { recursive: true });
    const backedUp = await serialOf(state);

    // bronze edited: the controller PATCHes it (two writes: its intent, then the record).
    await write('bronze', 'two');
    status = await idleAfter(status.reconcile.lastRevision);
    expect((await serialOf(state)) - backedUp, 'premise: the PATCH wrote twice').toBe(2);
    // A pass that writes nothing keeps its read of the records.
    await writeFile(path.join(manifests, 'notes.txt'), 'not a manifest\n');
    status = await idleAfter(status.reconcile.lastRevision);
    const copied = await serialOf(state);

    // A record file is found corrupt: the store is restored from the backup, as docs/state.md
    // says; then silver is handed over (forgotten: its audience kept, no longer managed here),
    // and gold forgotten too. Two writes: the serial is where the controller's copy was.
    await rm(state, { recursive: true });
    await cp(backup, state, { recursive: true });
    for (const key of ['silver', 'gold']) {
      const forgot = await runCliInProcess(['state', 'forget', key, '--state', state], {
        env: emulatorEnv(emulator),
      });
      expect(forgot.code, forgot.stderr).toBe(0);
    }
    expect(await serialOf(state), 'premise: the serial came round again').toBe(copied);

    // silver's manifest removed: with no record, nothing to delete.
    await rm(path.join(manifests, 'silver.yaml'));
    status = await idleAfter(status.reconcile.lastRevision);
    expect(status.plan?.summary.delete, 'planned from the copy taken before the restore').toBe(0);
    expect(names()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
  });
});
