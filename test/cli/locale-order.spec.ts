import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// Locales whose collation orders plain ASCII names differently: under cs_CZ "ch" sorts
// after "h", under lt_LT "y" before "j", under da_DK "aa" after "z". ICU takes the
// locale from LC_ALL whether or not the system has it installed.
const LOCALES = ['C.UTF-8', 'cs_CZ.UTF-8', 'lt_LT.UTF-8', 'da_DK.UTF-8'];

function broken(name: string): string {
  return manifestYaml(name).replace('sourceSpec:', 'sourcespec:');
}

describe('the order of files, manifests and diagnostics does not depend on the locale', () => {
  it('validate and a saved plan say the same under every locale, in code-point order', async () => {
    await withTempDir(async (dir) => {
      const manifests = path.join(dir, 'manifests');
      await writeFiles(manifests, {
        'h/h-spring.yaml': manifestYaml('h-spring'),
        'ch/ch-summer.yaml': manifestYaml('ch-summer'),
        'y/y-two.yaml': manifestYaml('y-two'),
        'j/j-three.yaml': manifestYaml('j-three'),
        'aa/aa-four.yaml': manifestYaml('aa-four'),
        'z/z-five.yaml': manifestYaml('z-five'),
        'Broken/b-bad.yaml': broken('b-bad'),
        'ch/ch-bad.yaml': broken('ch-bad'),
        'h/h-bad.yaml': broken('h-bad'),
      });
      const runs = await Promise.all(
        LOCALES.map(async (locale) => {
          const env = { LC_ALL: locale, LANG: locale };
          const out = path.join(dir, `${locale}.plan.json`);
          const state = path.join(dir, `${locale}.state`);
          const validate = await runCli(['validate', 'manifests', '--output', 'json'], { env, cwd: dir });
          const plan = await runCli(['plan', manifests, '--state', state, '--output', 'json', '--out', out], {
            env,
          });
          expect(plan.code).toBe(1); // the broken files
          expect(plan.stderr).toMatch(/^Plan: 6 to create/m);
          const saved = JSON.parse(await readFile(out, 'utf8')) as { origin: { manifestsDigest: string } };
          return { validate: validate.stdout, digest: saved.origin.manifestsDigest };
        }),
      );
      for (const run of runs.slice(1)) expect(run).toEqual(runs[0]);

      const files = (JSON.parse(runs[0]!.validate) as Array<{ file: string }>).map((d) => d.file);
      expect([...new Set(files)]).toEqual([
        'manifests/Broken/b-bad.yaml',
        'manifests/ch/ch-bad.yaml',
        'manifests/h/h-bad.yaml',
      ]);
    });
  });
});
