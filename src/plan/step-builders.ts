import type { DesiredManifest } from '../manifest/load.js';
import { knownSpecHash } from '../manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from './normalise.js';
import { requestToken } from './runs.js';
import type { AppliedTarget, FieldChange, PlainStep, PlainStepKind, RunRequest, Step } from './schema.js';

export function targetOf(desired: DesiredManifest): AppliedTarget {
  const spec = normaliseSpec(desired.manifest.spec);
  const { request } = desired.manifest.ingestion;
  return {
    spec,
    hash: specHash(spec),
    ...(request === undefined ? {} : { ingestionRequest: request }),
    deletionPolicy: desired.manifest.metadata.deletionPolicy,
  };
}

/**
 * The target, computed on first call: an unchanged audience is judged by its spec's
 * hash alone (desiredHash), and most audiences of a plan are unchanged.
 */
export function lazyTarget(desired: DesiredManifest): () => AppliedTarget {
  let target: AppliedTarget | undefined;
  return () => (target ??= targetOf(desired));
}

/** The hash of the desired spec: the one a manifest served by the cache carries (spec-hash-memo.ts), else computed. */
export function desiredHash(desired: DesiredManifest, target: () => AppliedTarget): string {
  return knownSpecHash(desired.manifest) ?? target().hash;
}

/**
 * An update records the token the audience already honoured: only the run step honours a
 * new `ingestion.request`, so a run deferred by the budget is still owed next time.
 */
export function honouring(target: AppliedTarget, token: string | undefined): AppliedTarget {
  const kept: AppliedTarget = { ...target };
  delete kept.ingestionRequest;
  return token === undefined ? kept : { ...kept, ingestionRequest: token };
}

export function stepFor(
  desired: { sandbox: string; key: string },
  kind: PlainStepKind,
  reason: string,
): PlainStep {
  return {
    id: `${desired.sandbox}/${desired.key}:${kind}`,
    sandbox: desired.sandbox,
    key: desired.key,
    kind,
    reason,
    changes: [],
  };
}

export function runStep(
  desired: DesiredManifest,
  run: RunRequest,
  audienceId?: string,
  dependsOn?: string,
): Step {
  const token = requestToken(run.reason);
  const reason =
    token !== undefined
      ? `ingestion.request changed to "${token}"`
      : ({
          onCreate: 'first run after creation (ingestion.onCreate)',
          every: `periodic run (every ${desired.manifest.ingestion.every ?? ''})`,
        }[run.reason] ?? run.reason);
  return {
    ...stepFor(desired, 'run', reason),
    source: `${desired.file}:${desired.line}`,
    ...(audienceId ? { audienceId } : {}),
    run,
    ...(dependsOn ? { dependsOn } : {}),
  };
}

/** An update whose apply only writes the record: no PATCH body, so no API call (steps/update.ts). */
export function isRecordOnly(step: Pick<Step, 'kind' | 'patch'>): boolean {
  return step.kind === 'update' && Object.keys(step.patch ?? {}).length === 0;
}

/** What an update records without a PATCH (no property of the audience). */
const RECORD_ONLY = new Set([
  'metadata.deletionPolicy',
  'manifest file',
  'manifest directory',
  'manifest repository',
]);

/** Where a manifest is, as a record keeps it: recorded where the record had none, it did not change. */
const WHERE = new Set(['manifest directory', 'manifest repository']);

/**
 * Why an update: what an interrupted PATCH may have set unseen, what changed outside audiencectl
 * (a refresh saw it), and what the manifest changed.
 */
export function updateReason(changes: readonly FieldChange[]): string {
  // A directory (or repository) recorded where the record had none (an earlier release's) did not change.
  const added = (c: FieldChange) => WHERE.has(c.path) && c.before === undefined;
  const paths = (outside: boolean) =>
    changes
      .filter((c) => (c.outside ?? false) === outside && c.unknownSince === undefined && !added(c))
      .map((c) => c.path);
  const [drifted, edited] = [paths(true), paths(false)];
  const unknown = changes.filter((c) => c.unknownSince !== undefined).map((c) => c.path);
  const said = [
    ...(unknown.length > 0
      ? [
          `${unknown.join(', ')} unknown since an interrupted PATCH (the service never shows them): PATCH to the manifest`,
        ]
      : []),
    ...(drifted.length > 0
      ? [`${drifted.join(', ')} changed outside audiencectl (refresh): PATCH back to the manifest`]
      : []),
    ...(edited.length > 0 ? [`${edited.join(', ')} changed`] : []),
    ...changes.filter(added).map((c) => `${c.path} recorded`),
  ].join('; ');
  // Said so: a plan after an upgrade shows every audience so once, and nothing is sent to AEP.
  const recordOnly = changes.length > 0 && changes.every((c) => RECORD_ONLY.has(c.path));
  return recordOnly ? `${said} (record only, no API call)` : said;
}
