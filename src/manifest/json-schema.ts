import { z } from 'zod';
import { Manifest } from './schema.js';

/** The JSON Schema editors use to validate manifests as people type (from the same zod schema). */
export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(Manifest, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  const document = {
    ...schema,
    title: 'audiencectl ExternalAudience manifest',
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
