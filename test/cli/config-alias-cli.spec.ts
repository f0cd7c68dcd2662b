import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';

/**
 * A configuration file the YAML reader reads otherwise than its author meant (a value
 * beginning with `*`, `!`, `&` or `|`, a merge key, a key twice, a tab, an alias bomb): one
 * `Error:` line naming file:line:column and the fix, exit 1, never the value, never a stack
 * trace (review 31 H-3 and L-1). Each on the built CLI; expected lines written out.
 */
const quiet = { ingestion: { onCreate: false } };

const ALIAS =
  'a value beginning with * is read as a YAML alias, and no anchor (&) of that name comes before it: quote the value';

/** `validate aud --config audiencectl.yaml` of a directory holding `config` as that file. */
async function validateWith(config: string) {
  return withTempDir(async (root) => {
    await writeFiles(root, { 'aud/a.yaml': manifestYaml('a', quiet), 'audiencectl.yaml': config });
    return runCli(['validate', 'aud', '--config', 'audiencectl.yaml'], { cwd: root });
  });
}

describe('review 31: bad input in the configuration file', () => {
  it('H-3: a client secret written unquoted beginning with * (a YAML alias) is one Error line that never quotes it, not an internal error with a stack trace', async () => {
    await withTempDir(async (root) => {
      await writeFiles(root, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'audiencectl.yaml':
          'credentials:\n  clientId: cid\n  clientSecret: *p8e-Secret-From-Console\n  orgId: ABC123@AdobeOrg\n',
      });
      for (const args of [
        ['validate', 'aud', '--config', 'audiencectl.yaml'],
        ['plan', 'aud', '--config', 'audiencectl.yaml', '--state', 'st'],
        ['apply', 'aud', '--config', 'audiencectl.yaml', '--state', 'st', '--auto-approve'],
        ['state', 'list', '--config', 'audiencectl.yaml', '--state', 'st'],
      ]) {
        const out = await runCli(args, { cwd: root });
        expect(out.code, args.join(' ')).toBe(1);
        expect(out.stderr, args.join(' ')).not.toContain('Secret-From-Console');
        expect(out.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
        expect(out.stderr, args.join(' ')).not.toContain('Internal error');
        expect(out.stderr, args.join(' ')).toMatch(/^Error: .*audiencectl\.yaml:3/);
      }
    });
  });
});

