import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { plan } from '../../src/plan/plan.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

/** Files a real repository keeps beside its audiences. */
const FOREIGN: Record<string, string> = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 1.2.3\n',
  'chart/values.yaml': '# values\nimage:\n  repository: shop\nservice:\n  port: 80\n',
  'chart/templates/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "shop.fullname" . }}\n' +
    '{{- with .Values.podLabels }}\n  labels:\n    {{- toYaml . | nindent 4 }}\n{{- end }}\nspec:\n  replicas: {{ .Values.replicas }}\n',
  'docker-compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n',
  'k8s/all.yaml':
    'apiVersion: v1\nkind: Service\nmetadata: { name: gold }\nspec: { ports: [] }\n---\n' +
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { replicas: 1 }\n',
  'playbook.yml': '- hosts: all\n  tasks: []\n',
  'action.yml':
    'name: audiencectl\ndescription: audiencectl plan on pull requests\nruns: { using: node20 }\n',
};

describe('files that are not audiencectl manifests', () => {
  it('are skipped with one note per file: no error, nothing held, read completely', () => {
    const result = loadTexts({ ...FOREIGN, 'gold.yaml': manifestYaml('gold') });
    expect(result.diagnostics).toEqual([]);
    expect(result.failedFiles).toEqual([]);
    expect(result.held).toEqual([]);
    expect(result.holdAllDeletions).toBe(false);
    expect(result.manifests.map((m) => m.key)).toEqual(['gold']);
    expect(result.skippedFiles).toEqual(Object.keys(FOREIGN).sort());
    expect(result.notes.map((n) => `${n.file}:${n.line} ${n.severity} ${n.rule} ${n.message}`)).toEqual([
      'action.yml:1 note source/not-a-manifest not an audiencectl manifest (no apiVersion); skipped',
      'chart/Chart.yaml:1 note source/not-a-manifest not an audiencectl manifest (apiVersion "v2"); skipped',
      'chart/templates/deployment.yaml:5 note source/not-a-manifest not YAML (a syntax error at line 5, a template?) and no audiencectl/v1 in it; skipped',
      'chart/values.yaml:2 note source/not-a-manifest not an audiencectl manifest (no apiVersion); skipped',
      'docker-compose.yaml:1 note source/not-a-manifest not an audiencectl manifest (no apiVersion); skipped',
      'k8s/all.yaml:1 note source/not-a-manifest 2 documents are not audiencectl manifests (first: apiVersion "v1", kind Service); skipped',
      'playbook.yml:1 note source/not-a-manifest not an audiencectl manifest (a YAML list, not a manifest); skipped',
    ]);
  });

  it('neither hold every deletion nor delete anything: a removed manifest still deletes', () => {
    const before = appliedState(
      loadTexts({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') }),
    );
    const result = plan(loadTexts({ ...FOREIGN, 'gold.yaml': manifestYaml('gold') }), before, options());
    expect(kinds(result)).toEqual(['delete prod/silver']);
    expect(result.held).toEqual([]);
  });

  it('hold the audience of a file that stopped looking like ours, instead of deleting it', () => {
    const before = appliedState(loadTexts({ 'gold.yaml': manifestYaml('gold') }));
    const edited = manifestYaml('gold')
      .replace('apiVersion: audiencectl/v1', 'apiVersion: v1')
      .replace('kind: ExternalAudience', 'kind: ConfigMap');
    const result = plan(loadTexts({ 'gold.yaml': edited }), before, options());
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        reason:
          'gold.yaml is no longer read as an audiencectl manifest (see its note); the audience is left as it is',
      },
    ]);
  });

  it('a document that claims to be ours stays an error, however it claims it', () => {
    const claims = {
      'version.yaml': manifestYaml('a').replace('audiencectl/v1', 'audiencectl/v2'),
      'kind.yaml': manifestYaml('b').replace('apiVersion: audiencectl/v1', 'apiVersion: v1'),
      'no-api-version.yaml': manifestYaml('c').replace('apiVersion: audiencectl/v1\n', ''),
      'typo.yaml': manifestYaml('d').replace('apiVersion:', 'apiversion:'),
    };
    const result = loadTexts(claims);
    expect(result.notes).toEqual([]);
    expect(result.failedFiles).toEqual(Object.keys(claims).sort());
    expect(result.held.map((h) => h.key)).toEqual(['a', 'b', 'c', 'd']);
    const messages = result.diagnostics.map((d) => `${d.file} ${d.message}`);
    expect(messages).toContain(
      'version.yaml apiVersion: must be "audiencectl/v1", not string "audiencectl/v2"',
    );
    expect(messages).toContain('kind.yaml apiVersion: must be "audiencectl/v1", not string "v1"');
    expect(messages).toContain('no-api-version.yaml apiVersion: is required ("audiencectl/v1")');
    expect(messages).toContain('typo.yaml apiversion: unknown key "apiversion"; did you mean "apiVersion"?');
  });

  it('a syntax error in a file that names our apiVersion is still an error', () => {
    const result = parseManifestFile('gold.yaml', `${manifestYaml('gold')}  bad: [unclosed\n`);
    expect(result.notes).toBeUndefined();
    expect(result.diagnostics.map((d) => d.rule)).toContain('yaml/syntax');
    expect(result.unreadable).toBe(true);
  });
});
