import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A record file copied by hand under another key (`cp gold.json gold-copy.json`, its key edited
 * to match): the copy holds gold's audience and names gold's manifest, which is still there.
 * Its removal planned `- prod/gold-copy delete: manifest removed (gold.yaml)` and apply deleted
 * gold's audience. It is held; gold and silver stay.
 */
const quiet = { ingestion: { onCreate: false } };

describe('a record copied under another key in a directory store', () => {
  it("neither plans nor applies the deletion of the audience it shares with gold's record", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const manifests = path.join(root, 'audiences');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        await mkdir(manifests);
        await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold', quiet));
        await writeFile(path.join(manifests, 'silver.yaml'), manifestYaml('silver', quiet));
        expect((await apply(manifests, state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

        const records = path.join(state, 'audiences', 'prod');
        const gold = JSON.parse(await readFile(path.join(records, 'gold.json'), 'utf8')) as {
          key: string;
          audienceId: string;
        };
        await writeFile(path.join(records, 'gold-copy.json'), JSON.stringify({ ...gold, key: 'gold-copy' }));

        const planned = await runCli(['plan', manifests, '--state', state], { env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/gold-copy\s+delete/);
        expect(planned.stdout.replace(/\s+/g, ' ')).toContain(
          `prod/gold-copy: its audience ${gold.audienceId} is also recorded for prod/gold, whose manifest gold.yaml is read: a record copied outside audiencectl?; the audience is left as it is; if this record is a copy, drop it with \`audiencectl state forget gold-copy --sandbox prod --state ${state}\``,
        );
        const applied = await runCli(['apply', manifests, '--state', state, '--auto-approve'], { env });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
      }),
    );
  });
});
