import type { Manifest } from './schema.js';
import { CLOUD_TYPES_NEEDING_CONNECTION, sourceParams } from './schema.js';

export type ManifestWarning = { path: Array<string | number>; rule: string; message: string };

/** Newer versions of the API page enforce these; the reference page is looser, so we only warn. */
const MAX_FIELDS = 41;

/** Rules of newer API versions (ARCHITECTURE.md, "Facts about the real service"), as warnings. */
export function manifestWarnings(manifest: Manifest): ManifestWarning[] {
  const warnings: ManifestWarning[] = [];
  const { spec } = manifest;
  if (!spec.fields.some((field) => field.identityNs !== undefined)) {
    warnings.push({
      path: ['spec', 'fields'],
      rule: 'fields/identity-required',
      message: 'no field has identityNs; newer API versions require at least one identity field',
    });
  }
  if (spec.fields.length > MAX_FIELDS) {
    warnings.push({
      path: ['spec', 'fields'],
      rule: 'fields/max-count',
      message: `${spec.fields.length} fields; newer API versions accept at most ${MAX_FIELDS}`,
    });
  }
  const { params: source, path } = sourceParams(spec.sourceSpec);
  const prefix = ['spec', ...path];
  if (/\s/.test(source.path)) {
    warnings.push({
      path: [...prefix, 'path'],
      rule: 'source/path-spaces',
      message: 'path contains white space; newer API versions refuse it',
    });
  }
  const needsConnection =
    source.cloudType !== undefined && CLOUD_TYPES_NEEDING_CONNECTION.includes(source.cloudType);
  if (source.baseConnectionId !== undefined && !needsConnection) {
    warnings.push({
      path: [...prefix, 'baseConnectionId'],
      rule: 'source/base-connection-unneeded',
      message: `baseConnectionId is only needed for S3, GCS and SFTP; newer API versions refuse it for ${source.cloudType ?? 'no cloudType'}`,
    });
  }
  if (spec.originName !== 'CUSTOM_UPLOAD') {
    warnings.push({
      path: ['spec', 'originName'],
      rule: 'spec/origin-name',
      message: `originName "${spec.originName}": external audiences should use CUSTOM_UPLOAD`,
    });
  }
  return warnings;
}
