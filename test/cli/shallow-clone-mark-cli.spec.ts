import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { bothStores, metaOf } from '../helpers/marks.js';
import { audienceNames, gitIn, repositoryWithRemote, shallowClone } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';

/**
 * A CI job's shallow clone (actions/checkout's depth 1) of the subgroup's
 * marketing/emea/audiences applies; the group's emea/audiences (a full clone) then applies to
 * the same store. The shallow clone's cut-off commit would pass for a root, so its mark records
 * none, and the two paths are taken for one repository: emea/audiences is refused as an older
 * checkout. Its mark now says its history was shallow, and the refusal says that is why the
 * root commits did not tell the two apart. Real git, the built CLI, the emulator over HTTP,
 * directory and PostgreSQL stores.
 */
const postgres = usePostgres();
const A_URL = 'https://gitlab.com/marketing/emea/audiences.git';
const B_URL = 'git@gitlab.com:emea/audiences.git';

describe("a shallow clone's apply, then another repository whose path differs by a prefix", () => {
  it.each(bothStores(postgres))('$name store: the mark says shallow, and the refusal why', async (kind) => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await repositoryWithRemote(root, 'a', A_URL, ['a1']);
        await a.git('commit', '--quiet', '--allow-empty', '-m', 'second');
        const clone = path.join(root, 'a-shallow');
        await shallowClone(a.repo, clone);
        await gitIn(clone)('remote', 'set-url', 'origin', A_URL);
        const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);
        const state = await kind.location(root);
        const env = emulatorEnv(emulator);
        const apply = (repo: string) =>
          runCli(['apply', 'audiences', '--state', state, '--auto-approve'], { cwd: repo, env });

        const first = await apply(clone);
        expect(first.code, first.stderr).toBe(0);
        const mark = (await metaOf(state))?.revisions?.prod;
        expect(mark?.repository).toBe('marketing/emea/audiences');
        expect(mark?.roots).toBeUndefined();
        expect(mark?.shallow).toBe(true);

        const refused = await apply(b.repo);
        expect(refused.code).toBe(1);
        expect(refused.stderr.replace(/\s+/g, ' ')).toContain(
          "Their root commits could not tell them apart: marketing/emea/audiences's mark was applied from a shallow history",
        );
        expect(audienceNames(emulator)).toEqual(['Audience a1']);
      }),
    );
  });
});
