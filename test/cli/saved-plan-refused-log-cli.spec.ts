import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review stale-48 (left undone). `apply plan.json` printed "Applying to <url>" and then refused
// the plan (PLAN_STALE, PLAN_MISMATCH): a pipeline's log read as if the apply had started
// calling AEP, though the refusal is made before any call. The line is said once the plan is
// accepted, just before the first call. The built CLI, the emulator over HTTP.

const quiet = { ingestion: { onCreate: false } };

describe('apply of a saved plan that is refused', () => {
  it('says only the refusal, not where it would have applied', async () => {
    await cliBench(async ({ emulator, tmp, cli, setUp }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold', quiet));
      expect((await setUp('plan', aud, '--output', 'json', '--out', 'p.json')).code).toBe(0);

      // Accepted: the line, then the calls.
      const applied = await cli('apply', 'p.json', '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stderr).toBe(`Applying to ${emulator.url}/data/core/ais\n`);

      // The same plan again: stale (the state moved on), refused before any call.
      emulator.control.resetCounters();
      const stale = await cli('apply', 'p.json', '--auto-approve');
      expect(stale.code).toBe(1);
      expect(stale.stdout).toBe('');
      expect(stale.stderr).toMatch(
        /^Error: p\.json is stale: the state changed since it was made \(serial \d+, now \d+\); run plan again\n$/,
      );

      // A plan whose manifests changed since: refused, before any call, in its one line.
      expect((await setUp('plan', aud, '--output', 'json', '--out', 'q.json')).code).toBe(0);
      await writeFile(path.join(aud, 'silver.yaml'), manifestYaml('silver', quiet));
      const mismatch = await cli('apply', 'q.json', '--auto-approve');
      expect(mismatch.code).toBe(1);
      expect(mismatch.stdout).toBe('');
      expect(mismatch.stderr).toMatch(
        /^Error: the plan no longer matches the manifests and state: [^\n]*\n$/,
      );
      expect(emulator.control.counters().requests).toBe(0);
    });
  });
});
