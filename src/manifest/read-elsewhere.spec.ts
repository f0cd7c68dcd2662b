import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../../test/helpers/cli.js';
import { loadTexts, manifestYaml, manifestYamlSpelled } from '../../test/helpers/manifests.js';
import { appliedSpec } from '../../test/state/helpers.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import { directoriesAbove, findManifestsElsewhere, LEVELS_UP, namePiece } from './read-elsewhere.js';
import { bareRecord as record } from '../../test/state/helpers.js';

describe('findManifestsElsewhere: manifests a plan did not read, for the records it would remove', () => {
  it('with filters, reads the files they leave out under the directory (with the default sandbox), not those they read', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, {
        'loyalty/gold.yaml': manifestYaml('silver'),
        'partners/gold.yaml': manifestYaml('gold'),
        'partners/other.yaml': manifestYaml('tin', { metadata: { sandbox: 'stage' } }),
      });
      const found = await findManifestsElsewhere([record('gold'), record('silver'), record('tin')], {
        dir: tmp,
        include: ['loyalty/**'],
        defaultSandbox: 'dev',
        above: false,
      });
      expect(found).toEqual([
        { kind: 'out-of-scope', sandbox: 'dev', key: 'gold', file: 'partners/gold.yaml' },
        { kind: 'out-of-scope', sandbox: 'stage', key: 'tin', file: 'partners/other.yaml' },
      ]);
      // Without filters the plan read everything under the directory: nothing is out of scope.
      expect(
        await findManifestsElsewhere([record('gold')], { dir: tmp, defaultSandbox: 'dev', above: false }),
      ).toEqual([]);
    });
  });

  it('above: at the record file under a directory above, then anywhere in it (a moved file, a record naming none)', async () => {
    await withTempDir(async (tmp) => {
      const m = path.join(tmp, 'm');
      await writeFiles(m, {
        'loyalty/gold.yaml': manifestYaml('gold'),
        'retail/bronze.yaml': manifestYaml('bronze'),
        'retail/moved.yaml': manifestYaml('copper'),
        'old.yaml': manifestYaml('legacy'),
        // The file recorded for tin now holds another audience: tin's manifest is gone.
        'retail/tin.yaml': manifestYaml('zinc'),
      });
      const records = [
        record('bronze', 'retail/bronze.yaml'),
        record('copper', 'web.yaml'),
        record('legacy'),
        record('tin', 'retail/tin.yaml'),
      ];
      const show = (absolute: string) => path.relative(tmp, absolute);
      const source = { dir: path.join(m, 'loyalty'), defaultSandbox: 'prod', show };
      const above = (key: string, file: string) => ({
        kind: 'above',
        sandbox: 'prod',
        key,
        file,
        dir: 'm',
        under: 'loyalty',
      });
      const keyOf = (m: ManifestElsewhere) => (m.kind === 'applied-from' ? '' : m.key);
      const byKey = (a: ManifestElsewhere, b: ManifestElsewhere) => (keyOf(a) < keyOf(b) ? -1 : 1);
      expect((await findManifestsElsewhere(records, source)).sort(byKey)).toEqual([
        above('bronze', 'm/retail/bronze.yaml'),
        above('copper', 'm/retail/moved.yaml'),
        above('legacy', 'm/old.yaml'),
      ]);
      // No removed record's file found above: a record the plan matched says where they came
      // from, its recorded file being `loyalty/<the file read>`.
      const moved = records.slice(1);
      expect(
        (await findManifestsElsewhere(moved, source, [record('gold', 'loyalty/gold.yaml')])).sort(byKey),
      ).toEqual([above('copper', 'm/retail/moved.yaml'), above('legacy', 'm/old.yaml')]);
      // Nothing says it when no record was applied from above: another file, key or sandbox.
      for (const other of [
        record('gold', 'gold.yaml'),
        record('gold', 'loyalty/silver.yaml'),
        record('silver', 'loyalty/gold.yaml'),
        record('gold', 'loyalty/gold.yaml', 'dev'),
      ]) {
        expect(await findManifestsElsewhere(moved, source, [other])).toEqual([]);
      }
      // The removed records themselves say nothing.
      expect(await findManifestsElsewhere(moved, source, moved)).toEqual([]);
      // Said, with nothing found above to say it (tin's manifest is gone): the directory alone.
      const gold = record('gold', 'loyalty/gold.yaml');
      const appliedFromM = { kind: 'applied-from', dir: 'm', under: 'loyalty' };
      expect(await findManifestsElsewhere([record('tin', 'retail/tin.yaml')], source, [gold])).toEqual([
        appliedFromM,
      ]);
      // No removal, a record the plan would re-point from loyalty/gold.yaml to gold.yaml: the same.
      expect(await findManifestsElsewhere([], source, [gold], [gold])).toEqual([appliedFromM]);
      for (const other of [record('gold', 'gold.yaml'), record('silver', 'loyalty/gold.yaml')]) {
        expect(await findManifestsElsewhere([], source, [other], [other])).toEqual([]);
      }
      expect(await findManifestsElsewhere([], source, [gold])).toEqual([]);
      expect(await findManifestsElsewhere([], { ...source, above: false }, [gold], [gold])).toEqual([]);
      // A --base plan's records come from the directory itself.
      expect(await findManifestsElsewhere(records, { ...source, above: false })).toEqual([]);
    });
  });

  it('finds a key spelled with a YAML escape in a double-quoted scalar (`"g\\x6Fld"`) in the files the filters leave out', async () => {
    await withTempDir(async (tmp) => {
      const files = {
        'silver.yaml': manifestYaml('silver'),
        'partners/gold.yaml': manifestYamlSpelled('gold', 'g\\x6Fld'),
      };
      await writeFiles(tmp, files);
      // gold once parsed.
      expect(loadTexts(files).manifests.map((manifest) => manifest.key)).toEqual(['gold', 'silver']);
      const source = { dir: tmp, include: ['silver.yaml'], defaultSandbox: 'prod', above: false };
      expect(await findManifestsElsewhere([record('gold')], source)).toEqual([
        { kind: 'out-of-scope', sandbox: 'prod', key: 'gold', file: 'partners/gold.yaml' },
      ]);
    });
  });

  it('finds a key spelled with a YAML escape (`"\\u0062ronze"`, a `\\` line break) above: at the record file, then anywhere there', async () => {
    await withTempDir(async (tmp) => {
      const m = path.join(tmp, 'm');
      const files = {
        'loyalty/silver.yaml': manifestYaml('silver'),
        'retail/bronze.yaml': manifestYamlSpelled('bronze', '\\u0062ronze'),
        'retail/moved.yaml': manifestYamlSpelled('copper', 'co\\\n        pper'),
      };
      await writeFiles(m, files);
      // bronze and copper once parsed.
      expect(loadTexts(files).manifests.map((manifest) => manifest.key)).toEqual([
        'bronze',
        'copper',
        'silver',
      ]);
      const show = (absolute: string) => path.relative(tmp, absolute);
      const records = [record('bronze', 'retail/bronze.yaml'), record('copper', 'web.yaml')];
      const source = { dir: path.join(m, 'loyalty'), defaultSandbox: 'prod', show };
      expect(await findManifestsElsewhere(records, source)).toEqual([
        {
          kind: 'above',
          sandbox: 'prod',
          key: 'bronze',
          file: 'm/retail/bronze.yaml',
          dir: 'm',
          under: 'loyalty',
        },
        {
          kind: 'above',
          sandbox: 'prod',
          key: 'copper',
          file: 'm/retail/moved.yaml',
          dir: 'm',
          under: 'loyalty',
        },
      ]);
    });
  });

  it('a path above that cannot be a file (a file where a folder is, a link loop) is no file there, not an error', async () => {
    await withTempDir(async (tmp) => {
      await mkdir(path.join(tmp, '.git'));
      await writeFiles(tmp, {
        'm/web.yaml': manifestYaml('copper'),
        // A root file with the name of a folder the records name (ENOTDIR).
        loyalty: 'notes\n',
        'retail/bronze.yaml': manifestYaml('bronze'),
      });
      // ELOOP.
      await symlink('loop', path.join(tmp, 'loop'));
      const records = [
        record('churn-risk', 'loyalty/churn-risk.yaml'),
        record('tin', 'loop/tin.yaml'),
        record('bronze', 'retail/bronze.yaml'),
      ];
      const show = (absolute: string) => path.relative(tmp, absolute);
      expect(
        await findManifestsElsewhere(records, { dir: path.join(tmp, 'm'), defaultSandbox: 'prod', show }),
      ).toEqual([
        { kind: 'above', sandbox: 'prod', key: 'bronze', file: 'retail/bronze.yaml', dir: '', under: 'm' },
      ]);
    });
  });

  it(`goes up to the git work tree's top (the nearest), or a given top; outside one ${LEVELS_UP} levels`, async () => {
    await withTempDir(async (tmp) => {
      const deep = ['a', 'b', 'c', 'd'];
      const dir = path.join(tmp, 'top', ...deep);
      await mkdir(dir, { recursive: true });
      await writeFiles(tmp, { 'top/gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
      // A work tree's top 4 levels above dir, whatever holds the temporary directory (a
      // checkout's .git further up is not reached: the nearest is the top).
      await mkdir(path.join(tmp, 'top', '.git'));
      const records = [record('gold', 'gold.yaml'), record('silver', 'silver.yaml')];
      const show = (absolute: string) => path.relative(tmp, absolute);
      const source = { dir, defaultSandbox: 'prod', show };
      expect(await findManifestsElsewhere(records, source)).toEqual([
        { kind: 'above', sandbox: 'prod', key: 'gold', file: 'top/gold.yaml', dir: 'top', under: 'a/b/c/d' },
      ]);
      // A given top (a git source's checkout) bounds it too.
      expect(await findManifestsElsewhere(records, { ...source, top: path.join(tmp, 'top', 'a') })).toEqual(
        [],
      );
    });
    // Outside a work tree (no limit), the levels above; up to the file system's root.
    const root = path.parse(process.cwd()).root;
    const at = (...parts: string[]) => path.join(root, ...parts);
    expect(directoriesAbove(at('w', 'top', 'a', 'b', 'c'), undefined)).toEqual([
      at('w', 'top', 'a', 'b'),
      at('w', 'top', 'a'),
      at('w', 'top'),
    ]);
    expect(directoriesAbove(at('w', 'top'), undefined)).toEqual([at('w'), root]);
    expect(directoriesAbove(at('w', 'top', 'a', 'b'), at('w', 'top'))).toEqual([
      at('w', 'top', 'a'),
      at('w', 'top'),
    ]);
  });

  it("finds a manifest of the record's sandbox under another key whose spec.name is its audience name (any case), out of scope, above, beside", async () => {
    await withTempDir(async (tmp) => {
      // silver applied as "Loyal members"; now y/silver.yaml names it argent (its text holds no
      // silver: only the name makes it a candidate).
      const silver = { ...record('silver', 'x/silver.yaml'), applied: appliedSpec('Loyal members') };
      await writeFiles(tmp, {
        'm/x/gold.yaml': manifestYaml('gold'),
        // The name folded over two lines (a plain scalar): one space once parsed.
        'm/y/silver.yaml': manifestYaml('argent', { spec: { name: 'LOYAL MEMBERS' } }).replace(
          'name: LOYAL MEMBERS',
          'name: LOYAL\n      MEMBERS',
        ),
        // Another sandbox's manifest of that name is another audience.
        'm/y/dev.yaml': manifestYaml('dev-argent', {
          metadata: { sandbox: 'dev' },
          spec: { name: 'Loyal members' },
        }),
      });
      const renamed = (file: string) => ({
        kind: 'renamed',
        sandbox: 'prod',
        key: 'silver',
        file,
        as: 'argent',
      });
      const m = path.join(tmp, 'm');
      const filtered = { dir: m, include: ['x/**'], defaultSandbox: 'prod', above: false };
      expect(await findManifestsElsewhere([silver], filtered)).toEqual([renamed('y/silver.yaml')]);
      // A record that knows no name (written before one was recorded) is looked for by key only.
      expect(await findManifestsElsewhere([record('silver', 'x/silver.yaml')], filtered)).toEqual([]);
      // Another sandbox's record of that name: not its manifest.
      expect(await findManifestsElsewhere([{ ...silver, sandbox: 'stage' }], filtered)).toEqual([]);
      // Above a subdirectory, once a record the plan matched says where they were applied from.
      const sub = { dir: path.join(m, 'x'), defaultSandbox: 'prod', top: tmp };
      expect(await findManifestsElsewhere([silver], sub, [record('gold', 'x/gold.yaml')])).toEqual([
        renamed('../y/silver.yaml'),
        { kind: 'applied-from', dir: '..', under: 'x' },
      ]);
      // Beside: the record's own file, renamed in place.
      await mkdir(path.join(tmp, '.git'));
      await writeFiles(tmp, { 'web/news.yaml': manifestYaml('news') });
      const beside = { ...silver, manifestFile: 'y/silver.yaml', sourceRoot: 'm' };
      const web = { dir: path.join(tmp, 'web'), defaultSandbox: 'prod' };
      expect(await findManifestsElsewhere([beside], web)).toEqual([renamed('../m/y/silver.yaml')]);
    });
  });

  it('a file that holds the key and fails to parse, or cannot be read as text (too large, not UTF-8), may name the record', async () => {
    await withTempDir(async (tmp) => {
      const syntax = (key: string) => manifestYaml(key).replace('ttlInDays: 30', 'ttlInDays: [');
      await writeFiles(tmp, {
        'x/news.yaml': manifestYaml('news'),
        'y/gold.yaml': syntax('gold'),
        // Only gold-2 and golden: no whole word gold.
        'y/other.yaml': syntax('gold-2').replace('Audience gold-2', 'golden'),
      });
      const errors = (file: string, key = 'gold', sandbox = 'prod') => ({
        kind: 'broken',
        sandbox,
        key,
        file,
        fault: 'errors',
        detail: 'line 22: Flow sequence in block collection must be sufficiently indented and end with a ]',
      });
      const filtered = { dir: tmp, include: ['x/**'], defaultSandbox: 'prod', above: false };
      // Whatever sandbox the file would name: each record of the key.
      expect(
        await findManifestsElsewhere(
          [record('gold'), record('gold', undefined, 'dev'), record('silver')],
          filtered,
        ),
      ).toEqual([errors('y/gold.yaml'), errors('y/gold.yaml', 'gold', 'dev')]);
      expect(await findManifestsElsewhere([record('gold-3'), record('golden-2')], filtered)).toEqual([]);

      // Over the limit given, and not UTF-8: its bytes hold the key.
      await writeFiles(tmp, { 'y/gold.yaml': manifestYaml('gold') });
      const unreadable = (detail: string) => ({
        kind: 'broken',
        sandbox: 'prod',
        key: 'gold',
        file: 'y/gold.yaml',
        fault: 'unreadable',
        detail,
      });
      const size = manifestYaml('gold').length;
      expect(await findManifestsElsewhere([record('gold')], { ...filtered, maxFileBytes: 100 })).toEqual([
        unreadable(`file is ${size} bytes, over the 100-byte limit`),
      ]);
      expect(await findManifestsElsewhere([record('silver')], { ...filtered, maxFileBytes: 100 })).toEqual(
        [],
      );
      await writeFile(
        path.join(tmp, 'y/gold.yaml'),
        Buffer.from(`# caf\u00e9\n${manifestYaml('gold')}`, 'latin1'),
      );
      expect(await findManifestsElsewhere([record('gold')], filtered)).toEqual([
        unreadable('invalid UTF-8 at byte 5; manifests must be UTF-8 text'),
      ]);
    });
  });

  // Linux's count of the bytes this thread has read (/proc/thread-self/io): the search reads
  // synchronously, on the thread that calls it.
  const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/thread-self/io', 'utf8'))?.[1]);

  it.skipIf(!existsSync('/proc/thread-self/io'))(
    "does not look through the bytes of a file too large that claims to be a manifest (a store's manifest cache): only a manifest parsed from it names a record",
    async () => {
      await withTempDir(async (tmp) => {
        // 8 MB, claiming in its first line, naming gold as a word in its last.
        const cache = `{"apiVersion":"audiencectl/v1"}\n${'"tin"\n'.repeat(1400 * 1024)}"gold"\n`;
        await writeFiles(tmp, { 'x/news.yaml': manifestYaml('news'), 'y/manifest-cache.jsonl': cache });
        const filtered = { dir: tmp, include: ['x/**'], defaultSandbox: 'prod', above: false };
        const before = bytesRead();
        expect(await findManifestsElsewhere([record('gold')], filtered)).toEqual([]);
        // Its head is read (does it claim?), not its 8 MB.
        expect(bytesRead() - before).toBeLessThan(1024 * 1024);
      });
    },
  );

  it('namePiece: the longest run of ASCII letters and digits, or caseless characters, of a name', () => {
    expect(namePiece('Audience silver')).toBe('Audience');
    expect(namePiece('Über Kunden 2026')).toBe('Kunden');
    expect(namePiece('高額顧客 VIP')).toBe('高額顧客');
    expect(namePiece("it's")).toBe('it');
    expect(namePiece('ÉÉ !')).toBeUndefined();
  });
});
