import type { ParsedFile } from '../../src/manifest/load.js';
import { specName } from '../../src/manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import type { QuietAudience } from '../../src/plan/quiet.js';
import type { AudienceRecord } from '../../src/state/schema.js';

/**
 * What the caches' line readers (src/manifest/quiet-line.ts, src/state/quiet-record.ts) are
 * to find quiet, said of the objects the lines make: written here from the brief and inSync,
 * not from the code under test, so that a property test can split any repository as they would.
 */
const RECORD_KEYS = new Set([
  'schemaVersion',
  'sandbox',
  'key',
  'operationId',
  'audienceId',
  'deletionPolicy',
  'manifestFile',
  'sourceRoot',
  'repository',
  'applied',
  'runs',
]);
const APPLIED_KEYS = new Set(['spec', 'hash', 'at']);
const METADATA_KEYS = new Set(['name', 'sandbox', 'deletionPolicy', 'allowReplace']);

/** What a quiet manifest's file says, if it is one (its sandbox as written: none for the default). */
export function quietManifest(
  file: ParsedFile,
):
  | { key: string; sandbox: string | undefined; name: string; deletionPolicy: string; file: string }
  | undefined {
  const { parsed } = file;
  if (parsed.manifests.length !== 1 || parsed.diagnostics.length > 0 || parsed.salvaged.length > 0)
    return undefined;
  if (parsed.unreadable || (parsed.notes !== undefined && parsed.notes.length > 0)) return undefined;
  const entry = parsed.manifests[0]!;
  const { manifest } = entry;
  if (Object.keys(manifest.metadata).some((k) => !METADATA_KEYS.has(k))) return undefined;
  if (JSON.stringify(manifest.ingestion) !== '{"onCreate":false}') return undefined;
  const name = specName(manifest);
  if (/[^\x20-\x7E]| {2}/.test(name)) return undefined;
  return {
    key: manifest.metadata.name,
    sandbox: manifest.metadata.sandbox,
    name,
    deletionPolicy: manifest.metadata.deletionPolicy,
    file: entry.file,
  };
}

/** Whether a record holds nothing a quiet one may not (its pairing with a manifest aside). */
export function quietRecord(record: AudienceRecord, acceptRuns = false): boolean {
  if (Object.keys(record).some((k) => !RECORD_KEYS.has(k))) return false;
  if (record.runs.length > 0 && !acceptRuns) return false;
  if (!record.audienceId || !record.applied) return false;
  return !Object.keys(record.applied).some((k) => !APPLIED_KEYS.has(k));
}

/** The quiet audience of `file` and `record`, if they are a quiet pair; `defaultSandbox` as the load's. */
export function quietPair(
  file: ParsedFile,
  record: AudienceRecord | undefined,
  defaultSandbox: string,
  /** A mutation check: let a record with runs be quiet (it must not be). */
  acceptRuns = false,
): QuietAudience | undefined {
  const manifest = quietManifest(file);
  if (record === undefined || manifest === undefined || !quietRecord(record, acceptRuns)) return undefined;
  const spec = file.parsed.manifests[0]!.manifest.spec;
  const sandbox = manifest.sandbox ?? defaultSandbox;
  if (record.sandbox !== sandbox || record.key !== manifest.key) return undefined;
  if (record.applied!.hash !== specHash(normaliseSpec(spec))) return undefined;
  if (record.deletionPolicy !== manifest.deletionPolicy) return undefined;
  if (record.manifestFile !== undefined && record.manifestFile !== manifest.file) return undefined;
  return {
    sandbox,
    key: record.key,
    name: manifest.name,
    file: manifest.file,
    audienceId: record.audienceId!,
    sourceRoot: record.sourceRoot,
    repository: record.repository,
  };
}
