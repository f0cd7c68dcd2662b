import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RECORD_SCHEMA_ID } from '../../src/state/record-schema-id.js';
import { AudienceRecord } from '../../src/state/schema.js';

describe('the record schema id the state snapshot is written with', () => {
  it('is the hash of the record schema as it is now (update RECORD_SCHEMA_ID when the schema changes)', () => {
    const jsonSchema = JSON.stringify(z.toJSONSchema(AudienceRecord, { io: 'output' }));
    expect(RECORD_SCHEMA_ID).toBe(createHash('sha1').update(jsonSchema).digest('hex'));
  });

  it('changes with the schema: a record of another shape gives another id', () => {
    const other = AudienceRecord.extend({ added: z.string().optional() });
    const otherId = createHash('sha1')
      .update(JSON.stringify(z.toJSONSchema(other, { io: 'output' })))
      .digest('hex');
    expect(otherId).not.toBe(RECORD_SCHEMA_ID);
  });
});
