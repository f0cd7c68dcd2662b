import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { appliedGoldAndSilver, distFilesLoaded, packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The HTTP client (got, p-queue and its eventemitter3) is loaded at the first call, not
 * when an apply connects: an apply with nothing to do sends none, and paid the loading of all
 * of them (about 0.05 CPU-s of its 0.6). Measured as plan-start-up-loads.spec.ts measures a
 * plan: a loader hook records every module the process loads.
 */
const THE_HTTP_CLIENT = ['got', 'p-queue', 'eventemitter3'];

/**
 * The proxy agents (hpagent, and node:https and node:net through proxy.ts) are made
 * with the client: an apply that connects checks only the proxy variables
 * (src/aep/proxy-variables.ts), and loaded the agents' modules for that check.
 */
const THE_PROXY_AGENTS = 'hpagent';
const THE_AGENTS_BUILTINS = ['node:https', 'node:net'];

/**
 * Not even at the first call: the configuration file's reader (an apply with credentials in the
 * environment made its client through src/config.ts, whose re-exports load the file's reader and
 * yaml) and pino (the CLI gives the client no logger; the client imported pino's module for a
 * helper that never calls it). Each was loaded by every apply that sent a request.
 */
const NEVER_ON_THE_APPLY_PATH = ['yaml', 'pino'];

/**
 * The configuration file's reader (the yaml library, with zod's schema of the file) is loaded
 * for a configuration file only: an apply whose credentials are AEP_* variables (a CI job's)
 * paid its loading (~0.04 CPU-s) for a file it was not given (src/config/check.ts).
 */
const THE_FILE_READER = 'yaml';

/**
 * A saved plan's schema (zod's ~150 schemas of the plan format, built when its module loads) is
 * read for a saved plan only: every apply of a directory built it to validate nothing.
 */
const THE_SAVED_PLAN_SCHEMA = 'src/plan/schema.ts';

/** The source files (ours, `src/...`) bundled into the chunks of dist/ listed in `log`, read from their source maps. */
function sourcesLoaded(log: string): Set<string> {
  const dist = path.resolve(import.meta.dirname, '../../dist');
  const sources = new Set<string>();
  for (const file of distFilesLoaded(log)) {
    const map = JSON.parse(readFileSync(path.join(dist, `${file}.map`), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const ours = /(?:^|\/)(src\/.+)$/.exec(source)?.[1];
      if (ours && !source.includes('node_modules')) sources.add(ours);
    }
  }
  return sources;
}

/** The built-ins an ES module imported, as the loader hook saw them (`node:https`). */
function builtinsLoaded(log: string): Set<string> {
  return new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('node:')),
  );
}

describe('apply: the HTTP client loads at the first call, the configuration file reader for a file', () => {
  it('an apply with nothing to do loads none of them (credentials in the environment); one given --config loads the reader; one with a change loads the client and applies the change', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const args = await appliedGoldAndSilver(dir, emulator);
        emulator.control.resetCounters();

        const log = path.join(dir, 'loaded.txt');
        const unchanged = await runCli(args, {
          cwd: dir,
          env: { ...emulatorEnv(emulator), ...recordingLoads(dir, log) },
        });
        expect(unchanged).toMatchObject({
          code: 0,
          stdout: 'No changes. The audiences match the manifests.\n',
        });
        const loaded = packagesLoaded(log);
        expect(THE_HTTP_CLIENT.filter((name) => loaded.has(name))).toEqual([]);
        expect(loaded.has(THE_PROXY_AGENTS)).toBe(false);
        expect(THE_AGENTS_BUILTINS.filter((name) => builtinsLoaded(log).has(name))).toEqual([]);
        expect(loaded.has(THE_FILE_READER)).toBe(false);
        const unchangedSources = sourcesLoaded(log);
        expect(unchangedSources.has(THE_SAVED_PLAN_SCHEMA)).toBe(false);
        // The witness sees our sources (it would pass on an empty log otherwise).
        expect(unchangedSources.has('src/cli/commands/apply.ts')).toBe(true);
        // The witness sees the bundle's packages (it would pass on an empty log otherwise).
        expect(loaded.has('commander')).toBe(true);
        expect(emulator.control.requestLog()).toEqual([]);

        // Given a configuration file (the same client, its secret in AEP_CLIENT_SECRET): read
        // through the reader, and still nothing to do.
        const config = path.join(dir, 'aep.yaml');
        await writeFiles(dir, {
          'aep.yaml': `credentials:\n  clientId: ${DEMO_CLIENT.clientId}\n  orgId: ${DEMO_CLIENT.orgId}\n`,
        });
        const configured = await runCli([...args, '--config', config], {
          cwd: dir,
          env: { ...emulatorEnv(emulator), ...recordingLoads(dir, log) },
        });
        expect(configured).toMatchObject({
          code: 0,
          stdout: 'No changes. The audiences match the manifests.\n',
        });
        expect(packagesLoaded(log).has(THE_FILE_READER)).toBe(true);

        // One change: the client is made at its first call, and the change is applied.
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', { ...NO_RUN, spec: { description: 'changed here' } }),
        });
        const changed = await runCli(args, {
          cwd: dir,
          env: { ...emulatorEnv(emulator), ...recordingLoads(dir, log) },
        });
        expect(changed.code, changed.stderr).toBe(0);
        expect(changed.stdout).toMatch(/1 applied/);
        const applied = packagesLoaded(log);
        expect(THE_HTTP_CLIENT.filter((name) => applied.has(name))).toEqual(THE_HTTP_CLIENT);
        // The witness sees the agents' modules where the client is made (it would pass on an empty log).
        expect(applied.has(THE_PROXY_AGENTS)).toBe(true);
        expect(THE_AGENTS_BUILTINS.filter((name) => builtinsLoaded(log).has(name))).toEqual(
          THE_AGENTS_BUILTINS,
        );
        expect(NEVER_ON_THE_APPLY_PATH.filter((name) => applied.has(name))).toEqual([]);
        expect(sourcesLoaded(log).has(THE_SAVED_PLAN_SCHEMA)).toBe(false);
        expect(emulator.control.requestLog().map((entry) => entry.method)).toContain('PATCH');
      });
    });
  });
});
