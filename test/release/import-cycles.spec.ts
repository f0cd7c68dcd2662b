import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// `npm run lint:cycles` is scripts/import-cycles.mjs on src/; here on a directory of planted modules.

const SCRIPT = path.resolve('scripts/import-cycles.mjs');
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function modules(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-cycles-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function check(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, root]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const TYPE_ONLY = {
  'c.ts': "import type { D } from './d.js';\nexport type C = { d: D };\nexport const c = 1;\n",
  'd.ts': "import { c } from './c.js';\nexport type D = number;\nexport const d = c;\n",
};

describe('the import-cycle check', () => {
  it('names each cycle of modules, a lazy import() among them, and fails', async () => {
    const root = await modules({
      'a.ts': "import { b } from './b.js';\nexport const a = (): unknown => b;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = (): unknown => a;\n",
      'g.ts': "export const g = async (): Promise<unknown> => (await import('./h.js')).h;\n",
      'h.ts': "import { g } from './g.js';\nexport const h = g;\n",
      ...TYPE_ONLY,
    });
    const result = await check(root);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`2 import cycle(s) under ${root}/, each a set of modules that import one another:`);
    const named = lines.slice(1).map((line) =>
      line
        .trim()
        .split(', ')
        .map((file) => path.basename(file)),
    );
    expect(named.sort()).toEqual([
      ['a.ts', 'b.ts'],
      ['g.ts', 'h.ts'],
    ]);
  });

  it('passes modules that import one another only for types', async () => {
    const result = await check(await modules({ ...TYPE_ONLY, 'e.ts': "export { c } from './c.js';\n" }));
    expect(result).toEqual({ code: 0, stdout: 'no import cycles among 3 modules\n', stderr: '' });
  });
});
