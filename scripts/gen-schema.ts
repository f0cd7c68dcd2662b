import { writeFile } from 'node:fs/promises';
import { manifestJsonSchema } from '../src/manifest/json-schema.js';

const target = new URL('../specs/audience-manifest.schema.json', import.meta.url);
await writeFile(target, manifestJsonSchema());
process.stdout.write(`wrote ${target.pathname}\n`);
