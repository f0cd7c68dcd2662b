import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { reconcilePass, remoteAudiences, withInProcessController } from './helpers/in-process.js';

/**
 * Review 34c, L-1. docs/controller.md: an incremental read gives "the same diagnostics" as
 * reading every file. A manifest renamed to a name the default selection leaves out
 * (`silver.YAML`, `.silver.yaml`) is the warning source/not-selected ("not read: ...") on a full
 * read; an incremental pass (webhook, watch) says nothing on /status, until the next resync.
 * A new audience written so is not created, silently, on every pass until then.
 */
describe('a file the default selection leaves out, read incrementally', () => {
  it('git: the webhook pass warns that silver.YAML is not read, as a full read does', async () => {
    await withInProcessController({ source: 'git' }, async (c) => {
      await c.git!.commit({
        'audiences/gold.yaml': quiet('gold'),
        'audiences/silver.yaml': quiet('silver'),
      });
      c.reconciler.trigger('startup');
      await c.reconciler.settled();
      expect(remoteAudiences(c)).toEqual(['Audience gold', 'Audience silver']);

      await c.git!.commit({
        'audiences/silver.yaml': null,
        'audiences/silver.YAML': quiet('silver'),
        'audiences/bronze.YAML': quiet('bronze'),
      });
      c.reconciler.trigger('webhook');
      await c.reconciler.settled();
      expect((await c.status()).diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual([
        'bronze.YAML source/not-selected',
        'silver.YAML source/not-selected',
      ]);
    });
  });

  it('dir: the watch pass warns that .silver.yaml is not read, as a full read does', async () => {
    await withInProcessController({ source: 'dir' }, async (c) => {
      await writeFile(path.join(c.dir, 'gold.yaml'), quiet('gold'));
      await writeFile(path.join(c.dir, 'silver.yaml'), quiet('silver'));
      c.reconciler.trigger('startup');
      await c.reconciler.settled();
      expect(remoteAudiences(c)).toEqual(['Audience gold', 'Audience silver']);

      await rename(path.join(c.dir, 'silver.yaml'), path.join(c.dir, '.silver.yaml'));
      await reconcilePass(c);
      expect((await c.status()).diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual([
        '.silver.yaml source/not-selected',
      ]);
    });
  });
});
