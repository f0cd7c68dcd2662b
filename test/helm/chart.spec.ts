import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chartDir,
  exampleValueFiles,
  hasPath,
  mergeValues,
  readYaml,
  repoRoot,
  templateFiles,
} from './chart-files.js';

let defaults: unknown;
let validate: ValidateFunction;
let schema: Record<string, unknown>;

beforeAll(async () => {
  defaults = await readYaml(path.join(chartDir, 'values.yaml'));
  schema = JSON.parse(await readFile(path.join(chartDir, 'values.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
});

function errorsOf(values: unknown): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('chart files', () => {
  it('parses every non-template YAML file strictly', async () => {
    const files = ['Chart.yaml', 'values.yaml'].map((name) => path.join(chartDir, name));
    files.push(...(await exampleValueFiles()));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) await expect(readYaml(file), file).resolves.toBeTypeOf('object');
  });

  it('declares a v2 chart whose appVersion is the package version', async () => {
    const chart = (await readYaml(path.join(chartDir, 'Chart.yaml'))) as Record<string, string>;
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'audiencectl', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chart.appVersion).toBe(pkg.version);
  });
});

describe('values.schema.json', () => {
  it('is draft-07 and uses only patterns Go (RE2) can run, as Helm does', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const patterns = JSON.stringify(schema).match(/"pattern":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(patterns.length).toBeGreaterThan(3);
    for (const pattern of patterns) expect(pattern).not.toMatch(/\(\?[=!<]/);
  });

  it('accepts values.yaml', () => {
    expect(errorsOf(defaults)).toEqual([]);
  });

  it('accepts every example values file merged over the defaults', async () => {
    for (const file of await exampleValueFiles()) {
      expect(errorsOf(mergeValues(defaults, await readYaml(file))), path.basename(file)).toEqual([]);
    }
  });

  it.each([
    ['an unknown top-level key (typo)', { replicaCount: 2 }, ''],
    ['an unknown nested key', { git: { brnach: 'main' } }, '/git'],
    ['a git auth mode that does not exist', { git: { auth: 'password' } }, '/git/auth'],
    ['a transport helper URL', { git: { url: 'ext::sh -c touch% /tmp/x' } }, '/git/url'],
    ['an http:// URL', { git: { url: 'http://github.com/a/b.git' } }, '/git/url'],
    ['an option-looking branch', { git: { branch: '--upload-pack=x' } }, '/git/branch'],
    ['a sub-path leaving the repository', { git: { path: '../etc' } }, '/git/path'],
    ['a malformed interval', { git: { interval: 'often' } }, '/git/interval'],
    ['a string for a boolean', { reconcile: { dryRun: 'yes' } }, '/reconcile/dryRun'],
    ['a port out of range', { service: { port: 70000 } }, '/service/port'],
    ['a bad pull policy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy'],
    ['a bad volume size', { persistence: { size: 'lots' } }, '/persistence/size'],
    ['a bad org id', { aep: { orgId: 'ABC123' } }, '/aep/orgId'],
  ])('rejects %s', (_name, override, where) => {
    const errors = errorsOf(mergeValues(defaults, override));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.startsWith(`${where} `))).toBe(true);
  });
});

describe('templates', () => {
  it('reference only values that exist in values.yaml', async () => {
    const missing: string[] = [];
    for (const [name, text] of await templateFiles()) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
        const dotted = (match[1] ?? '').slice(1);
        if (!hasPath(defaults, dotted)) missing.push(`${name}: .Values.${dotted}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('have balanced actions and include only defined templates', async () => {
    const files = await templateFiles();
    const defined = new Set<string>();
    for (const text of files.values()) {
      for (const match of text.matchAll(/\{\{-? define "([^"]+)"/g)) defined.add(match[1] ?? '');
    }
    for (const [name, text] of files) {
      expect(text.split('{{').length, name).toBe(text.split('}}').length);
      for (const match of text.matchAll(/(?:include|template) "([^"]+)"/g)) {
        expect(defined, `${name} includes ${match[1]}`).toContain(match[1]);
      }
    }
  });

  it('run one replica with Recreate, probes and a locked-down container', async () => {
    const deployment = (await templateFiles()).get('deployment.yaml') ?? '';
    expect(deployment).toMatch(/^ {2}replicas: 1$/m);
    expect(deployment).toMatch(/strategy:\n {4}type: Recreate/);
    expect(deployment).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz/);
    expect(deployment).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz/);
    expect(defaults).toMatchObject({
      podSecurityContext: { runAsNonRoot: true, runAsUser: 10001 },
      securityContext: {
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    });
  });

  it('use environment variable names documented in docs/deploy.md', async () => {
    const docs = await readFile(path.join(repoRoot, 'docs/deploy.md'), 'utf8');
    const sources = [
      ...(await templateFiles()).values(),
      await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8'),
    ];
    const names = new Set(sources.flatMap((text) => text.match(/\b(?:AUDIENCECTL|AEP)_[A-Z_]+\b/g) ?? []));
    expect(names.size).toBeGreaterThan(15);
    for (const name of names) expect(docs, name).toContain(`\`${name}\``);
  });
});
