/**
 * The shapes a secret takes when something echoes it back: as written, JSON-escaped,
 * percent-encoded, and inside base64. An HTTP server that echoes an `Authorization:
 * Basic base64(user:token)` header shows the token in base64 whatever the user name is;
 * the token's bytes then start at any of the three byte offsets of a base64 group, so
 * each offset gives a different text. `base64Cores` gives, for each offset, the part of
 * the encoding that depends on the secret's bytes alone, and `redactBase64` removes the
 * whole base64 run around any of them.
 */

/** Shorter cores would match by chance in ordinary base64 (hashes, ids). */
const MIN_CORE_LENGTH = 8;

/**
 * The secret as written, JSON-escaped, percent-encoded, and as a form body encodes it
 * (`URLSearchParams`: space as `+`, `!'()` escaped, as the IMS token request is sent),
 * without duplicates.
 */
export function textForms(secret: string): string[] {
  const formEncoded = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), formEncoded])];
}

/**
 * For each of the 3 alignments, the base64 characters that encode only the secret's bytes
 * (the groups shared with what comes before or after are left out).
 */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstGroup = offset === 0 ? 0 : 1;
    const endGroup = Math.floor((offset + bytes.length) / 3);
    const core = encoded.slice(firstGroup * 4, endGroup * 4);
    if (core.length >= MIN_CORE_LENGTH) cores.add(core);
  }
  return [...cores];
}

const BASE64_CHAR = /[A-Za-z0-9+/]/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A matcher for any of `cores`, or undefined when there are none. */
export function coresPattern(cores: Iterable<string>): RegExp | undefined {
  const list = [...new Set(cores)].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return list.length === 0 ? undefined : new RegExp(list.join('|'), 'g');
}

/**
 * `text` with every base64 run that contains a core replaced by `replacement`: the run
 * is widened to its ends (and trailing `=`), so no byte of the secret's neighbours at
 * the alignment edges is left to guess from.
 */
export function redactBase64(text: string, pattern: RegExp | undefined, replacement: string): string {
  if (pattern === undefined) return text;
  let out = '';
  let copied = 0;
  for (const match of text.matchAll(pattern)) {
    let start = match.index;
    let end = start + match[0].length;
    if (start < copied) continue;
    while (start > copied && BASE64_CHAR.test(text.charAt(start - 1))) start -= 1;
    while (end < text.length && BASE64_CHAR.test(text.charAt(end))) end += 1;
    while (end < text.length && text.charAt(end) === '=') end += 1;
    out += text.slice(copied, start) + replacement;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
