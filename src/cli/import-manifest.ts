import { recordId } from '../state/record-id.js';
import { loadDesired } from './source-options.js';

/** What `state import` records from the key's manifest, and what it says about it. */
export type ManifestFacts = {
  manifestFile?: string;
  ingestionRequest?: string;
  /** The manifest's `spec.name`, which the service's audience must have. */
  name?: string;
  note?: string;
  /** When no manifest names the key: the keys the directory's manifests of `sandbox` do name. */
  otherKeys?: string[];
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
      ...(request === undefined ? {} : { ingestionRequest: request }),
    };
  }
  const held = desired.held.find((h) => h.sandbox === sandbox && h.key === key);
  const why = held
    ? `${held.file} has errors`
    : `no manifest for ${recordId(sandbox, key)} was found in ${dir}`;
  return {
    note: `${why}: its ingestion.request token and file are not recorded (give the manifests' directory: \`audiencectl state import ${key} <dir> ...\`); without a manifest, the next plan deletes this audience`,
    ...(held ? {} : { otherKeys: desired.manifests.filter((m) => m.sandbox === sandbox).map((m) => m.key) }),
  };
}
