/** The apiVersion and kind of our manifests. */
export const API_VERSION = 'audiencectl/v1';
export const KIND = 'ExternalAudience';

import { closestKey } from './suggest.js';

/** `audiencectl/v2`, `Audiencectl/v1`, `audiencectl.io/v1`: a claim to be ours, even when wrong. */
const CLAIMS_OURS = /^\s*audiencectl\b/i;
/** Our apiVersion as a value, under whatever key. */
const OUR_VERSION = /^\s*audiencectl\s*\/\s*v\d+\s*$/i;

/** `apiversion: audiencectl/v1`, `api_version: audiencectl/v2`, `kind: audiencectl/v1`: a misspelt claim. */
function misspeltClaim([key, value]: [string, unknown]): boolean {
  if (typeof value !== 'string') return false;
  if (OUR_VERSION.test(value)) return true;
  return closestKey(key, ['apiVersion']) !== undefined && CLAIMS_OURS.test(value);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `ExternalAudiences`, `externalaudience`: our kind, or it misspelt (one or two edits). */
function nearOurKind(kind: unknown): boolean {
  return typeof kind === 'string' && closestKey(kind, [KIND]) !== undefined;
}

/** `audiencectI/v1` (a capital I for the l), `audiencetcl/v1`: our apiVersion, misspelt. */
function nearOurVersion(apiVersion: string): boolean {
  return CLAIMS_OURS.test(apiVersion) || closestKey(apiVersion.split('/')[0]!, ['audiencectl']) !== undefined;
}

/**
 * Whether a mapping says it is one of ours: our kind or apiVersion, or either misspelt, or
 * (with no usable apiVersion) our apiVersion under a misspelt key.
 */
export function claimsOurs(value: Record<string, unknown>): boolean {
  const { apiVersion, kind } = value;
  if (nearOurKind(kind)) return true;
  if (typeof apiVersion === 'string' || typeof apiVersion === 'number')
    return nearOurVersion(String(apiVersion));
  return Object.entries(value).some(misspeltClaim);
}

/**
 * Why a YAML document is not an audiencectl manifest, or undefined when it is one or
 * claims to be (then every mistake in it is an error). A repository holds Helm charts,
 * compose files and Kubernetes manifests beside the audiences: those are skipped,
 * while a document that names our apiVersion or kind (even misspelt), or that has our
 * manifest's shape without an apiVersion (a person forgot it), is validated as ours.
 * A list or mapping that holds manifests of ours is decided by parse-full (nestedClaim).
 */
export function foreignReason(value: unknown): string | undefined {
  if (Array.isArray(value)) return 'a YAML list, not a manifest';
  if (!isMap(value)) return 'a YAML scalar, not a manifest';
  if (claimsOurs(value)) return undefined;
  const { apiVersion, kind } = value;
  const kindText = typeof kind === 'string' ? `, kind ${kind}` : '';
  if (typeof apiVersion === 'string' || typeof apiVersion === 'number')
    return `apiVersion ${JSON.stringify(apiVersion)}${kindText}`;
  // No usable apiVersion: compose files, values.yaml, a GitHub action named audiencectl and
  // the like do not have our shape.
  if (('metadata' in value && 'spec' in value) || 'ingestion' in value) return undefined;
  return `no apiVersion${kindText}`;
}

/**
 * For text no YAML parser could read: could it hold a manifest of ours? Only with our
 * apiVersion or kind written in it. A Helm template (`{{ ... }}`) never does.
 */
export function mayHoldManifest(text: string): boolean {
  return /audiencectl\s*\/\s*v|apiVersion\s*:\s*["']?\s*audiencectl|ExternalAudience/i.test(text);
}
