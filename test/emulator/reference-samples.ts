import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The reference page's samples, copied to test/fixtures/reference (never read from ../shared). */
const DIR = fileURLToPath(new URL('../fixtures/reference/', import.meta.url));

export type Sample = {
  name: string;
  method: string;
  path: string;
  apiFormatPath?: string;
  contentType?: string;
  requestBody?: string;
  status: number;
  responseBody?: string;
};

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Record<string, unknown>;
}

export function samples(): Sample[] {
  return (JSON.parse(readFileSync(join(DIR, 'samples.json'), 'utf8')) as { samples: Sample[] }).samples;
}

export function sample(name: string): Sample {
  const found = samples().find((candidate) => candidate.name === name);
  if (!found) throw new Error(`No reference sample "${name}"`);
  return found;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Where `actual` lacks something the sample shows, or has it with another JSON type; an array
 * item is compared with the sample's item at the same index, or its first. Extra properties
 * are allowed.
 */
export function shapeDifferences(actual: unknown, expected: unknown, path = '$'): string[] {
  if (jsonType(actual) !== jsonType(expected)) {
    return [`${path}: expected ${jsonType(expected)}, got ${jsonType(actual)}`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0) return [];
    return actual.flatMap((item, index) =>
      shapeDifferences(item, expected[index] ?? expected[0], `${path}[${index}]`),
    );
  }
  if (jsonType(expected) === 'object') {
    const got = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).flatMap(([key, value]) =>
      key in got ? shapeDifferences(got[key], value, `${path}.${key}`) : [`${path}.${key}: missing`],
    );
  }
  return [];
}
