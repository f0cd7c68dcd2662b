/**
 * YAML 1.2's core schema exactly as the `yaml` library (the full parser, parse-full.ts)
 * resolves plain scalars, for the subset reader (the fast path, yaml-subset.ts), so that
 * a manifest means one thing whichever parser reads it. The patterns and values are
 * `yaml`'s (yaml/dist/schema/core and schema/common/null.js); js-yaml's CORE_SCHEMA,
 * which the fast path used before, differs: it reads `0b11110`, `+0x1E`, `-0o7` as
 * integers (strings to `yaml`), `-.5`, `+.5` and `1e400` as strings (numbers to `yaml`),
 * `-0` as 0. A property test compares the readers (test/manifest/yaml-subset.spec.ts).
 */

type ImplicitType = { resolve(data: string): boolean; construct(data: string): unknown };

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
/** `0o17`, `-12`, `+3`, `0x1F`: no sign before `0o`/`0x`, no `0b`, no `_`. */
const INT = /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/;
/** `.inf`, `-.Inf`, `.NaN` (no sign), `1e3`, `.5`, `-.5`, `1.`: no `_`, no `1:30`. */
const FLOAT =
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;

/** The implicit types of plain scalars, in the order `yaml` tries them (their sets are disjoint). */
export const CORE_IMPLICIT: readonly ImplicitType[] = [
  { resolve: (data) => NULL.test(data), construct: () => null },
  { resolve: (data) => BOOL.test(data), construct: (data) => data[0] === 't' || data[0] === 'T' },
  {
    resolve: (data) => INT.test(data),
    construct(data) {
      if (data[1] === 'o') return parseInt(data.slice(2), 8);
      if (data[1] === 'x') return parseInt(data.slice(2), 16);
      return parseInt(data, 10);
    },
  },
  {
    resolve: (data) => FLOAT.test(data),
    construct(data) {
      const last = data.slice(-3);
      if (last === 'nan' || last === 'NaN' || last === 'NAN') return NaN;
      if (last === 'inf' || last === 'Inf' || last === 'INF') return data[0] === '-' ? -Infinity : Infinity;
      return parseFloat(data);
    },
  },
];
