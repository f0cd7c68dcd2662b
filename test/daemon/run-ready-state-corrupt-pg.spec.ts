import { describe, expect, it } from 'vitest';
import { usePostgres } from '../state/pg.js';
import { appliedByFirstController, controllerSpec } from './helpers/controller-spec.js';
import { expectReadyAgain, expectUnready, startedOnSpoiledStore } from './helpers/spoiled-store.js';

/**
 * run-ready-state-corrupt's case on a PostgreSQL store: a row whose record fails its schema (an
 * UPDATE by hand, a restore of another release's rows) fails every pass before it plans, as a
 * record file that is not JSON does. Its code is the directory store's, STATE_CORRUPT, which
 * alone made the controller unready (27b1b6d7): no process had shown it of this store. Expected:
 * not ready, the reason naming the row and never the database password, no step taken, and
 * ready again by itself once the row is mended.
 *
 * Here: a first controller (the built CLI) creates gold and silver in a fresh schema; gold's row
 * is then given a deletionPolicy no release writes and silver's manifest changed, and a second
 * controller started on them; later gold's row is written back as it was.
 */
const postgres = usePostgres();
const spec = controllerSpec('run-ready-state-corrupt-pg-');

describe(
  'a controller whose PostgreSQL store holds a row that fails the record schema',
  { timeout: 90_000 },
  () => {
    it('is not ready, says why without the password, takes no step, and is ready again once the row is mended', async () => {
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema') ?? '';
      const password = decodeURIComponent(new URL(location).password);
      const applied = await appliedByFirstController(spec, ['gold', 'silver'], location);

      const [row] = await postgres.query<{ body: unknown }>(
        `SELECT body FROM "${schema}".audiences WHERE sandbox = 'prod' AND key = 'gold'`,
      );
      expect(row?.body).toMatchObject({ deletionPolicy: 'Delete' });
      await postgres.query(
        `UPDATE "${schema}".audiences SET body = body || '{"deletionPolicy": "Shred"}' WHERE sandbox = 'prod' AND key = 'gold'`,
      );

      // Two passes failed (the startup pass and a retry), both before they planned.
      const spoiled = await startedOnSpoiledStore(spec, applied, 'STATE_CORRUPT');
      const reason = await expectUnready(
        spoiled,
        'STATE_CORRUPT',
        /^the state store cannot be read: STATE_CORRUPT: row prod\/gold of table "[^"]+"\.audiences in PostgreSQL state postgres:\/\/\S+ does not match the state schema at deletionPolicy/,
      );
      expect(reason).toContain('`audiencectl state forget gold --sandbox prod --state ');
      expect(reason).not.toContain(password);

      await postgres.query(
        `UPDATE "${schema}".audiences SET body = $1::jsonb WHERE sandbox = 'prod' AND key = 'gold'`,
        [JSON.stringify(row?.body)],
      );
      await expectReadyAgain(spoiled, 'a pass succeeded once the row was mended');
    });
  },
);
