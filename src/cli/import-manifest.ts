import { SPEC_DEFAULTS } from '../plan/normalise.js';
import type { DesiredManifest } from '../manifest/load.js';
import { recordId } from '../state/record-id.js';
import { loadDesired } from './source-options.js';
import { shellQuote } from '../text/shell-quote.js';

/** What `state import` records from the key's manifest, and what it says about it. */
export type ManifestFacts = {
  manifestFile?: string;
  ingestionRequest?: string;
  /** The manifest's `spec.name`, which the service's audience must have. */
  name?: string;
  /** The manifest's `spec.namespace` (default filled in), which the service's audience must have. */
  namespace?: string;
  /** The manifest itself: what its `ingestion` asks of the next apply (import-run-note.ts). */
  desired?: DesiredManifest;
  note?: string;
  /** When no manifest names the key, nor may a file that failed: the keys the manifests of `sandbox` do name. */
  otherKeys?: string[];
  /** ... and the other sandboxes whose manifests name the key (a forgotten --sandbox). */
  otherSandboxes?: string[];
  /** When a manifest names it: every sandbox whose manifests name the key (a record there has its own). */
  keyIn?: string[];
};

/**
 * Finds the manifest of `sandbox/key` under `dir` (manifests naming no sandbox are in
 * `sandbox`): its file, for --include/--exclude, and its current `ingestion.request`,
 * which the import counts as honoured so the next apply does not start a run for it.
 */
export async function manifestFacts(dir: string, sandbox: string, key: string): Promise<ManifestFacts> {
  const desired = await loadDesired(dir, { sandbox });
  const manifest = desired.manifests.find((m) => m.sandbox === sandbox && m.key === key);
  if (manifest) {
    const request = manifest.manifest.ingestion.request;
    return {
      manifestFile: manifest.file,
      name: manifest.manifest.spec.name,
      namespace: manifest.manifest.spec.namespace ?? SPEC_DEFAULTS.namespace,
      desired: manifest,
      keyIn: [...new Set(desired.manifests.filter((m) => m.key === key).map((m) => m.sandbox))],
      ...(request === undefined ? {} : { ingestionRequest: request }),
    };
  }
  const held = desired.held.find((h) => h.sandbox === sandbox && h.key === key);
  const unrecorded = `its ingestion.request token and file are not recorded`;
  if (held)
    return {
      note: `${held.file} has errors: ${unrecorded}; the record is held, never deleted, while the file has errors`,
    };
  // A file that could not be read far enough to know its keys may name this one: the
  // plan holds every deletion meanwhile, so the import is no typo's deletion.
  if (desired.holdAllDeletions)
    return {
      note: `a file in ${dir} could not be read far enough to know its audiences (\`audiencectl validate ${shellQuote(dir)}\` names it), and it may name ${recordId(sandbox, key)}: ${unrecorded}; deletions are held until it is fixed, and if no manifest names the key then, the next plan deletes this audience`,
    };
  return {
    note: `no manifest for ${recordId(sandbox, key)} was found in ${dir}: ${unrecorded}; without a manifest, the next plan deletes this audience`,
    otherKeys: desired.manifests.filter((m) => m.sandbox === sandbox).map((m) => m.key),
    otherSandboxes: [
      ...new Set(
        desired.manifests.filter((m) => m.key === key && m.sandbox !== sandbox).map((m) => m.sandbox),
      ),
    ],
  };
}
