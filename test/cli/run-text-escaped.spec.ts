import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { startAlteringProxy, type Answer } from '../helpers/altering-proxy.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * A run's words are the service's: its status (any word: read as in progress unless an end) and
 * its failureReason. Each output that shows them (apply's lines, plan text, markdown and JSON,
 * `state list`, `state show`) shows the controls in them escaped: ESC and CSI sequences, C1, a
 * bidi override, a line separator. The emulator answers through a proxy that writes them in.
 */
const tempDir = useTempDirs();
const HOSTILE = '\u001b[2K\u001b[1A\u202Eok\u009b31m\u2028x';
const SHOWN = '\\u001B[2K\\u001B[1A\\u202Eok\\u009B31m\\u2028x';
/** What no output may carry raw (line feeds aside). */
const RAW_UNSAFE =
  // eslint-disable-next-line no-control-regex -- exactly the characters looked for
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u2028\u2029]/u;

type Body = Record<string, unknown>;

/** Every run the service answers (one, or a list's) rewritten by `edit`. */
function runsAltered(edit: (run: Body) => Body) {
  return ({ path: at, body }: Answer): unknown => {
    if (typeof body !== 'object' || body === null) return undefined;
    const answer = body as Body & { runs?: Body[] };
    if (/\/runs\/[^/]+$/.test(at)) return edit(answer);
    if (at.endsWith('/runs') && Array.isArray(answer.runs)) return { ...answer, runs: answer.runs.map(edit) };
    return undefined;
  };
}

describe("a run's status and failure reason holding controls", () => {
  it('are shown escaped by apply, plan and state, never raw', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url);
      try {
        const root = await tempDir();
        const manifests = path.join(root, 'audiences');
        const state = path.join(root, 'state');
        await mkdir(manifests);
        await mkdir(state);
        await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold'));
        const env = {
          ...emulatorEnv(emulator),
          AEP_BASE_URL: `${proxy.url}/data/core/ais`,
          AEP_IMS_URL: `${proxy.url}/ims/token/v3`,
        };
        const shown = async (...args: string[]) => {
          const result = await runCliInProcess(args, { env });
          return `${result.stdout}${result.stderr}`;
        };
        const apply = ['apply', manifests, '--state', state, '--auto-approve', '--run-wait', '1s'];
        const reads = [
          ['plan', manifests, '--state', state],
          ['plan', manifests, '--state', state, '--output', 'markdown'],
          ['plan', manifests, '--state', state, '--output', 'json'],
          ['state', 'list', '--state', state],
          ['state', 'show', 'gold', '--state', state],
        ];

        // A status the page never names, with controls in it: in progress.
        proxy.alter(runsAltered((run) => ({ ...run, status: `RUN${HOSTILE}` })));
        const started = await shown(...apply);
        expect(started).toContain(`still RUN${SHOWN}; recorded`);
        const whileRunning = [started, ...(await Promise.all(reads.map((args) => shown(...args))))];
        for (const output of whileRunning) expect(output).not.toMatch(RAW_UNSAFE);
        // Shown (as \u escapes) by the text outputs: apply's line, the plan, state list.
        for (const output of [whileRunning[0], whileRunning[1], whileRunning[4]])
          expect(output).toContain(`RUN${SHOWN}`);

        // Then FAILED, for a reason with controls in it.
        proxy.alter(runsAltered((run) => ({ ...run, status: 'FAILED', failureReason: `why${HOSTILE}` })));
        const failed = [await shown(...apply, '--refresh')];
        for (const args of reads) failed.push(await shown(...args));
        for (const output of failed) expect(output).not.toMatch(RAW_UNSAFE);
        expect(failed.join('\n')).toContain(`why${SHOWN}`);
      } finally {
        await proxy.close();
      }
    });
  });
});
