import type { z } from 'zod';

type Def = {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  options?: readonly z.core.$ZodType[];
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
};

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def;
}

/** The schemas a value at `schema` may match, wrappers (optional, default, pipe) and unions opened. */
function branches(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = defOf(schema);
  if (def.type === 'union' && def.options) return def.options.flatMap(branches);
  if (def.innerType) return branches(def.innerType);
  if (def.type === 'pipe' && def.in) return branches(def.in);
  return [schema];
}

/** The keys the schema allows in the map at `path` (every branch of a union), for "did you mean". */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current = branches(schema);
  for (const key of path) {
    current = current.flatMap((candidate) => {
      const def = defOf(candidate);
      if (typeof key === 'number') return def.type === 'array' && def.element ? branches(def.element) : [];
      const child = def.type === 'object' ? def.shape?.[String(key)] : undefined;
      return child ? branches(child) : [];
    });
  }
  const keys = current.flatMap((candidate) => Object.keys(defOf(candidate).shape ?? {}));
  return [...new Set(keys)];
}

function squash(key: string): string {
  return key.toLowerCase().replaceAll(/[-_\s]/g, '');
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known key a typo most likely meant: the same letters in another case or with
 * `-`/`_` (`deletionpolicy`, `source_spec`), else one or two edits away (`nmae`).
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const typed = squash(key);
  const same = known.find((candidate) => squash(candidate) === typed);
  if (same !== undefined) return same;
  const allowed = typed.length <= 4 ? 1 : 2;
  let best: { key: string; cost: number } | undefined;
  for (const candidate of known) {
    const cost = distance(typed, squash(candidate));
    if (cost <= allowed && (best === undefined || cost < best.cost)) best = { key: candidate, cost };
  }
  return best?.key;
}
