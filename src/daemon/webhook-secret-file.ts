import { UsageError } from '../errors.js';
import { readSecretFileText } from '../files/read-secret-file.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';
import { rereadSecretFile, type CurrentSecret } from './reread-secret-file.js';
import { webhookSecretOf } from './webhook.js';

/** A value given empty (a deployment's way to leave a setting unset) is none. */
function givenValue(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The webhook secret of `audiencectl run` as given: the secret itself (`--webhook-secret`,
 * AUDIENCECTL_WEBHOOK_SECRET), or the file `--webhook-secret-file`
 * (AUDIENCECTL_WEBHOOK_SECRET_FILE, as the chart gives it) read again when it changes
 * (rereadSecretFile): a secret rotated in a Kubernetes Secret, and on GitHub, is taken without a
 * restart. Both, or a bad one, refused at start in one line naming them as given (`secretName`,
 * `fileName`). Undefined when neither is given: no webhook.
 */
export function webhookSecretGiven(
  given: { secret: string | undefined; file: string | undefined; secretName: string; fileName: string },
  logger: Logger,
): CurrentSecret | undefined {
  const { secretName, fileName } = given;
  const file = givenValue(given.file);
  // Registered as given (a message may quote the value with its blanks) and as used.
  registerSecret(given.secret);
  if (file !== undefined && givenValue(given.secret) !== undefined)
    throw new UsageError(
      'WEBHOOK_SECRET',
      `give the webhook secret either with ${fileName} or ${secretName}, not both`,
    );
  if (file === undefined) {
    const secret = webhookSecretOf(given.secret, secretName);
    registerSecret(secret);
    return secret === undefined ? undefined : () => secret;
  }
  return rereadSecretFile({
    file,
    read: () => readWebhookSecretFile(file, fileName),
    logger,
    messages: {
      taken: 'the webhook secret file holds another secret: taking it',
      kept: 'the webhook secret file changed and holds no usable webhook secret: keeping the secret read before',
    },
  });
}

/** The secret the file holds, checked as the variable's is; an empty file is no secret, refused. */
function readWebhookSecretFile(file: string, label: string): string {
  const text = readSecretFileText(file, label, 'WEBHOOK_SECRET');
  registerSecret(text);
  const secret = webhookSecretOf(text, label);
  if (secret === undefined) throw new UsageError('WEBHOOK_SECRET', `${label}: the file is empty`);
  return secret;
}
