import { statSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../errors.js';
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
  if (options.storageRoot !== undefined && !isDirectory(options.storageRoot)) {
    throw new UsageError('EMULATOR_OPTIONS', `The storage root ${options.storageRoot} is not a directory.`);
  }
  return options.clients ?? [DEMO_CLIENT];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
