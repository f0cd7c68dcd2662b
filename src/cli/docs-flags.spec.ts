import { readdirSync, readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { CompatInput, DEFAULT_COMPAT } from '../emulator/compat-settings.js';
import { buildProgram } from './run-cli.js';

/**
 * "Every command in README and docs/ runs as written": each `audiencectl <command> --flag`
 * the documents show (code blocks, inline code, the flag tables of docs/controller.md and
 * docs/emulator.md) names a command and flags the CLI has, and every flag of `run` and
 * `emulator` has its row, with the variable `run --help` names.
 */
const DOCUMENTS = [
  'README.md',
  'docs/configuration.md',
  'docs/controller.md',
  'docs/deploy.md',
  'docs/emulator.md',
  'docs/state.md',
];
const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** The command at `path` (`['state', 'import']`), with its full help text (examples and notes included). */
async function commandAt(path: readonly string[]): Promise<{ command: Command; help: string }> {
  const program = await buildProgram(() => undefined, ['node', 'audiencectl', ...path]);
  let command: Command = program;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command "audiencectl ${path.join(' ')}"`);
    command = next;
  }
  let help = '';
  command.configureOutput({ writeOut: (chunk) => (help += chunk), writeErr: (chunk) => (help += chunk) });
  command.outputHelp();
  return { command, help };
}

/** The long flags a command accepts: its own, the program's (--color, --version) and --help. */
function flagsOf(command: Command): Set<string> {
  const flags = new Set(['--help']);
  for (let c: Command | null = command; c; c = c.parent)
    for (const option of c.options as Option[]) if (option.long) flags.add(option.long);
  return flags;
}

/** `refused`: shown with the error it gets (the next line of its block starts with `Error:`). */
type Invocation = { file: string; text: string; path: string[]; flags: string[]; refused?: boolean };

const COMMANDS = new Set(['validate', 'plan', 'apply', 'init', 'state', 'run', 'emulator', 'version']);
const STATE_COMMANDS = new Set(['list', 'show', 'import', 'forget', 'settle-run', 'migrate']);
const FLAG = /(?<![\w-])--[a-z][a-z0-9-]*/g;
const FLAG_IN = /(?<![\w-])--[a-z][a-z0-9-]*/;

/**
 * The commands of one line of shell or code span that start with `audiencectl`, each up to a
 * comment. An inline span may leave the program's name out (`plan --refresh`, `state import …
 * --force`): one that starts with a command and names a flag is read as that command.
 */
function invocationsIn(file: string, line: string, inline = false): Invocation[] {
  const found: Invocation[] = [];
  // Placeholders (`<dir|url>`) hold no command separator.
  const plain = line.replace(/<[^<>]*>/g, '<x>').replace(/\s#.*$/, '');
  for (const segment of plain.split(/&&|\|\||[|;]/)) {
    // `npx audiencectl …` (a manifests repository's pinned install) is the same command.
    let text = segment.trim().replace(/^npx\s+(?=audiencectl\b)/, '');
    if (inline && COMMANDS.has(text.split(/\s+/)[0] ?? '') && FLAG_IN.test(text))
      text = `audiencectl ${text}`;
    if (!text.startsWith('audiencectl ') && text !== 'audiencectl') continue;
    const words = text.split(/\s+/).slice(1);
    const path: string[] = [];
    const first = words.find((word) => !word.startsWith('-'));
    if (first && COMMANDS.has(first)) {
      path.push(first);
      const second = words[words.indexOf(first) + 1];
      if (first === 'state' && second && STATE_COMMANDS.has(second)) path.push(second);
    }
    const flags = [...text.matchAll(FLAG)].map((m) => m[0]);
    // An unknown command with flags is reported; without any, it is prose in an output sample.
    if (path.length === 0 && first && /^[a-z]+$/.test(first)) {
      if (flags.length === 0) continue;
      path.push(first);
    }
    found.push({ file, text, path, flags });
  }
  return found;
}

/** Every invocation in the documents' code blocks and inline code. */
function documentedInvocations(): Invocation[] {
  const found: Invocation[] = [];
  for (const file of DOCUMENTS) {
    let inBlock = false;
    let pending = '';
    let previous: Invocation[] = [];
    for (const raw of read(file).split('\n')) {
      if (raw.trimStart().startsWith('```')) {
        inBlock = !inBlock;
        continue;
      }
      if (inBlock) {
        // Shell line continuations make one command.
        const line = pending + raw.replace(/^\$ /, '');
        if (line.endsWith('\\')) {
          pending = `${line.slice(0, -1)} `;
          continue;
        }
        pending = '';
        if (line.startsWith('Error:')) for (const invocation of previous) invocation.refused = true;
        previous = invocationsIn(file, line);
        found.push(...previous);
      } else {
        for (const span of raw.matchAll(/`([^`]+)`/g))
          found.push(...invocationsIn(file, span[1] ?? '', true));
      }
    }
  }
  return found;
}

/** The rows of the first Markdown table under `heading`, as cells (header row left out). */
function tableUnder(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const rows: string[][] = [];
  for (const line of markdown.slice(start + heading.length + 2).split('\n')) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    if (/^\|\s*-/.test(line)) continue;
    rows.push(line.split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows.slice(1).map((cells) => cells.slice(1, -1));
}

const codeSpans = (cell: string | undefined) =>
  [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

/** The text of every TypeScript file under `dir` (relative to the repository), specs left out. */
function sourcesUnder(dir: string): string[] {
  const texts: string[] = [];
  for (const entry of readdirSync(new URL(dir, root), { withFileTypes: true })) {
    const child = `${dir}/${entry.name}`;
    if (entry.isDirectory()) texts.push(...sourcesUnder(child));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) texts.push(read(child));
  }
  return texts;
}

describe('the documents name only commands and flags the CLI has', () => {
  const invocations = documentedInvocations();

  it('finds the invocations (the extraction works)', () => {
    expect(invocations.length).toBeGreaterThan(80);
    expect(invocations.some((i) => i.file === 'docs/state.md' && i.path.join(' ') === 'state migrate')).toBe(
      true,
    );
  });

  it('every AUDIENCECTL_* and AEP_* variable they name is read by the code (src/, or test/helpers for the suite)', () => {
    const code = [...sourcesUnder('src'), ...sourcesUnder('test/helpers')].join('\n');
    const named = new Set(
      DOCUMENTS.flatMap((file) => read(file).match(/\b(?:AUDIENCECTL|AEP)_[A-Z0-9_]+/g) ?? []),
    );
    expect(named.size).toBeGreaterThan(40);
    expect([...named].filter((name) => !new RegExp(`\\b${name}\\b`).test(code))).toEqual([]);
  });

  it('every `audiencectl <command> --flag` shown is a command with that flag', async () => {
    const problems: string[] = [];
    const byPath = new Map<string, Promise<{ command: Command; help: string }>>();
    for (const invocation of invocations) {
      const key = invocation.path.join(' ');
      if (!byPath.has(key)) byPath.set(key, commandAt(invocation.path));
      const found = await byPath.get(key)!.catch((error: Error) => error);
      if (found instanceof Error) {
        problems.push(`${invocation.file}: ${invocation.text}: ${found.message}`);
        continue;
      }
      const flags = flagsOf(found.command);
      for (const flag of invocation.flags)
        if (!flags.has(flag)) problems.push(`${invocation.file}: ${invocation.text}: no ${flag} on "${key}"`);
    }
    expect(problems).toEqual([]);
  });

  it('every value shown for a flag with choices (`--output github`, `--color never`) is one of them', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const invocation of invocations.filter((i) => !i.refused)) {
      const found = await commandAt(invocation.path).catch(() => undefined);
      if (!found) continue;
      const options: Option[] = [];
      for (let c: Command | null = found.command; c; c = c.parent) options.push(...(c.options as Option[]));
      for (const [, flag, value] of invocation.text.matchAll(
        /(?<![\w-])(--[a-z][a-z0-9-]*)(?:[ =]+(\S+))?/g,
      )) {
        const choices = options.find((o) => o.long === flag)?.argChoices;
        // Placeholders and alternatives (`<x>`, `text|json`, `"$FORMAT"`) are not values.
        const word = value?.replace(/^['"]|['"]$/g, '');
        if (!choices || !word || word.startsWith('-') || /[<>|$…]/.test(word)) continue;
        checked += 1;
        if (!choices.includes(word))
          problems.push(
            `${invocation.file}: ${invocation.text}: ${flag} ${word} is not one of ${choices.join(', ')}`,
          );
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(problems).toEqual([]);
    // The one example shown with its refusal (docs/emulator.md) is left out, not missed.
    expect(invocations.filter((i) => i.refused).map((i) => i.file)).toEqual(['docs/emulator.md']);
  });

  it('every `plan … --out <file>.json` shown saves the plan `apply` takes (`--output json`)', () => {
    const textPlans = invocations.filter(
      (i) =>
        i.path[0] === 'plan' && /--out[ =]\S+\.json\b/.test(i.text) && !/--output[ =]json\b/.test(i.text),
    );
    expect(textPlans.map((i) => `${i.file}: ${i.text}`)).toEqual([]);
  });

  it.each([
    ['README.md', '### `audiencectl validate [path...]`', ['validate']],
    ['README.md', '### `audiencectl plan [dir]`', ['plan']],
    ['README.md', '### `audiencectl apply [dir | plan.json]`', ['apply']],
  ])('%s: the option table under %s lists flags of that command', async (file, heading, path) => {
    const flags = flagsOf((await commandAt(path)).command);
    const listed = tableUnder(read(file), heading).flatMap(([cell]) => codeSpans(cell));
    expect(listed.length).toBeGreaterThan(0);
    const flagNames = listed.flatMap((span) => [...span.matchAll(FLAG)].map((m) => m[0]));
    expect(flagNames.filter((flag) => !flags.has(flag))).toEqual([]);
  });

  it('docs/controller.md lists every flag of `run` once, with the variable `run --help` names', async () => {
    const { command, help } = await commandAt(['run']);
    const rows = tableUnder(read('docs/controller.md'), '## Flags and environment variables');
    const documented = new Map<string, string[]>();
    for (const [flagCell, variableCell] of rows) {
      const flag = codeSpans(flagCell)[0]?.match(FLAG)?.[0] ?? '';
      expect(documented.has(flag), `${flag} listed twice`).toBe(false);
      documented.set(flag, codeSpans(variableCell));
    }
    const own = (command.options as Option[]).map((o) => o.long ?? '').filter((flag) => flag !== '');
    expect(own.filter((flag) => !documented.has(flag))).toEqual([]);
    for (const [flag, variables] of documented) {
      expect(own, flag).toContain(flag);
      const option = (command.options as Option[]).find((o) => o.long === flag);
      // The first variable is the one that sets the flag (others, such as an older name, may follow).
      const [variable] = variables;
      expect(variable, `${flag} has a variable`).toBeDefined();
      if (option?.envVar) expect(variable, flag).toBe(option.envVar);
      else expect(help, `${variable} of ${flag} in run --help`).toContain(variable);
    }
  });

  it.each([
    ['docs/controller.md', '## Flags and environment variables', 'run', 2],
    ['docs/emulator.md', '## Flags', 'emulator', 1],
  ] as const)(
    "%s, %s: each default the flag table gives is the flag's",
    async (file, heading, name, column) => {
      const { command } = await commandAt([name]);
      const problems: string[] = [];
      let compared = 0;
      for (const cells of tableUnder(read(file), heading)) {
        const flag = cells[0]?.match(FLAG)?.[0];
        const fallback = (command.options as Option[]).find((o) => o.long === flag)?.defaultValue as unknown;
        // A default in words (`root`, `see above`, `the demo client`) is not compared; a value is.
        if (!['string', 'number', 'boolean'].includes(typeof fallback) || fallback === '') continue;
        const shown = (cells[column] ?? '').replace(/`/g, '').replace(/\s*\(ms\)$/, '');
        if (shown.startsWith('see ')) continue;
        const value = String(fallback);
        compared += 1;
        if (shown !== value && !(fallback === false && shown === 'off'))
          problems.push(`${flag}: the table says "${shown}", the code ${value}`);
      }
      expect(compared).toBeGreaterThan(15);
      expect(problems).toEqual([]);
    },
  );

  it('docs/emulator.md lists every flag of `emulator`', async () => {
    const { command } = await commandAt(['emulator']);
    const rows = tableUnder(read('docs/emulator.md'), '## Flags');
    const documented = new Set(rows.flatMap(([cell]) => codeSpans(cell).flatMap((s) => s.match(FLAG) ?? [])));
    const own = (command.options as Option[]).map((o) => o.long ?? '').filter((flag) => flag !== '');
    expect(own.filter((flag) => !documented.has(flag))).toEqual([]);
    expect([...documented].filter((flag) => !own.includes(flag))).toEqual([]);
  });

  it('docs/emulator.md lists every reading of the page the emulator takes, its values, default and flag', async () => {
    const { command } = await commandAt(['emulator']);
    const own = (command.options as Option[]).map((o) => o.long ?? '');
    const rows = tableUnder(read('docs/emulator.md'), '### Readings of the page');
    const documented = rows.map(([setting, values, fallback]) => {
      const [name, flag] = codeSpans(setting);
      return { name, flag, values: codeSpans(values), fallback: codeSpans(fallback)[0] };
    });
    const settings = CompatInput.shape;
    expect(documented.map((row) => row.name).sort()).toEqual(Object.keys(settings).sort());
    for (const { name, flag, values, fallback } of documented) {
      const key = name as keyof typeof settings;
      expect(values, name).toEqual(settings[key].unwrap().options);
      expect(fallback, name).toBe(DEFAULT_COMPAT[key]);
      expect(own, name).toContain(flag);
    }
  });
});
