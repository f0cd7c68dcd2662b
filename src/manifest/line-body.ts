/**
 * The JSON body of a manifest cache line (file-line.ts encodeBody), read as JSON.parse
 * reads it. Nearly every body is one shape: a file of one valid manifest, no diagnostic,
 * no note, with its spec's name in the spec's place. That shape is matched whole by one
 * regular expression and built from its captures, about twice as fast as JSON.parse of
 * the same text (measured on the bench's 10,000 bodies: 13–24 against 32–55 CPU-ms): a
 * warm plan decodes every body. Anything else, or anything that would need reading as
 * JSON reads it (an escape in a string, a number not written as JSON.stringify writes an
 * integer), is left to JSON.parse, so the result is always JSON.parse's, key order too
 * (test/manifest/line-body.spec.ts compares them).
 */

/** A JSON string that needs no unescaping: no quote, backslash or control character. */
const TEXT = '"([^"\\\\\\u0000-\\u001f]*)"';
/** A non-negative integer as JSON.stringify writes one (no sign, no leading zero, no exponent). */
const WHOLE = '(0|[1-9][0-9]{0,14})';
const FLAG = '(true|false)';

/** Schema order (schema.ts Metadata, Ingestion): the order validation writes the keys in. */
const ONE_MANIFEST = new RegExp(
  [
    '^\\{"r":\\{"manifests":\\[\\{"manifest":\\{"apiVersion":"audiencectl/v1","kind":"ExternalAudience",',
    `"metadata":\\{"name":${TEXT}(?:,"sandbox":${TEXT})?,"deletionPolicy":"(Delete|Orphan)",`,
    `"allowReplace":${FLAG}(?:,"adopt":${FLAG})?\\},`,
    `"spec":${TEXT},"ingestion":\\{"onCreate":${FLAG}(?:,"every":${TEXT})?(?:,"request":${TEXT})?`,
    `(?:,"dataFilterStartTime":${WHOLE})?\\}\\},"file":${TEXT},"line":${WHOLE}\\}\\],`,
    `"diagnostics":\\[\\],"salvaged":\\[\\],"unreadable":false\\},"n":\\[\\{"line":${WHOLE},"column":${WHOLE}\\}\\]\\}$`,
  ].join(''),
);

/** What JSON.parse(text) gives, for a line body (encodeBody's JSON, without the specs that follow it). */
export function parseLineBody(text: string): unknown {
  const m = ONE_MANIFEST.exec(text);
  if (m === null) return JSON.parse(text);
  // Each key set in the order the text has it, an absent one not at all.
  const metadata: Record<string, unknown> = { name: m[1] };
  if (m[2] !== undefined) metadata.sandbox = m[2];
  metadata.deletionPolicy = m[3];
  metadata.allowReplace = m[4] === 'true';
  if (m[5] !== undefined) metadata.adopt = m[5] === 'true';
  const ingestion: Record<string, unknown> = { onCreate: m[7] === 'true' };
  if (m[8] !== undefined) ingestion.every = m[8];
  if (m[9] !== undefined) ingestion.request = m[9];
  if (m[10] !== undefined) ingestion.dataFilterStartTime = Number(m[10]);
  return {
    r: {
      manifests: [
        {
          manifest: {
            apiVersion: 'audiencectl/v1',
            kind: 'ExternalAudience',
            metadata,
            spec: m[6],
            ingestion,
          },
          file: m[11],
          line: Number(m[12]),
        },
      ],
      diagnostics: [],
      salvaged: [],
      unreadable: false,
    },
    n: [{ line: Number(m[13]), column: Number(m[14]) }],
  };
}
