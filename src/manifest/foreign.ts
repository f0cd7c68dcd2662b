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

/**
 * Why a YAML document is not an audiencectl manifest, or undefined when it is one or
 * claims to be (then every mistake in it is an error). A repository holds Helm charts,
 * compose files and Kubernetes manifests beside the audiences: those are skipped,
 * while a document that names our apiVersion or kind, or that has our manifest's shape
 * without an apiVersion (a person forgot it), is validated as ours.
 */
export function foreignReason(value: unknown): string | undefined {
  if (Array.isArray(value)) return 'a YAML list, not a manifest';
  if (!isMap(value)) return 'a YAML scalar, not a manifest';
  const { apiVersion, kind } = value;
  if (kind === KIND) return undefined;
  const kindText = typeof kind === 'string' ? `, kind ${kind}` : '';
  if (typeof apiVersion === 'string' || typeof apiVersion === 'number') {
    if (CLAIMS_OURS.test(String(apiVersion))) return undefined;
    return `apiVersion ${JSON.stringify(apiVersion)}${kindText}`;
  }
  // No usable apiVersion: ours if a misspelt key claims it (`apiversion: audiencectl/v1`) or
  // the document has our shape; compose files, values.yaml, a GitHub action named
  // audiencectl and the like have neither.
  if (Object.entries(value).some(misspeltClaim)) return undefined;
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
