import path from 'node:path';
import { readRegularTextSync } from '../files/read-regular.js';
import { registerSecret } from '../text/secrets.js';

/** A secret file larger than this is no secret file: 64 KiB. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The secret a `credentials:` or `sandboxes.<name>:` layer gives, each way it can give one. */
function registerLayer(layer: unknown, base: string, env: Env): void {
  registerSecret(stringOf(fieldOf(layer, 'clientSecret')));
  const name = stringOf(fieldOf(layer, 'clientSecretEnv'));
  if (name !== undefined) registerSecret(env[name]?.trim());
  const file = stringOf(fieldOf(layer, 'clientSecretFile'));
  if (file === undefined) return;
  try {
    registerSecret(readRegularTextSync(path.resolve(base, file), { maxBytes: MAX_SECRET_FILE_BYTES }).trim());
  } catch {
    // Not here (a plan job without the secret's mount, say): what this process cannot
    // read it cannot scrub either, and failing would only stop a command that needs none.
  }
}

/**
 * Whether a key of `text` could be clientSecret, clientSecretEnv or clientSecretFile:
 * written out, or spelled with escapes in a quoted key (`"client\x53ecretEnv"`).
 */
function mayGiveSecret(text: string): boolean {
  return text.includes('clientSecret') || text.includes('\\');
}

/**
 * Registers, for scrubbing, every client secret `configFile` gives: written in it, in the
 * variable its clientSecretEnv names, in the file its clientSecretFile names. For the
 * commands that print what the state recorded without connecting (plan without --refresh,
 * the state commands): a failure text an older release recorded may quote a secret, and
 * only AEP_CLIENT_SECRET is registered without the configuration.
 *
 * Read as a tolerant reader, and never fails: a command that makes no call must not fail
 * on credentials it does not use (an unset variable, a missing or unreadable secret file,
 * a file with problems: the command that needs it reports them, with their places). A
 * secret this process cannot have, it cannot scrub either; refusing to run would not hide
 * it, only stop a plan that needs no credentials. Not
 * validated, so zod is not loaded; nor is the YAML reader for a file that gives no secret
 * (the credentials in AEP_* variables): a plan's start-up pays for neither.
 */
export async function registerConfigFileSecrets(configFile: string, env: Env): Promise<void> {
  const file = path.resolve(configFile);
  let data: unknown;
  try {
    const text = readRegularTextSync(file);
    if (!mayGiveSecret(text)) return;
    const { parseDocument } = await import('yaml');
    // logLevel 'silent': the library's warnings would quote the file, which holds secrets.
    const doc = parseDocument(text, { logLevel: 'silent' });
    if (doc.errors.length > 0) return;
    data = doc.toJS();
  } catch {
    return;
  }
  const base = path.dirname(file);
  registerLayer(fieldOf(data, 'credentials'), base, env);
  const sandboxes = fieldOf(data, 'sandboxes');
  if (typeof sandboxes !== 'object' || sandboxes === null) return;
  for (const sandbox of Object.values(sandboxes)) registerLayer(sandbox, base, env);
}
