import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * Review 32, M-5. A folder whose name holds a line terminator (a CR, as a script reading team
 * names from a CRLF list makes with `mkdir "aud/$team"`; or LF, U+2028) is not matched by the
 * default `**\/*.yaml`: its manifests are silently not read (no note, not counted), and an
 * audience recorded from a file there is deleted as a removed manifest. The same folder with a
 * tab, ESC or DEL in its name is read. Likewise `one.yaml\r`, `two.yaml ` (a CRLF list's names):
 * not read, and now named so (`source/not-selected`) and held, as `b.YAML` is. The built CLI, the
 * emulator over HTTP.
 */
describe('manifests in a folder whose name ends in a carriage return', () => {
  it('are read (or named and held), never silently skipped and deleted', async () => {
    await cliBench(async ({ tmp, cli, setUp, emulator }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(path.join(aud, 'mkt'), { recursive: true });
      await writeFile(path.join(aud, 'mkt/gold.yaml'), manifestYaml('gold'));
      await writeFile(path.join(aud, 'web.yaml'), manifestYaml('web'));
      const first = await setUp('apply', aud, '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);

      await rename(path.join(aud, 'mkt'), path.join(aud, 'mkt\r'));
      const applied = await cli('apply', aud, '--auto-approve');
      expect(applied.stdout).not.toContain('prod/gold delete');
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience web']);

      const validated = await runCli(['validate', aud]);
      expect(validated.stdout).not.toContain('1 valid manifest(s); 0 error(s), 0 warning(s)');
      expect(validated.stdout).toBe('2 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n');
    });
  });

  it('in folders named with LF or U+2028 are read, by default and by an --include of their parent', async () => {
    await cliBench(async ({ tmp }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(path.join(aud, 'teams/a\nb'), { recursive: true });
      await mkdir(path.join(aud, 'teams/c\u2028d/e'), { recursive: true });
      await writeFile(path.join(aud, 'teams/a\nb/gold.yaml'), manifestYaml('gold'));
      await writeFile(path.join(aud, 'teams/c\u2028d/e/silver.yaml'), manifestYaml('silver'));
      await writeFile(path.join(aud, 'web.yaml'), manifestYaml('web'));

      const all = await runCli(['validate', aud]);
      expect(all.stdout + all.stderr).toBe(
        '3 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n',
      );
      const teams = await runCli(['validate', aud, '--include', 'teams/**']);
      expect(teams.stdout + teams.stderr).toBe(
        '2 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n',
      );
      const excluded = await runCli(['validate', aud, '--exclude', 'teams/**']);
      expect(excluded.stdout + excluded.stderr).toBe(
        '1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n',
      );
    });
  });

  it('a manifest renamed with a trailing CR or space after .yaml is named as not read and held', async () => {
    await cliBench(async ({ tmp, cli, setUp, emulator }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      for (const key of ['one', 'two', 'three'])
        await writeFile(path.join(aud, `${key}.yaml`), manifestYaml(key));
      const first = await setUp('apply', aud, '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);

      await rename(path.join(aud, 'one.yaml'), path.join(aud, 'one.yaml\r'));
      await rename(path.join(aud, 'two.yaml'), path.join(aud, 'two.yaml '));
      const applied = await cli('apply', aud, '--auto-approve');
      expect(applied.stdout).not.toContain('prod/one delete');
      expect(applied.stdout).not.toContain('prod/two delete');
      expect(audienceNames(emulator)).toEqual(['Audience one', 'Audience three', 'Audience two']);

      const validated = await runCli(['validate', aud]);
      expect(validated.stdout).toContain(
        `${aud}/one.yaml\\u000D: warning: not read: audiencectl reads files ending in .yaml or .yml (this one ends in ".yaml\\u000D") [source/not-selected]\n`,
      );
      expect(validated.stdout).toContain(
        `${aud}/two.yaml : warning: not read: audiencectl reads files ending in .yaml or .yml (this one ends in ".yaml ") [source/not-selected]\n`,
      );
      expect(validated.stdout).not.toContain('\r');
    });
  });
});
