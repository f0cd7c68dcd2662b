/**
 * A manifest cache line's content (file-line.ts encodeBody: the body, then the spec's hash
 * and JSON) read for what a quiet pair needs (src/plan/quiet.ts), without making the file an
 * object: the one shape line-body.ts matches whole, narrowed to a manifest a no-change plan
 * reads nothing more of. One manifest, no diagnostic, note or salvaged key, no adoption, no
 * ingestion but `onCreate: false` (no request, schedule or start: the clock never matters),
 * and a spec.name of printable ASCII without a doubled space (duplicates.ts looksAsWritten:
 * it looks as written, so findDuplicates compares it as the service does). Anything else is
 * undefined, and the line is decoded as before.
 */

/** A JSON string that needs no unescaping: no quote, backslash or control character. */
const TEXT = '"([^"\\\\\\u0000-\\u001f]*)"';
const WHOLE = '(?:0|[1-9][0-9]{0,14})';

const QUIET = new RegExp(
  [
    '^\\{"r":\\{"manifests":\\[\\{"manifest":\\{"apiVersion":"audiencectl/v1","kind":"ExternalAudience",',
    `"metadata":\\{"name":${TEXT}(?:,"sandbox":${TEXT})?,"deletionPolicy":"(Delete|Orphan)",`,
    `"allowReplace":(?:true|false)\\},`,
    `"spec":${TEXT},"ingestion":\\{"onCreate":false\\}\\},"file":${TEXT},"line":${WHOLE}\\}\\],`,
    `"diagnostics":\\[\\],"salvaged":\\[\\],"unreadable":false\\},"n":\\[\\{"line":${WHOLE},"column":${WHOLE}\\}\\]\\}`,
    // The spec's hash, then its JSON: no tab in either (JSON text holds none), the last part.
    '\\t([^\\t]*)\\t[^\\t]*$',
  ].join(''),
);

/** Printable ASCII without a doubled space (duplicates.ts looksAsWritten). */
const LOOKS_AS_WRITTEN = /^[\x20-\x7e]*$/;

/** What a quiet manifest's line says: its key, sandbox (none: the default), spec.name, spec hash, deletion policy and file. */
export type QuietManifestLine = {
  key: string;
  sandbox: string | undefined;
  name: string;
  hash: string;
  deletionPolicy: 'Delete' | 'Orphan';
  file: string;
};

/** The quiet manifest `content` (a cache line from its body on) describes, or undefined. */
export function quietManifestLine(content: string): QuietManifestLine | undefined {
  const m = QUIET.exec(content);
  if (m === null) return undefined;
  const name = m[4]!;
  if (!LOOKS_AS_WRITTEN.test(name) || name.includes('  ')) return undefined;
  return {
    key: m[1]!,
    sandbox: m[2],
    name,
    hash: m[6]!,
    deletionPolicy: m[3] as 'Delete' | 'Orphan',
    file: m[5]!,
  };
}
