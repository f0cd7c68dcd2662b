import { z } from 'zod';
import type { AudienceIds } from './compat-schema.js';
import type { Compat } from './compat.js';
import { isNotFoundAnswer } from './errors.js';
import { pathSegment } from './path-segment.js';
import { isExternal, type LiveAudience } from './segment-types.js';
import type { Transport } from './transport.js';
import type { CallOptions } from './types.js';

/** A listed audience under the id /core/ais knows it by; `listedId` the list's own, when it differs. */
export type AisAudience = LiveAudience & { listedId?: string };

/**
 * The audiences of an Audiences API list, each under the id the /core/ais calls (PATCH, runs,
 * DELETE) know it by. The notes on the page read an external audience's `id` as that id, and
 * its `audienceId` field as the client's own identifier (a `customAudienceId`); a service may
 * instead show it under an `id` of its own, its `audienceId` field the /core/ais one (the
 * emulator's `audienceIds: distinct`). Read the first way there, an audience found by name
 * (adopted, an interrupted create's, `state import --discover`'s) was recorded under an id
 * /core/ais does not know: its runs list, PATCH and DELETE answered 404.
 *
 * Only an external audience whose two ids differ tells the readings apart. Unless known, the
 * first such is probed: its runs list (a read) at `id`, then at `audienceId`; the one that
 * answers is the reading, remembered (compat `audienceIds`). Neither answering (an audience
 * deleted meanwhile) teaches nothing, and the audience stays as listed. Any other failure of
 * the probe fails the lookup: no id is recorded from a guess.
 */
export function aisIds(transport: Transport, compat: Compat) {
  async function known(sandbox: string, id: string, options: CallOptions | undefined): Promise<boolean> {
    try {
      await transport.call(
        sandbox,
        {
          endpoint: 'listRuns',
          method: 'GET',
          path: `external-audience/${pathSegment(id, 'audienceId')}/runs`,
        },
        z.unknown(),
        options,
      );
      return true;
    } catch (error) {
      if (isNotFoundAnswer(error)) return false;
      throw error;
    }
  }

  async function reading(
    sandbox: string,
    audience: LiveAudience & { audienceId: string },
    options: CallOptions | undefined,
  ): Promise<AudienceIds | undefined> {
    const remembered = compat.audienceIds();
    if (remembered !== undefined) return remembered;
    // `id` first, as the page's notes say to match.
    let learned: AudienceIds | undefined;
    if (await known(sandbox, audience.id, options)) learned = 'same';
    else if (await known(sandbox, audience.audienceId, options)) learned = 'distinct';
    if (learned !== undefined) compat.audienceIdsLearned(learned);
    return learned;
  }

  return async (
    sandbox: string,
    audiences: readonly LiveAudience[],
    options: CallOptions | undefined,
  ): Promise<AisAudience[]> => {
    const resolved: AisAudience[] = [];
    // One after another: the first probe's answer serves the rest.
    for (const audience of audiences) {
      const other = audience.audienceId;
      if (!isExternal(audience) || other === undefined || other === audience.id) {
        resolved.push(audience);
        continue;
      }
      const ids = await reading(sandbox, { ...audience, audienceId: other }, options);
      resolved.push(ids === 'distinct' ? { ...audience, id: other, listedId: audience.id } : audience);
    }
    return resolved;
  };
}
