/**
 * Replaces every secret, and the encodings git or HTTP could echo it in (Basic auth
 * base64, percent-encoding), with `***`. Defence in depth: the token never reaches
 * argv, URLs or files, but git's output is still scrubbed before it is reported.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const forms = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]);
    for (const form of forms) out = out.split(form).join('***');
  }
  return out;
}
