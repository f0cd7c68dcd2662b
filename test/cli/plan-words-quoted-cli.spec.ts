import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';

// Review secrets-42, L-4. The plan showed a create's field names, identity namespaces, source
// path, labels and tags bare, in a line whose own syntax is `,`, `( )` and `[ ]`: a manifest's
// tag `gold, silver` read as two tags (`tags: [bronze], gold, silver]`), a field named
// `tier), ssn (string` as a field `ssn` (`fields: email (string, identity email), tier), ssn
// (string (string)`), in the terminal and in the pull request's comment a reviewer approves.
// A value that holds the line's syntax is now quoted; plain words stay bare.

const MANIFEST = [
  'apiVersion: audiencectl/v1',
  'kind: ExternalAudience',
  'metadata:',
  '  name: words-a',
  'spec:',
  '  name: Words A',
  '  fields:',
  '    - { name: email, type: string, identityNs: email }',
  '    - { name: "tier), ssn (string", type: string }',
  '    - { name: first name, type: string }',
  '  sourceSpec: { path: "exports/a.csv (DLZ)", type: file }',
  '  originName: CUSTOM_UPLOAD',
  '  tags: ["gold, silver", "bronze]", Q1 2026]',
  'ingestion:',
  '  onCreate: false',
  '',
].join('\n');

describe("plan: a value holding the line's own syntax is quoted (review secrets-42, L-4)", () => {
  it('in the text plan and in the Markdown plan', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(path.join(dir, 'm'), { 'a.yaml': MANIFEST });
      const env = { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined };
      const text = await runCli(['plan', 'm', '--state', 'st'], { cwd: dir, env });
      expect(text.code, text.stderr).toBe(0);
      const lines = text.stdout.split('\n').map((line) => line.trim());
      expect(lines).toContain(
        'fields: email (string, identity email), first name (string), "tier), ssn (string" (string)',
      );
      expect(lines).toContain('source: file "exports/a.csv (DLZ)"');
      expect(lines).toContain('tags: [Q1 2026, "bronze]", "gold, silver"]');
      const markdown = await runCli(['plan', 'm', '--state', 'st', '--output', 'markdown'], {
        cwd: dir,
        env,
      });
      expect(markdown.code, markdown.stderr).toBe(0);
      expect(markdown.stdout).toContain('    tags: [Q1 2026, "bronze]", "gold, silver"]\n');
      expect(markdown.stdout).toContain(', "tier), ssn (string" (string)\n');
    });
  });
});
