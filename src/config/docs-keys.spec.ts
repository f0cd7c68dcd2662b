import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiFile, BudgetFile, ConfigFile, CredentialsFile, RetryFile, TimeoutsFile } from './schema.js';

/**
 * docs/configuration.md and the README describe the configuration file: their examples
 * must validate, and the Keys table must name exactly the keys the schema has.
 */
const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** The YAML code blocks of a document that start with `# audiencectl.yaml`. */
function configExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```yaml\n(# audiencectl\.yaml\n[^]*?)```/g)].map((m) => m[1] ?? '');
}

/** The rows of the Markdown table under `heading` (header row left out), as cells. */
function tableUnder(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const rows: string[][] = [];
  for (const line of markdown.slice(start + heading.length + 2).split('\n')) {
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    if (!/^\|\s*-/.test(line)) rows.push(line.split('|').slice(1, -1));
  }
  return rows.slice(1);
}

const codeSpans = (cell: string | undefined) =>
  [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

/** Rows whose meaning lists the keys of a nested object: the schema of that object. */
const NESTED = { credentials: CredentialsFile, budget: BudgetFile, timeouts: TimeoutsFile, retry: RetryFile };

describe('the configuration file as the documents show it', () => {
  it.each(['README.md', 'docs/configuration.md'])('the audiencectl.yaml examples of %s validate', (file) => {
    const examples = configExamples(read(file));
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const result = ConfigFile.safeParse(parse(example));
      expect(result.error?.issues ?? [], example).toEqual([]);
    }
  });

  it('docs/configuration.md: the Keys table names every key of the schema, and no other', () => {
    const rows = tableUnder(read('docs/configuration.md'), '### Keys');
    const named = rows.flatMap(([keyCell]) => codeSpans(keyCell));
    const topLevel = new Set(named.map((key) => key.split('.')[0]));
    expect([...topLevel].sort()).toEqual(Object.keys(ConfigFile.shape).sort());
    const apiKeys = named.filter((key) => key.startsWith('api.')).map((key) => key.slice('api.'.length));
    expect(apiKeys.sort()).toEqual(Object.keys(ApiFile.shape).sort());
    for (const [keyCell, meaning] of rows) {
      const key = codeSpans(keyCell)[0] as keyof typeof NESTED;
      if (!(key in NESTED)) continue;
      const listed = codeSpans(meaning).filter((span) => /^[a-z][A-Za-z]*$/.test(span));
      expect(listed.sort(), key).toEqual(Object.keys(NESTED[key].shape).sort());
    }
  });
});
