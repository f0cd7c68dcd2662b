import { CLOUD_TYPES_NEEDING_CONNECTION } from './patterns.js';
import type { CloudType } from './schema.js';

/** A rule that looks across fields, with the path of the value a person must edit. */
export type SemanticIssue = {
  severity: 'error' | 'warning';
  path: Array<string | number>;
  rule: string;
  message: string;
};

/** Newer versions of the API page enforce this; the reference page is looser, so we only warn. */
const MAX_FIELDS = 41;

type Loose = Record<string, unknown>;

function asMap(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

/** The source's parameters and where they sit, whichever of the two shapes was written. */
function looseSource(spec: Loose): { params: Loose; path: string[] } | undefined {
  const source = asMap(spec.sourceSpec);
  if (!source) return undefined;
  const params = asMap(source.params);
  return params ? { params, path: ['sourceSpec', 'params'] } : { params: source, path: ['sourceSpec'] };
}

function fieldIssues(fields: unknown[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const seen = new Set<string>();
  fields.forEach((field, index) => {
    const name = asMap(field)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) {
      issues.push({
        severity: 'error',
        path: ['spec', 'fields', index, 'name'],
        rule: 'fields/unique-names',
        message: `field name "${name}" is used twice; fields are matched by name`,
      });
    }
    seen.add(name);
  });
  if (fields.length > 0 && !fields.some((field) => asMap(field)?.identityNs !== undefined)) {
    issues.push({
      severity: 'warning',
      path: ['spec', 'fields'],
      rule: 'fields/identity-required',
      message: 'no field has identityNs; newer API versions require at least one identity field',
    });
  }
  if (fields.length > MAX_FIELDS) {
    issues.push({
      severity: 'warning',
      path: ['spec', 'fields'],
      rule: 'fields/max-count',
      message: `${fields.length} fields; newer API versions accept at most ${MAX_FIELDS}`,
    });
  }
  return issues;
}

function sourceIssues(source: { params: Loose; path: string[] }): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const prefix = ['spec', ...source.path];
  const { path, cloudType, baseConnectionId } = source.params;
  const needsConnection =
    typeof cloudType === 'string' && CLOUD_TYPES_NEEDING_CONNECTION.includes(cloudType as CloudType);
  if (needsConnection && (baseConnectionId === undefined || baseConnectionId === null)) {
    issues.push({
      severity: 'error',
      path: [...prefix, 'baseConnectionId'],
      rule: 'source/base-connection-required',
      message: `is required when cloudType is ${cloudType} (S3, GCS and SFTP sources need a base connection)`,
    });
  }
  if (typeof path === 'string' && /\s/.test(path)) {
    issues.push({
      severity: 'warning',
      path: [...prefix, 'path'],
      rule: 'source/path-spaces',
      message: 'path contains white space; newer API versions refuse it',
    });
  }
  if (baseConnectionId !== undefined && baseConnectionId !== null && !needsConnection) {
    const which = typeof cloudType === 'string' ? cloudType : 'no cloudType';
    issues.push({
      severity: 'warning',
      path: [...prefix, 'baseConnectionId'],
      rule: 'source/base-connection-unneeded',
      message: `baseConnectionId is only needed for S3, GCS and SFTP; newer API versions refuse it for ${which}`,
    });
  }
  return issues;
}

/**
 * The rules that look across fields (the service's, and newer API versions' as
 * warnings), run on the document as written: they are checked even when the schema
 * found errors elsewhere, so one pass reports every problem of a file.
 */
export function semanticIssues(document: unknown): SemanticIssue[] {
  const spec = asMap(asMap(document)?.spec);
  if (!spec) return [];
  const issues: SemanticIssue[] = [];
  if (Array.isArray(spec.fields)) issues.push(...fieldIssues(spec.fields));
  const source = looseSource(spec);
  if (source) issues.push(...sourceIssues(source));
  if (
    typeof spec.originName === 'string' &&
    spec.originName.trim() !== '' &&
    spec.originName !== 'CUSTOM_UPLOAD'
  ) {
    issues.push({
      severity: 'warning',
      path: ['spec', 'originName'],
      rule: 'spec/origin-name',
      message: `originName "${spec.originName}": external audiences should use CUSTOM_UPLOAD`,
    });
  }
  return issues;
}
