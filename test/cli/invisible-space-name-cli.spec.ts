import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * Review 32, M-4. A no-break space (U+00A0, what a copy from a document or a chat pastes for a
 * space) in spec.name is another name: a replacement (delete + create, with --allow-replace).
 * The plan a person reviews showed the two names alike ("Audience gold" -> "Audience gold"),
 * where the README's rule is that text a person reviews must look like what is sent (visible
 * escapes such as \u202E for bidi and zero-width characters). The built CLI, the emulator.
 */
describe('a spec.name whose space became a no-break space', () => {
  it('is shown with the character visible in the text and Markdown plans', async () => {
    await cliBench(async ({ tmp, cli, setUp }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold'));
      const first = await setUp('apply', aud, '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);

      await writeFile(
        path.join(aud, 'gold.yaml'),
        manifestYaml('gold', { spec: { name: 'Audience\u00a0gold' } }),
      );
      const text = await cli('plan', aud, '--allow-replace');
      expect(text.stdout).toContain('-/+ prod/gold replace');
      expect(text.stdout).not.toContain('~ name: "Audience gold" -> "Audience\u00a0gold"');
      expect(text.stdout).toContain('~ name: "Audience gold" -> "Audience\\u00A0gold"');
      const markdown = await cli('plan', aud, '--allow-replace', '--output', 'markdown');
      expect(markdown.stdout).not.toContain('"Audience\u00a0gold"');
      expect(markdown.stdout).toContain(
        '    ~ name: "Audience gold" -> "Audience\\u00A0gold"  # forces replacement\n',
      );

      // JSON is for programs: the value as it is, the raw character (not the six characters \u00A0).
      const json = await cli('plan', aud, '--allow-replace', '--output', 'json');
      expect(json.code, json.stderr).toBe(0);
      expect(json.stdout).toContain('"after": "Audience\u00a0gold"');
      expect(json.stdout).not.toContain('u00A0');
      const plan = JSON.parse(json.stdout) as { steps: Array<{ changes: Array<{ after?: unknown }> }> };
      expect(plan.steps[0]!.changes[0]!.after).toBe('Audience\u00a0gold');
    });
  });

  it('is shown escaped in an error that quotes a path holding one', async () => {
    await cliBench(async ({ tmp, cli }) => {
      const missing = await cli('plan', path.join(tmp, 'no\u00a0such'));
      expect(missing.stderr).toBe(
        `Error: ${tmp}/no\\u00A0such does not exist: give the directory of the manifests\n`,
      );
      expect(missing.code).toBe(1);
    });
  });
});
