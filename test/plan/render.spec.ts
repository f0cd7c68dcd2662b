import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from '../../src/manifest/json-schema.js';
import { plan } from '../../src/plan/plan.js';
import { renderJson } from '../../src/plan/render/json.js';
import { MARKDOWN_LIMIT, renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, EMPTY, options } from '../helpers/planning.js';

const sample = () => {
  const state = appliedState(
    loadTexts({
      'g.yaml': manifestYaml('gold'),
      's.yaml': manifestYaml('silver'),
      'b.yaml': manifestYaml('bronze'),
    }),
  );
  const desired = loadTexts({
    'g.yaml': manifestYaml('gold', { spec: { description: 'new', labels: ['core/C1', 'core/C5'] } }),
    's.yaml': manifestYaml('silver', { spec: { name: 'Silver renamed' } }),
    'p.yaml': manifestYaml('platinum'),
    'bad.yaml': manifestYaml('broken').replace('type: file', 'type: blob'),
  });
  return plan(desired, state, options());
};

describe('text renderer', () => {
  it('shows Terraform-like symbols, field diffs, guards and diagnostics, without colour', () => {
    const text = renderText(sample(), { color: false });
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('  ~ prod/gold update: description, labels changed  (g.yaml:1)');
    expect(text).toContain('        ~ description: "About gold" -> "new"');
    expect(text).toContain('        ~ labels: [core/C1] -> [core/C1, core/C5]');
    expect(text).toContain('-/+ prod/silver replace: name cannot be changed in place (forces replacement)');
    expect(text).toContain('~ name: "Audience silver" -> "Silver renamed"  # forces replacement');
    expect(text).toContain('  + prod/platinum create: new manifest');
    expect(text).toContain('  > prod/platinum run: first run after creation');
    expect(text).toContain('  - prod/bronze delete: manifest removed');
    expect(text).toMatch(/bad\.yaml:\d+:\d+: error: spec\.sourceSpec\.type/);
  });

  it('colours only when asked', () => {
    expect(renderText(sample(), { color: true })).toContain('\u001b[32m');
  });

  it('says so when there is nothing to do', () => {
    expect(renderText(plan(loadTexts({}), EMPTY, options()), { color: false })).toBe(
      'No changes. The audiences match the manifests.\n',
    );
  });

  it('never says the audiences match the manifests when no manifest was read (filters selecting no file, review 31 L-5b)', () => {
    const desired = loadTexts({});
    desired.diagnostics.push({
      severity: 'warning',
      file: '.',
      line: 0,
      column: 0,
      rule: 'source/include-matched-nothing',
      message: 'no file is selected by --include audences/**: nothing was read',
    });
    const nothing = plan(desired, EMPTY, options());
    expect(nothing.steps).toEqual([]);
    expect(renderText(nothing, { color: false }).split('\n')[0]).toBe(
      'No changes: no manifest was read (the filters select no file).',
    );
    expect(renderMarkdown(nothing)).toContain(
      '**No changes:** no manifest was read (the filters select no file).',
    );
    expect(renderMarkdown(nothing)).not.toContain('match the manifests');
  });

  it('never says "No changes" above errors: a plan without steps that has errors is not clean', () => {
    const broken = plan(
      loadTexts({ 'bad.yaml': manifestYaml('broken').replace('type: file', 'type: blob') }),
      EMPTY,
      options(),
    );
    expect(broken.steps).toEqual([]);
    const text = renderText(broken, { color: false });
    expect(text).not.toContain('No changes');
    expect(text.split('\n')[0]).toBe(
      'No steps planned, but the plan has 1 error(s). They are listed under Diagnostics; until they are fixed, what they hide is not planned.',
    );
    expect(text).toMatch(/^ {2}bad\.yaml:\d+:\d+: error: /m);
    const markdown = renderMarkdown(broken);
    expect(markdown).not.toContain('No changes');
    expect(markdown).toContain(
      '\n**No steps planned, but the plan has 1 error(s).** They are listed under Diagnostics;',
    );
    // A warning alone leaves a clean plan.
    const legacy = { 'w.yaml': manifestYaml('w', { spec: { originName: 'LEGACY' } }) };
    const warned = plan(loadTexts(legacy), appliedState(loadTexts(legacy)), options());
    expect(warned.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(renderText(warned, { color: false })).toMatch(
      /^No changes\. The audiences match the manifests\.\n/,
    );
    expect(renderMarkdown(warned)).toContain('\n**No changes.** The audiences match the manifests.\n');
  });
});

describe('JSON renderer', () => {
  it('has the documented top-level shape, and every step names sandbox, key, kind and reason', () => {
    const json = JSON.parse(renderJson(sample())) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['formatVersion', 'state', 'summary', 'steps', 'held', 'diagnostics']);
    expect(json.formatVersion).toBe(1);
    expect(json.summary).toEqual({
      create: 1,
      adopt: 0,
      update: 1,
      replace: 0,
      delete: 1,
      forget: 0,
      run: 1,
      move: 0,
      blocked: 1,
      deferred: 0,
    });
    for (const step of json.steps as Array<Record<string, unknown>>) {
      expect(step.sandbox).toBe('prod');
      expect([typeof step.key, typeof step.kind, typeof step.reason]).toEqual(['string', 'string', 'string']);
    }
  });
});