describe('a configuration file the YAML reader reads otherwise than meant: one line, the place, the fix, never the value', () => {
  const SECRET = 'p8e-Secret-From-Console';
  const credentials = (secretLine: string) =>
    `credentials:\n  clientId: cid\n${secretLine}\n  orgId: ABC123@AdobeOrg\n`;

  for (const [label, config, line] of [
    [
      'an unquoted secret beginning with * (an alias to no anchor)',
      credentials(`  clientSecret: *${SECRET}`),
      `audiencectl.yaml:3:17 credentials.clientSecret: ${ALIAS}`,
    ],
    [
      'an unquoted secret beginning with ! (an unknown tag)',
      credentials(`  clientSecret: !${SECRET}`),
      'audiencectl.yaml:3:17 (syntax): an unknown YAML tag (a value beginning with ! is read as a tag): quote the value',
    ],
    [
      'an unknown tag !foo before a value',
      credentials(`  clientSecret: !foo ${SECRET}`),
      'audiencectl.yaml:3:17 (syntax): an unknown YAML tag (a value beginning with ! is read as a tag): quote the value',
    ],
    [
      'an unquoted secret beginning with & (an anchor, leaving the value empty)',
      credentials(`  clientSecret: &${SECRET}`),
      'audiencectl.yaml:3:17 credentials.clientSecret: a value beginning with & is read as a YAML anchor, leaving the value empty: quote the value',
    ],
    [
      'an unquoted secret beginning with | (a block scalar header)',
      credentials(`  clientSecret: |${SECRET}`),
      'audiencectl.yaml:3:18 (syntax): a value beginning with | or > is read as a YAML block scalar: quote the value',
    ],
    [
      'an unquoted secret holding ": " (a nested mapping)',
      credentials(`  clientSecret: p8e: Secret-From-Console`),
      'audiencectl.yaml:3:17 (syntax): a value containing ": " is read as a nested mapping: quote the value',
    ],
    [
      'a merge key (<<) of an anchor that is defined',
      `sandboxes:\n  prod: &prod\n    clientId: cid\n    clientSecret: ${SECRET}\n    orgId: ABC123@AdobeOrg\n  dev:\n    <<: *prod\n`,
      'audiencectl.yaml:7:5 sandboxes.dev: a YAML merge key (<<) is not supported: write the keys out',
    ],
    [
      'a key written twice',
      `credentials:\n  clientSecret: ${SECRET}\n  clientSecret: ${SECRET}\n`,
      'audiencectl.yaml:3:3 (syntax): a key written twice (YAML keys must be unique): keep one',
    ],
    [
      'a tab in the indentation',
      `credentials:\n  clientId: cid\n\tclientSecret: ${SECRET}\n`,
      'audiencectl.yaml:3:1 (syntax): a tab in the indentation (YAML indents with spaces only): indent with spaces',
    ],
  ] as const) {
    it(`${label}: one Error line with file:line:column`, async () => {
      const out = await validateWith(config);
      expect(out.stderr).toBe(`Error: Invalid AEP configuration: ${line}\n`);
      expect(out.stdout).toBe('');
      expect(out.code).toBe(1);
    });
  }

  it('review 31 L-1: an alias bomb ("billion laughs") is one Error line at its first alias, without expanding it', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
    ])
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    const out = await validateWith(`${lines.join('\n')}\n`);
    expect(out.stderr).toBe(
      'Error: Invalid AEP configuration: audiencectl.yaml:2:8 b.0: too many YAML alias expansions (more than 100): write the values out\n',
    );
    expect(out.code).toBe(1);
  });

  it('anchors and aliases that resolve are read as before', async () => {
    const out = await validateWith(
      'sandboxes:\n  prod:\n    clientId: &id cid\n    clientSecret: s3cr3t\n    orgId: &org ABC123@AdobeOrg\n  dev:\n    clientId: *id\n    clientSecret: t0k3n\n    orgId: *org\n',
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n');
    expect(out.code).toBe(0);
  });

  it('the same file named by AUDIENCECTL_CONFIG, and given to the controller (run): the same line', async () => {
    await withTempDir(async (root) => {
      await writeFiles(root, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'audiencectl.yaml': credentials(`  clientSecret: *${SECRET}`),
      });
      const expected = `Error: Invalid AEP configuration: audiencectl.yaml:3:17 credentials.clientSecret: ${ALIAS}\n`;
      const byVariable = await runCli(['validate', 'aud'], {
        cwd: root,
        env: { AUDIENCECTL_CONFIG: 'audiencectl.yaml' },
      });
      expect(byVariable.stderr).toBe(expected);
      expect(byVariable.code).toBe(1);
      const run = await runCli(
        ['run', '--dir', 'aud', '--config', 'audiencectl.yaml', '--state', 'st', '--work-dir', 'work'],
        { cwd: root, stopOn: /listening|serving|reconcil/i },
      );
      expect(run.stderr).toBe(expected);
      expect(run.code).toBe(1);
    });
  });

  it('plan --base: the base commit holding that file is a warning naming its line, without its content', async () => {
    await withTempDir(async (root) => {
      const { repo, git } = await gitRepository(root, {
        'audiencectl.yaml': `defaultSandbox: prod\ncredentials:\n  clientSecret: *${SECRET}\n`,
        'm/gold.yaml': manifestYaml('gold'),
      });
      await writeFiles(repo, { 'audiencectl.yaml': 'defaultSandbox: prod\n' });
      await git('commit', '--quiet', '-am', 'secret quoted');
      const config = path.join(repo, 'audiencectl.yaml');
      const out = await runCli(['plan', path.join(repo, 'm'), '--base', 'HEAD~1', '--config', config], {
        cwd: root,
      });
      expect(out.stderr).toBe('');
      expect(out.stdout).toBe(
        [
          'No changes. The audiences match the manifests.',
          '',
          'Diagnostics:',
          `  .: warning: the configuration file ${config} in --base "HEAD~1" is not a valid configuration (at line 3, column 17): the base's manifests that name no sandbox are read in "prod", the default sandbox here [base/config-unread]`,
          '',
        ].join('\n'),
      );
      expect(out.code).toBe(0);
    });
  });
});

describe('a manifest with a value beginning with * (an alias to no anchor)', () => {
  it('is one diagnostic at the line of the alias, never quoting it, and no crash', async () => {
    await withTempDir(async (root) => {
      const text = [
        'apiVersion: audiencectl/v1',
        'kind: ExternalAudience',
        'metadata:',
        '  name: a',
        'spec:',
        '  name: Audience a',
        '  description: *about-a',
        '  fields:',
        '    - { name: email, type: string, identityNs: email }',
        '  sourceSpec: { path: exports/a.csv, type: file, sourceType: Cloud Storage, cloudType: DLZ }',
        '  ttlInDays: 30',
        '  originName: CUSTOM_UPLOAD',
        '',
      ].join('\n');
      await writeFiles(root, { 'aud/a.yaml': text });
      const out = await runCli(['validate', 'aud'], { cwd: root });
      expect(out.stdout).toBe(
        `aud/a.yaml:7:16: error: spec.description: ${ALIAS} [yaml/aliases]\n0 valid manifest(s); 1 error(s), 0 warning(s) in 1 failed file(s)\n`,
      );
      expect(out.stderr).toBe('');
      expect(out.code).toBe(1);
    });
  });
});
