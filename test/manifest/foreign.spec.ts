import { describe, expect, it } from 'vitest';
import { sourceFileFromBytes } from '../../src/manifest/decode.js';
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

/** `text` (one manifest) indented by `pad`, its first line led by `lead` (`- ` for a list item). */
const nestedText = (text: string, lead: string, pad: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line, index) => (index === 0 ? `${lead}${line}` : `${pad}${line}`))
    .join('\n');

describe('manifests written inside a document that is not one (review 32, H-2)', () => {
  const shown = (result: ReturnType<typeof loadTexts>) =>
    result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.rule} ${d.message}`);

  it('a list of manifests, or manifests under a key, is an error at the first one, not a skipped file', () => {
    const gold = manifestYaml('gold');
    const silver = manifestYaml('silver');
    const result = loadTexts({
      'list.yaml': `${nestedText(gold, '- ', '  ')}\n${nestedText(silver, '- ', '  ')}\n`,
      'wrapped.yaml': `audiences:\n${nestedText(gold, '  - ', '    ')}\n`,
      'under-key.yaml': `# the loyalty audience\naudience:\n${nestedText(silver, '  ', '  ')}\n`,
    });
    expect(result.notes).toEqual([]);
    expect(result.skippedFiles).toEqual([]);
    expect(result.failedFiles).toEqual(['list.yaml', 'under-key.yaml', 'wrapped.yaml']);
    expect(result.holdAllDeletions).toBe(true);
    expect(shown(result)).toEqual([
      'list.yaml:1:3 error schema/nested-manifest an audiencectl manifest as an item of a YAML list: each manifest must be a YAML document of its own (several in one file are separated by ---)',
      'under-key.yaml:3:3 error schema/nested-manifest an audiencectl manifest under "audience": each manifest must be a YAML document of its own (several in one file are separated by ---)',
      'wrapped.yaml:2:5 error schema/nested-manifest an audiencectl manifest under "audiences": each manifest must be a YAML document of its own (several in one file are separated by ---)',
    ]);
  });

  it('holds the deletions of the manifests moved into it', () => {
    const before = appliedState(
      loadTexts({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') }),
    );
    const list = `${nestedText(manifestYaml('gold'), '- ', '  ')}\n${nestedText(manifestYaml('silver'), '- ', '  ')}\n`;
    const result = plan(loadTexts({ 'loyalty.yaml': list }), before, options());
    expect(kinds(result)).toEqual([]);
    expect(result.held.map((h) => h.key)).toEqual(['gold', 'silver']);
  });

  it('a list of foreign objects (a Kubernetes List, a playbook) is still skipped', () => {
    const result = loadTexts({
      'k8s/list.yaml':
        'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: gold }\n    data: { a: b }\n',
      'playbook.yml': '- hosts: all\n  tasks:\n    - name: gold\n      debug: { msg: hi }\n',
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.skippedFiles).toEqual(['k8s/list.yaml', 'playbook.yml']);
  });

  it('our apiVersion or kind misspelt by a letter or two claims the document as ours', () => {
    const result = loadTexts({
      'capital-i.yaml': manifestYaml('a').replace('audiencectl/v1', 'audiencectI/v1'),
      'kinds.yaml': manifestYaml('b')
        .replace('apiVersion: audiencectl/v1', 'apiVersion: v1')
        .replace('kind: ExternalAudience', 'kind: ExternalAudiences'),
    });
    expect(result.notes).toEqual([]);
    expect(result.failedFiles).toEqual(['capital-i.yaml', 'kinds.yaml']);
    expect(result.held.map((h) => h.key)).toEqual(['a', 'b']);
  });

  it('UTF-16 text without a byte-order mark is an error at its first NUL, not a YAML scalar', () => {
    const utf16 = Buffer.from(manifestYaml('gold'), 'utf16le');
    expect(sourceFileFromBytes('gold.yaml', utf16)).toEqual({
      path: 'gold.yaml',
      unreadable: {
        severity: 'error',
        file: 'gold.yaml',
        line: 1,
        column: 2,
        rule: 'text/nul-byte',
        message: 'a NUL byte at byte 1 (UTF-16 text?); manifests must be UTF-8 text',
      },
    });
  });
});
