import { base64Cores, coresPattern, redactBase64, textForms } from '../text/secret-forms.js';

/**
 * Replaces every secret, and the encodings git or HTTP could echo it in, with `***`:
 * as written, percent-encoded, the Basic-auth value of `username:secret` for each
 * username given, and the secret inside any base64 at every alignment, so a server
 * that echoes `Authorization: Basic base64(anyone:token)` leaks nothing whatever the
 * user name. Defence in depth: the token never reaches argv, URLs or files, but git's
 * output is still scrubbed before it is reported.
 */
export function redactSecrets(
  text: string,
  secrets: readonly string[],
  usernames: readonly string[] = [],
): string {
  const kept = secrets.filter((secret) => secret.length >= 4);
  // Base64 first, widened to the whole run; then the exact forms (what a short secret, with
  // no core long enough to match safely, still has).
  let out = redactBase64(text, coresPattern(kept.flatMap(base64Cores)), '***');
  for (const secret of kept) {
    const basics = usernames.map((user) => Buffer.from(`${user}:${secret}`).toString('base64'));
    const forms = [...basics, ...textForms(secret), Buffer.from(secret).toString('base64')];
    for (const form of forms.sort((a, b) => b.length - a.length)) out = out.split(form).join('***');
  }
  return out;
}
