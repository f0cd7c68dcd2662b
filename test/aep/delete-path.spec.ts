import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * The page writes the DELETE path without a trailing slash ("API format") and with one (its
 * curl sample). Against a service that serves only the curl's spelling, the other is a 404:
 * read as "already deleted", the record went and the audience stayed, with "deleted" reported.
 */
describe('a removed manifest against a service that serves DELETE at one spelling only', () => {
  it.each(['slash', 'bare'] as const)('deletes the audience (deletePath %s)', async (deletePath) => {
    await withExecutor({ compat: { deletePath } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';

      const outcome = await env.apply([gold]);
      const deleted = outcome.report?.results.find((result) => result.step.key === 'silver');
      expect(deleted?.status).toBe('applied');
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName)).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
      const answered = env.emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'deleteAudience' && entry.status === 204)
        .map((entry) => entry.path);
      const expected = `/data/core/ais/external-audience/${silverId}${deletePath === 'slash' ? '/' : ''}`;
      expect(answered).toEqual([expected]);
    });
  });
});
