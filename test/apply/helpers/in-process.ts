import { applyOnce, type ApplyFlow, type ApplyOutcome } from '../../../src/apply/apply-flow.js';
import { systemClock } from '../../../src/apply/clock.js';
import type { AepClient } from '../../../src/aep/types.js';
import type { RunningEmulator } from '../../../src/emulator/index.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { clientFor } from '../../aep/helpers.js';
import { loadTexts, manifestYaml } from '../../helpers/manifests.js';
import { options } from '../../helpers/planning.js';

const FAST = { firstMs: 10, factor: 1.5, maxMs: 50, timeoutMs: 10_000 };

/** Manifest files `<name>.yaml` for each name, as manifestYaml writes them (onCreate off). */
export function files(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [`${name}.yaml`, manifestYaml(name, { ingestion: { onCreate: false } })]),
  );
}

/** One apply through the executor, in this process, against `emulator`. */
export async function applyInProcess(
  emulator: RunningEmulator,
  stateDir: string,
  manifests: Record<string, string>,
  client: AepClient = clientFor(emulator),
  flow: Pick<ApplyFlow, 'refresh' | 'bulkBatchSize' | 'revision' | 'sourceRoot'> = {},
): Promise<ApplyOutcome> {
  return applyOnce(
    {
      kind: 'manifests',
      desired: loadTexts(manifests),
      planOptions: options({
        now: Math.floor(Date.now() / 1000),
        allowMassDelete: true,
        allowEmptySource: true,
      }),
    },
    {
      client,
      store: new FileStateStore(stateDir),
      clock: systemClock,
      lockTimeoutMs: 0,
      operationPoll: FAST,
      runPoll: FAST,
      ...flow,
      review: () => Promise.resolve(true),
      progress: () => ({
        stepStarted: () => undefined,
        stepFinished: () => undefined,
        note: () => undefined,
        close: () => undefined,
      }),
    },
  );
}

/** Each result as `kind key: status`. */
export function outcomes(outcome: ApplyOutcome): string[] {
  return (outcome.report?.results ?? []).map((r) => `${r.step.kind} ${r.step.key}: ${r.status}`);
}
