import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './helm.js';

/**
 * Settings other areas are adding to the app while the chart already sets them.
 * A name leaves this list when src/ reads it; the check reports those still missing.
 */
export const PENDING_APP_ENV = new Set<string>();

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(file)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(file);
  }
  return files;
}

/** Every AUDIENCECTL_* / AEP_* name in src/ as a whole string literal or an `env.NAME` read (what the app can read). */
export async function appEnvNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of await sourceFiles(path.join(repoRoot, 'src'))) {
    const text = await readFile(file, 'utf8');
    const literals = text.matchAll(/['"`]((?:AUDIENCECTL|AEP)_[A-Z0-9_]+)['"`]/g);
    const reads = text.matchAll(/\benv\.((?:AUDIENCECTL|AEP)_[A-Z0-9_]+)\b/g);
    for (const match of [...literals, ...reads]) names.add(match[1] ?? '');
  }
  return names;
}

/** The rows of the Markdown table under `heading` in a document, as cells. */
export function tableRows(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const rows: string[][] = [];
  for (const line of markdown.slice(start + heading.length + 2).split('\n')) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(1);
}

/** The `code` spans of a table cell. */
export function codeSpans(cell: string | undefined): string[] {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}
