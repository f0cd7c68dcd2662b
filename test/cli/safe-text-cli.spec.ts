import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, startFakeAep } from '../aep/fake-aep.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

/** Line numbers in the cases below count from this text. */
function manifest(key: string, edit: (lines: string[]) => void = () => undefined): string {
  const lines = [
    'apiVersion: audiencectl/v1',
    'kind: ExternalAudience',
    'metadata:',
    `  name: ${key}`,
    'spec:',
    '  name: Gold',
    '  description: Gold tier',
    '  fields:',
    '    - name: email',
    '      type: string',
    '      identityNs: email',
    '  sourceSpec:',
    '    path: crm/gold.csv',
    '    type: file',
    '  originName: CUSTOM_UPLOAD',
    '  labels: [core/C1]',
    '  tags: [t1]',
  ];
  edit(lines);
  return `${lines.join('\n')}\n`;
}

/** `text` as UTF-8 with one raw `byte` inserted at character `at` (ASCII text before it). */
function withByte(text: string, at: number, byte: number): Buffer {
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([byte]), Buffer.from(text.slice(at))]);
}

/** Characters no human-readable output may carry raw (line feed aside). */
const RAW_UNSAFE =
  // eslint-disable-next-line no-control-regex -- exactly the characters looked for
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF]/u;

describe('refused characters (spawned validate over one directory of bad files)', () => {
  it('reports each with file:line:col and a rule, escaped, and exits 1', async () => {
    await withTempDir(async (dir) => {
      const root = path.join(dir, 'audiences');
      await mkdir(root);
      const files: Record<string, string | Buffer> = {
        'a-bidi.yaml': manifest('a', (l) => (l[5] = '  name: Gold\u202Emembers')),
        'b-zero.yaml': manifest('b', (l) => (l[8] = '    - name: em\u200Bail')),
        'c-nul.yaml': manifest('c', (l) => (l[15] = '  labels: ["core/C1\\0"]')),
        'd-ansi.yaml': manifest('d', (l) => {
          l[6] = '  description: "Gold\\x9b31m"';
          l.push('  "\\e[2J\\e[1Ahidden": x');
        }),
        'e-utf8.yaml': withByte(
          manifest('e'),
          '  name: Gold'.length + manifest('e').indexOf('  name: Gold'),
          0xff,
        ),
        'f-ok.yaml': manifest('f', (l) =>
          l.splice(
            6,
            1,
            '  description: |',
            '    Two lines,',
            '    \tthe second with a family 👨\u200D👩\u200D👧',
          ),
        ),
        'g-tags.yaml': manifest('g', (l) => (l[16] = '  tags: [t1, "\u2066t2"]')),
      };
      for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content);

      // Paths are shown relative to the current directory.
      const result = await runCliInProcess(['validate', 'audiences'], { cwd: dir });

      expect(result.code).toBe(1);
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toMatch(RAW_UNSAFE);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toEqual([
        'audiences/a-bidi.yaml:6:13: error: spec.name: contains a bidi control character (U+202E) at character 5; refused because it can hide or reorder what is shown [text/bidi-control]',
        'audiences/b-zero.yaml:9:15: error: spec.fields[0].name: contains an invisible zero-width character (U+200B) at character 3; refused because it can hide or reorder what is shown [text/zero-width]',
        'audiences/c-nul.yaml:16:12: error: spec.labels[0]: contains a control character (U+0000) at character 8; refused because it can hide or reorder what is shown [text/control-character]',
        'audiences/d-ansi.yaml:7:16: error: spec.description: contains a control character (U+009B) at character 5; refused because it can hide or reorder what is shown [text/control-character]',
        'audiences/d-ansi.yaml:18:3: error: spec.\\u001B[2J\\u001B[1Ahidden: unknown key "\\u001B[2J\\u001B[1Ahidden" [schema/unknown-key]',
        'audiences/e-utf8.yaml:6:13: error: invalid UTF-8 at byte 88; manifests must be UTF-8 text [text/invalid-utf8]',
        'audiences/g-tags.yaml:17:15: error: spec.tags[1]: contains a bidi control character (U+2066) at character 1; refused because it can hide or reorder what is shown [text/bidi-control]',
        '1 valid manifest(s); 7 error(s), 0 warning(s) in 6 failed file(s)',
      ]);
    });
  });
});

