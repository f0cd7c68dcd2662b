import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { startAlteringProxy } from '../helpers/altering-proxy.js';
import { withTempDir } from '../helpers/cli.js';
import { audiencesByName, manifest, story, type Story } from '../helpers/cli-story.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// Review 33b, H-2. A removed manifest's audience, applied with AEP_BASE_URL one letter off
// (`/data/core/aiss`) or pointing at the Audiences API (`/data/core/ups`, the other AEP path the
// docs print). The verified delete confirms the id through the Audiences API, which the client
// derives as `.../core/ups` and which answers: the audience exists. The DELETE then goes to
// `<base>/external-audience/{id}` (and `.../{id}/`), a path the service does not serve: a JSON
// 404 (the emulator's unknown-path 404, 100940-404, as AEP's gateway answers JSON for unknown
// routes). Read as "already gone", the apply printed `ok ... delete: deleted <id>`, exited 0, and
// dropped the record to a runs-only one, while the audience stayed on the service, managed by
// nobody. The 404 is now believed only when the audience, read again as the confirmation read
// it, is no longer listed.

/** Typo A applied with the right base URL, then its manifest removed; its record's text and id. */
async function removedAfterApply(s: Story): Promise<{ file: string; before: string; id: string }> {
  await s.write({ 'a.yaml': manifest('typo-a', 'Typo A', '  onCreate: false\n') });
  expect((await s.apply()).code).toBe(0);
  await rm(path.join(s.dir, 'm', 'a.yaml'));
  const file = path.join(s.state, 'audiences', 'prod', 'typo-a.json');
  const before = await readFile(file, 'utf8');
  const id = (JSON.parse(before) as { audienceId: string }).audienceId;
  expect(id).toMatch(/^[-0-9a-f]{36}$/);
  return { file, before, id };
}

const withStory = (fn: (emulator: TestEmulator, s: Story) => Promise<void>) =>
  withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, (emulator) =>
    withTempDir(async (dir) => fn(emulator, await story(emulator, dir, {}, { inProcess: true }))),
  );

describe('review-33b H-2: a base URL whose path the service does not serve', () => {
  for (const wrong of ['/data/core/aiss', '/data/core/ups']) {
    it(`never reports a delete that did not happen (AEP_BASE_URL=...${wrong})`, async () => {
      await withStory(async (emulator, s) => {
        const { file, before, id } = await removedAfterApply(s);

        s.env.AEP_BASE_URL = `${emulator.url}${wrong}`;
        const result = await s.apply('--allow-empty-source');
        // The service still holds it: nothing was deleted.
        expect(audiencesByName(emulator)).toEqual({ 'Typo A': 1 });
        expect(result.stdout).not.toMatch(/ok {7}prod\/typo-a delete: deleted /);
        expect(result.code).toBe(1);
        const url = `${emulator.url}${wrong}/external-audience/${id}`;
        expect(result.stdout.split('\n').filter((line) => /^\S+ +prod\/typo-a delete:/.test(line))).toEqual([
          `FAILED   prod/typo-a delete: DELETE failed: DELETE ${url} and ${url}/ answered HTTP 404 while the Audiences API still lists ${id}: the path of the base URL is likely wrong (AEP_BASE_URL, or baseUrl in the config file); nothing was deleted and the record is kept`,
        ]);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(result.stdout + result.stderr).not.toContain(DEMO_CLIENT.clientSecret);
        expect(await readFile(file, 'utf8'), 'the record is unchanged').toBe(before);

        // With the base URL put right, the same apply deletes it.
        s.env.AEP_BASE_URL = `${emulator.url}/data/core/ais`;
        const fixed = await s.apply('--allow-empty-source');
        expect(fixed.stdout).toContain(`ok       prod/typo-a delete: deleted ${id}\n`);
        expect(fixed.code).toBe(0);
        expect(audiencesByName(emulator)).toEqual({});
      });
    });
  }
});

describe("a DELETE answered the service's 404 at both spellings, with the right base URL", () => {
  it('is gone when the audience was deleted in the UI after the check before the DELETE: the record dropped, exit 0', async () => {
    await withStory(async (emulator, s) => {
      const { file, id } = await removedAfterApply(s);
      const proxy = await startAlteringProxy(emulator.url);
      try {
        // The colleague's delete lands between the confirmation read and the DELETE: the
        // emulator answers the DELETE (at both spellings) with its own 404 for an audience it
        // no longer has.
        proxy.rewrite((url) => {
          if (url === `/data/core/ais/external-audience/${id}` && audiencesByName(emulator)['Typo A'] === 1)
            emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', id);
          return url;
        });
        s.env.AEP_BASE_URL = `${proxy.url}/data/core/ais`;
        const result = await s.apply('--allow-empty-source');
        expect(result.stdout).toContain(`ok       prod/typo-a delete: deleted ${id}\n`);
        expect(result.code).toBe(0);
        const statuses = emulator.control
          .requestLog()
          .filter((entry) => entry.endpoint === 'deleteAudience')
          .map((entry) => [entry.path, entry.status]);
        expect(statuses).toEqual([
          [`/data/core/ais/external-audience/${id}`, 404],
          [`/data/core/ais/external-audience/${id}/`, 404],
        ]);
        await expect(readFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        await proxy.close();
      }
    });
  });

  it('is no "gone" when reading the audience again fails: the step fails, the record kept', async () => {
    await withStory(async (emulator, s) => {
      const { file, before, id } = await removedAfterApply(s);
      const proxy = await startAlteringProxy(emulator.url);
      try {
        // The DELETE goes to a path the service does not serve (its JSON 404), and the read
        // after it is refused (a 403, not retried): no answer says the audience is gone.
        proxy.rewrite((url) => {
          if (url.startsWith('/data/core/aiss/') && url.endsWith('/'))
            emulator.control.queueFault({ kind: 'clientError', status: 403, endpoint: 'bulkGetAudiences' });
          return url;
        });
        s.env.AEP_BASE_URL = `${proxy.url}/data/core/aiss`;
        const result = await s.apply('--allow-empty-source');
        expect(result.code).toBe(1);
        const lines = result.stdout.split('\n').filter((line) => /^\S+ +prod\/typo-a delete:/.test(line));
        expect(lines).toHaveLength(1);
        const url = `${proxy.url}/data/core/aiss/external-audience/${id}`;
        expect(lines[0]).toMatch(
          new RegExp(
            `^FAILED {3}prod/typo-a delete: DELETE failed: DELETE ${url} and ${url}/ answered HTTP 404, and reading ${id} again to tell whether it is gone failed \\(.*HTTP 403.*\\), so it is not read as deleted; the record is kept$`,
          ),
        );
        expect(audiencesByName(emulator)).toEqual({ 'Typo A': 1 });
        expect(await readFile(file, 'utf8'), 'the record is unchanged').toBe(before);
      } finally {
        await proxy.close();
      }
    });
  });
});
