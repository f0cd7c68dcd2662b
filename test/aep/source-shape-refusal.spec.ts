import { describe, expect, it } from 'vitest';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, failure, spec } from './helpers.js';

// A service that reads `sourceSpec` under `params` (the page's request samples) and enforces the
// newer page's "no spaces in sourceSpec.path". The create is sent in that very shape and refused
// for the space (a 400 naming `sourceSpec.params.path`); the client takes any 400 that names
// sourceSpec for the other shape, sends it flat, and reports the second refusal: "sourceSpec.params:
// is required", which says the user's body lacks what it had, and hides why it was refused.

describe('a create refused for what its sourceSpec holds, not for its shape', () => {
  it("reports the service's refusal of the path, not the other shape's refusal", async () => {
    await withEmulator({ compat: { sourceSpec: 'params' }, newerRules: true }, async (emulator) => {
      const client = clientFor(emulator, { compat: {} });
      const body = spec({
        sourceSpec: { path: 'crm/gold members.csv', type: 'file', sourceType: 'Cloud Storage' },
      });
      const error = await failure(client.createAudience('prod', body));
      expect(error.status).toBe(400);
      expect(error.message).toContain('must not contain spaces');
      expect(error.message).not.toContain('sourceSpec.params: is required');
    });
  });

  // The flat reading cannot tell a content refusal from a shape one by its path
  // (`sourceSpec.path`): the other shape is tried, and its refusal is said after the first.
  const spaced = { path: 'crm/gold members.csv', type: 'file', sourceType: 'Cloud Storage' } as const;

  it('sent flat where flat is known, then under params: the flat refusal first, the other after it', async () => {
    await withEmulator({ compat: { sourceSpec: 'flat' }, newerRules: true }, async (emulator) => {
      const client = clientFor(emulator, { compat: { remembered: { sourceSpec: { prod: 'flat' } } } });
      const error = await failure(client.createAudience('prod', spec({ sourceSpec: spaced })));
      expect(error.status).toBe(400);
      expect(error.details.map((item) => item.path)).toEqual(['sourceSpec.path']);
      const [first, second] = error.message.split(' Sent again with sourceSpec under params');
      expect(first).toContain('sourceSpec.path: must not contain spaces');
      expect(second).toContain('sourceSpec.params: is not a known property');
      expect(client.compat().sourceSpec).toEqual({ prod: 'flat' });
    });
  });

  it('sent under params to a flat service: its shape refusal, then the flat refusal of the path', async () => {
    await withEmulator({ compat: { sourceSpec: 'flat' }, newerRules: true }, async (emulator) => {
      const client = clientFor(emulator);
      const error = await failure(client.createAudience('prod', spec({ sourceSpec: spaced })));
      expect(error.status).toBe(400);
      const [first, second] = error.message.split(' Sent again with sourceSpec flat');
      expect(first).toContain('sourceSpec.params: is not a known property');
      expect(second).toContain('sourceSpec.path: must not contain spaces');
      expect(client.compat().sourceSpec).toBeUndefined();
    });
  });
});
