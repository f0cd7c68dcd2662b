import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { recordingLoads } from '../helpers/loads.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * On Node 22 and later an ES module import of node:http builds its ESM facade, whose lazy
 * WebSocket getters load undici: ~65 ms of CPU in every process that calls the service. The
 * bundle loads node:http through require (scripts/bundle.mjs, httpThroughRequire), which the
 * ESM loader never sees; the loader hook records each built-in an ES module imports.
 */
describe('the built CLI calling the service', () => {
  it('imports node:http through require, never as an ES module (node:https it does import)', async () => {
    await withEmulator({}, async (emulator) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-http-facade-'));
      try {
        const log = path.join(dir, 'loads.log');
        const init = await runCli(['init', '--state', path.join(dir, 'state')], {
          env: { ...emulatorEnv(emulator), ...recordingLoads(dir, log) },
        });
        expect(init.code, init.stderr).toBe(0);
        expect(init.stdout).toContain('issued a token to client');
        const builtins = (await readFile(log, 'utf8')).split('\n').filter((url) => url.startsWith('node:'));
        // The hook sees the built-ins ES modules import (the check would pass on an empty log).
        expect(builtins).toContain('node:https');
        expect(builtins).not.toContain('node:http');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