describe('Markdown renderer', () => {
  it('puts the summary table first, one collapsible section per audience, then diagnostics', () => {
    const md = renderMarkdown(sample());
    expect(md.indexOf('| create | adopt | update |')).toBeLessThan(md.indexOf('<details>'));
    expect(md.match(/<details>/g)).toHaveLength(4);
    expect(md).toContain('<code>prod/silver</code>: -/+ replace (blocked)');
    expect(md).toMatch(/\*\*Diagnostics:\*\* 1 error\(s\)/);
  });

  it('shows a held reason and a failed run as plain text: no HTML comment, emphasis or link from a file name or the service', () => {
    const md = renderMarkdown({
      ...sample(),
      held: [
        {
          sandbox: 'prod',
          key: 'gold',
          reason: 'a/<!-- *x* [y](http://e) ~z~ #1_2 `c` \\ |.yaml has errors',
        },
      ],
      failedRuns: [
        { sandbox: 'prod', key: 'silver', runId: 'r-1', reason: '<img src=x> **no**', next: 'change it' },
      ],
    });
    expect(md).not.toContain('<!--');
    expect(md).not.toContain('<img');
    expect(md).toContain(
      '- `prod/gold`: a/&lt;\\!-- \\*x\\* \\[y\\](http&#8203;://e) \\~z\\~ \\#1\\_2 \\`c\\` \\\\ \\|.yaml has errors\n',
    );
    expect(md).toMatch(/^- prod\/silver: .*&lt;img src=x&gt; \\\*\\\*no\\\*\\\*/m);
  });

  it('mentions nobody and links no issue from a file name or the service: a backslash stops neither on GitHub', () => {
    // GitHub reads `@name` (a user, `@org/team` a team, each notified) and `#12` (an issue)
    // after the Markdown, so `\@` and `\#` still ping and link: a pull request naming a file
    // `@acme/admins.yaml` made the Action's comment notify that team.
    const md = renderMarkdown({
      ...sample(),
      held: [{ sandbox: 'prod', key: 'gold', reason: 'x/@acme/admins.yaml and #12.yaml have errors' }],
      failedRuns: [
        {
          sandbox: 'prod',
          key: 'silver',
          runId: 'r-1',
          reason: 'ask @octocat (ops@example.com) on #7',
          next: 'x',
        },
      ],
    });
    expect(md).toContain('- `prod/gold`: x/@&#8203;acme/admins.yaml and \\#&#8203;12.yaml have errors\n');
    expect(md).toMatch(/ask @&#8203;octocat \(ops@example\.com\) on \\#&#8203;7/);
  });

  it('links nothing from a file name or the service: GH-12, www. and http(s):// are autolinks on GitHub', () => {
    // GitHub links `GH-12` to issue 12, and (GFM's autolinks) `www.host` and `https://host`
    // wherever they stand in text; no Markdown escape stops them. A pull request adding
    // `www.evil.example/a.yaml` with errors made the comment link that host.
    const md = renderMarkdown({
      ...sample(),
      held: [
        { sandbox: 'prod', key: 'gold', reason: 'www.evil.example/a.yaml and GH-12/b.yaml have errors' },
      ],
      failedRuns: [
        {
          sandbox: 'prod',
          key: 'silver',
          runId: 'r-1',
          reason: 'see https://evil.example/x or HTTP://Evil.example (gh-7, WWW.evil.example)',
          next: 'x',
        },
      ],
    });
    expect(md).toContain(
      '- `prod/gold`: www&#8203;.evil.example/a.yaml and GH&#8203;-12/b.yaml have errors\n',
    );
    expect(md).toContain(
      'see https&#8203;://evil.example/x or HTTP&#8203;://Evil.example (gh&#8203;-7, WWW&#8203;.evil.example)',
    );
    // Only where they start a word: a host or a name that merely holds the letters is left alone.
    const plain = renderMarkdown({
      ...sample(),
      held: [{ sandbox: 'prod', key: 'gold', reason: 'xwww.yaml, thttp://, BIGH-1 and fetch.yaml' }],
    });
    expect(plain).toContain('- `prod/gold`: xwww.yaml, thttp://, BIGH-1 and fetch.yaml\n');
  });

  it('stays under the comment limit however big the plan, saying what it folded', () => {
    const files = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [
        `a${i}.yaml`,
        manifestYaml(`audience-${i}`, { spec: { description: 'x'.repeat(200) } }),
      ]),
    );
    const md = renderMarkdown(plan(loadTexts(files), EMPTY, options()));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toMatch(/_\d+ more audience\(s\) folded to stay under GitHub's comment limit/);
    expect(md).toContain('| 3000 | 0 | 0 | 0 | 0 | 0 | 100 | 0 | 0 | 2900 |');
  });
});

describe('manifest JSON Schema', () => {
  it('is up to date with the zod schema (run `npm run gen:schema`)', async () => {
    const committed = await readFile(
      new URL('../../specs/audience-manifest.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(manifestJsonSchema());
  });

  it("is where each example manifest's yaml-language-server comment points, from its own folder", async () => {
    const examples = fileURLToPath(new URL('../../examples/audiences/', import.meta.url));
    const schema = fileURLToPath(new URL('../../specs/audience-manifest.schema.json', import.meta.url));
    const files = (await readdir(examples, { recursive: true })).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    const pointed = await Promise.all(
      files.map(async (file) => {
        const text = await readFile(path.join(examples, file), 'utf8');
        const target = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1] ?? '(none)';
        return [file, path.resolve(path.dirname(path.join(examples, file)), target)];
      }),
    );
    expect(Object.fromEntries(pointed)).toEqual(Object.fromEntries(files.map((file) => [file, schema])));
    expect(existsSync(schema)).toBe(true);
  });
});
