import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { appliedGoldAndSilver } from '../helpers/loads.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * got's type checks (@sindresorhus/is) made two Intl.ListFormat at load, for the words of an
 * error about a value of the wrong type: building one loads ICU's list data, ~20 ms of CPU
 * (Node 20 and 24), paid by every apply that sends a request although no such error was ever
 * worded. A preload counts the Intl.ListFormat a spawned CLI makes.
 */
const COUNTER = `
import { writeFileSync } from 'node:fs';
const Made = Intl.ListFormat;
let made = 0;
Intl.ListFormat = class extends Made { constructor(...args) { super(...args); made += 1; } };
process.on('exit', () => writeFileSync(process.env.LIST_FORMATS_MADE, String(made)));
`;

describe('apply: no Intl.ListFormat is made for words no error used', () => {
  it('an apply that sends a PATCH makes none, and applies the change', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const args = await appliedGoldAndSilver(dir, emulator);

        const counter = path.join(dir, 'counter.mjs');
        writeFileSync(counter, COUNTER);
        const made = path.join(dir, 'made.txt');
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', { ...NO_RUN, spec: { description: 'changed here' } }),
        });
        emulator.control.resetCounters();
        const changed = await runCli(args, {
          cwd: dir,
          env: {
            ...emulatorEnv(emulator),
            NODE_OPTIONS: `--import=${pathToFileURL(counter).href}`,
            LIST_FORMATS_MADE: made,
          },
        });
        expect(changed.code, changed.stderr).toBe(0);
        expect(changed.stdout).toMatch(/1 applied/);
        expect(emulator.control.requestLog().map((entry) => entry.method)).toContain('PATCH');
        expect(readFileSync(made, 'utf8')).toBe('0');
      });
    });
  });
});
