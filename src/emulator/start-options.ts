import { statSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { reasonOf } from '../state/errors.js';
import { DEMO_CLIENT } from './demo-client.js';
import type { EmulatorClient, EmulatorOptions } from './options.js';
import { ClientInput, SettingsPatch } from './settings-schema.js';
import { issuesToItems } from './validate.js';

const StartOptions = SettingsPatch.extend({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  clients: z
    .array(ClientInput)
    .min(1, 'needs at least one client')
    .refine((clients) => new Set(clients.map((client) => client.clientId)).size === clients.length, {
      message: 'client ids must be unique',
    })
    .optional(),
  rateLimit: SettingsPatch.shape.rateLimit,
  admin: z.boolean().optional(),
  dataDir: z.string().min(1).optional(),
  storageRoot: z.string().min(1).optional(),
  logger: z.boolean().optional(),
  requestLogSize: z.number().int().min(0).optional(),
});

/** Checks options before anything starts, so a mistake is one clear message and no stack trace. */
export function checkStartOptions(options: EmulatorOptions): EmulatorClient[] {
  const result = StartOptions.safeParse(options);
  if (!result.success) {
    const problems = issuesToItems(result.error, 'options').map((item) => `${item.path}: ${item.message}`);
    throw new UsageError('EMULATOR_OPTIONS', `Invalid emulator options: ${problems.join('; ')}`);
  }
  if (options.storageRoot !== undefined) {
    const problem = storageRootProblem(options.storageRoot);
    if (problem)
      throw new UsageError('EMULATOR_OPTIONS', `--storage-root: ${options.storageRoot} ${problem}`);
  }
  return options.clients ?? [DEMO_CLIENT];
}

/** Why `path` cannot be the storage root, or undefined when it is a directory. */
function storageRootProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : 'is not a directory';
  } catch (error) {
    // Only a path that is not there is one to create; a loop or a refusal is not.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return "does not exist: create it, and put each audience's source file (or folder) at its sourceSpec.path under it";
    return `cannot be used: ${reasonOf(error)}`;
  }
}