describe('answers of the service (spawned apply against a service that answers with escapes)', () => {
  it('shows its error messages escaped, never raw', async () => {
    const fake = await startFakeAep();
    const hostile = '\u001b[2K\u001b[1Aok gold create: applied \u202Eredli\u009b31m';
    fake.fallback(
      json(400, {
        type: 'https://ns.adobe.com/aep/errors/EXEG-0100-400',
        title: hostile,
        status: 400,
        detail: hostile,
      }),
    );
    try {
      await withTempDir(async (dir) => {
        await mkdir(path.join(dir, 'audiences'));
        await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
        await mkdir(path.join(dir, 'state'));
        const result = await runCliInProcess(
          ['apply', 'audiences', '--state', 'state', '--auto-approve', '--sandbox', 'prod'],
          {
            cwd: dir,
            env: {
              AEP_CLIENT_ID: 'client',
              AEP_CLIENT_SECRET: 'secret-of-the-test',
              AEP_ORG_ID: 'TEST@AdobeOrg',
              AEP_BASE_URL: fake.apiBaseUrl,
              AEP_IMS_URL: fake.imsUrl,
            },
          },
        );
        expect(result.code).toBe(1);
        expect(fake.requests.length).toBeGreaterThan(0);
        const output = result.stdout + result.stderr;
        expect(output).not.toMatch(RAW_UNSAFE);
        expect(output).toContain('\\u001B[2K\\u001B[1Aok gold create: applied \\u202Eredli\\u009B31m');
      });
    } finally {
      await fake.close();
    }
  });
});

describe('values given on the command line or in the environment, quoted in an error (in process)', () => {
  // Each ran to two lines: `Error: … "prod` then `fake": …`.
  it.each([
    [
      ['plan', 'aud', '--state', 'st'],
      { AEP_SANDBOX: 'prod\nfake' },
      'Error: AEP_SANDBOX: invalid sandbox name "prod\\u000Afake": use lowercase letters, digits and "-" (at most 63), as AEP does\n',
    ],
    [
      ['plan', 'aud', '--sandbox', 'prod\nfake', '--state', 'st'],
      {},
      'Error: --sandbox: invalid sandbox name "prod\\u000Afake": use lowercase letters, digits and "-" (at most 63), as AEP does\n',
    ],
    [
      ['plan', 'aud\nfake', '--state', 'st'],
      {},
      'Error: aud\\u000Afake does not exist: give the directory of the manifests\n',
    ],
    [
      ['apply', 'aud', '--state', 'st', '--lock-timeout', '1\nfake'],
      {},
      'Error: --lock-timeout: "1\\u000Afake" is not a duration (e.g. 30s, 5m, 1h30m)\n',
    ],
    [
      ['plan', 'aud', '--state', 'st', '--max-deletes', '1\nx'],
      {},
      'Error: --max-deletes: "1\\u000Ax" is not a whole number (0 or more)\n',
    ],
    [
      ['state', 'list', '--state', 'st', '--sandbox', 'a\nb'],
      {},
      'Error: --sandbox: invalid sandbox name "a\\u000Ab": use lowercase letters, digits and "-" (at most 63), as AEP does\n',
    ],
    [
      ['state', 'list', '--state', 'postgres://u@h/db?schema=a%0Ab'],
      {},
      'Error: --state: schema "a\\u000Ab" must be lowercase letters, digits and "_" (at most 63, not starting with a digit)\n',
    ],
  ])('%j with %j is one line', async (args, env, stderr) => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'aud'));
      const result = await runCliInProcess(args, { cwd: dir, env });
      expect(result).toMatchObject({ code: 1, stdout: '', stderr });
    });
  });
});
