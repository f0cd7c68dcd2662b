import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainStateMeta, readMetaFile } from '../../src/state/read-json.js';
import { StateMeta } from '../../src/state/schema.js';
import { runs } from '../helpers/property-runs.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** Sandbox names, and the key JSON.parse makes an own property that zod's record drops. */
const orgKey = fc.oneof(fc.string({ maxLength: 6 }), fc.constant('__proto__'));

/** A mark's commit: a full commit id (as the schema wants), or not. */
const commitLike = fc.oneof(fc.constantFrom('a'.repeat(40), 'b'.repeat(64)), fc.string({ maxLength: 6 }));

/** What a meta.json can hold: metas, nearly metas (a field of another type, out of range, missing), other JSON. */
const metaLike = fc.oneof(
  fc.record(
    {
      schemaVersion: fc.constantFrom<unknown>(1, 2, 3, '1', 1.5, null),
      lineage: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom<unknown>(3, null, [], {})),
      serial: fc.oneof(
        fc.nat(),
        fc.constantFrom<unknown>(
          -0,
          -1,
          0.5,
          Number.MAX_SAFE_INTEGER,
          Number.MAX_SAFE_INTEGER + 1,
          1e300,
          '2',
          null,
          true,
        ),
      ),
      nonce: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom<unknown>(3, null, [], {})),
      orgs: fc.oneof(
        fc.dictionary(orgKey, fc.string({ maxLength: 6 })),
        fc.dictionary(orgKey, fc.jsonValue()),
        fc.jsonValue(),
      ),
      revisions: fc.oneof(
        fc.dictionary(
          orgKey,
          fc.record(
            {
              commit: commitLike,
              committedAt: fc.string({ maxLength: 6 }),
              other: fc.jsonValue(),
              roots: fc.oneof(fc.array(commitLike, { maxLength: 2 }), fc.jsonValue()),
              shallow: fc.oneof(fc.constant(true), fc.jsonValue()),
              rolledBackFrom: fc.oneof(
                fc.array(
                  fc.record(
                    {
                      commit: commitLike,
                      committedAt: fc.oneof(fc.string({ maxLength: 6 }), fc.jsonValue()),
                      to: commitLike,
                      at: fc.oneof(fc.string({ maxLength: 6 }), fc.jsonValue()),
                      other: fc.jsonValue(),
                    },
                    { requiredKeys: ['commit', 'committedAt', 'to', 'at'] },
                  ),
                  { maxLength: 3 },
                ),
                fc.jsonValue(),
              ),
            },
            { requiredKeys: ['commit', 'committedAt'] },
          ),
        ),
        fc.dictionary(orgKey, fc.oneof(fc.jsonValue(), fc.record({ commit: fc.jsonValue() }))),
        fc.jsonValue(),
      ),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

describe('meta.json read without zod', () => {
  it('accepts only what the schema accepts, and returns what it returns (key order included)', () => {
    fc.assert(
      fc.property(metaLike, (value) => {
        // As JSON.parse gives it (a "__proto__" key is an own property there).
        const json: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        const plain = plainStateMeta(json);
        const parsed = StateMeta.safeParse(json);
        // Exactly what zod accepts (a meta it refuses is read by zod, for its message).
        expect(plain !== undefined).toBe(parsed.success);
        if (plain === undefined) return;
        expect(JSON.stringify(plain)).toBe(JSON.stringify(parsed.data));
        expect(Object.is(plain.serial, parsed.data?.serial)).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('reads every meta the schema accepts without it', () => {
    fc.assert(
      fc.property(
        fc.record(
          { lineage: fc.string(), serial: fc.nat(), extra: fc.jsonValue() },
          { requiredKeys: ['lineage', 'serial'] },
        ),
        fc.constantFrom(1, 2),
        (fields, schemaVersion) => {
          const json: unknown = JSON.parse(JSON.stringify({ schemaVersion, ...fields }));
          expect(StateMeta.safeParse(json).success).toBe(true);
          expect(plainStateMeta(json)).toEqual({
            schemaVersion,
            lineage: fields.lineage,
            serial: fields.serial,
          });
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it("reads a mark's rollbacks as the schema does, and refuses one the schema refuses", () => {
    const rollback = {
      commit: 'b'.repeat(40),
      committedAt: '2026-12-01T10:00:00.000Z',
      to: 'c'.repeat(40),
      at: '2026-12-01T12:00:00.000Z',
    };
    const mark = {
      commit: 'c'.repeat(40),
      committedAt: '2026-12-01T09:00:00.000Z',
      rolledBackFrom: [rollback],
    };
    const json = { schemaVersion: 1, lineage: 'l-1', serial: 4, revisions: { prod: mark } };
    expect(plainStateMeta(json)).toEqual({
      schemaVersion: 1,
      lineage: 'l-1',
      serial: 4,
      revisions: {
        prod: {
          commit: 'cccccccccccccccccccccccccccccccccccccccc',
          committedAt: '2026-12-01T09:00:00.000Z',
          rolledBackFrom: [
            {
              commit: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
              committedAt: '2026-12-01T10:00:00.000Z',
              to: 'cccccccccccccccccccccccccccccccccccccccc',
              at: '2026-12-01T12:00:00.000Z',
            },
          ],
        },
      },
    });
    expect(StateMeta.parse(json)).toEqual(plainStateMeta(json));
    const broken = {
      ...json,
      revisions: { prod: { ...mark, rolledBackFrom: [{ ...rollback, to: 'main' }] } },
    };
    expect(plainStateMeta(broken)).toBeUndefined();
    expect(StateMeta.safeParse(broken).success).toBe(false);
  });

  it('refuses a format from a newer release, saying to upgrade, not to restore or remove the file', async () => {
    const dir = await tempDir();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'meta.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 3, lineage: 'l-1', serial: 1, future: {} }));
    const refused = readMetaFile(file);
    await expect(refused).rejects.toMatchObject({ code: 'STATE_FORMAT_NEWER' });
    await expect(refused).rejects.toThrow(
      `state file ${file} is in format 3, written by a newer audiencectl; this one reads formats 1 and 2: upgrade audiencectl (nothing was read or written)`,
    );
  });

  it('reports a damaged meta.json as before: the file, the first issue, what to do', async () => {
    const dir = await tempDir();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'meta.json');
    const hint = 'restore it from a backup, or remove it to start a new lineage';
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: -1 }));
    await expect(readMetaFile(file)).rejects.toThrow(
      `state file ${file} does not match the state schema at serial: Too small: expected number to be >=0; ${hint}`,
    );
    writeFileSync(file, JSON.stringify({ schemaVersion: 0, lineage: 'l-1', serial: 1 }));
    await expect(readMetaFile(file)).rejects.toThrow(
      `state file ${file} does not match the state schema at schemaVersion: Invalid input; ${hint}`,
    );
    // Format 2 is this release's own: a damaged one is corrupt, not from a newer release.
    writeFileSync(file, JSON.stringify({ schemaVersion: 2, lineage: 'l-1', serial: 1, orgs: { prod: 7 } }));
    await expect(readMetaFile(file)).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      message: expect.stringContaining(
        `state file ${file} does not match the state schema at orgs.prod: `,
      ) as string,
    });
    writeFileSync(file, '{"schemaVersion": 1,');
    await expect(readMetaFile(file)).rejects.toThrow(`state file ${file} is not valid JSON (`);
    writeFileSync(file, '{"lineage": "l-1", "serial": 3, "schemaVersion": 1, "__proto__": {"serial": 4}}');
    await expect(readMetaFile(file)).resolves.toEqual({ schemaVersion: 1, lineage: 'l-1', serial: 3 });
    await expect(readMetaFile(path.join(dir, 'missing.json'))).resolves.toBeUndefined();
    // Not missing but unreadable (a folder in its place): an error, not a state without meta.
    const folder = path.join(dir, 'folder.json');
    mkdirSync(folder);
    await expect(readMetaFile(folder)).rejects.toThrow(`cannot read state file ${folder}: `);
  });
});
