/**
 * True when neither a config file nor any AEP credential variable is given. A module of its
 * own: a command asks it before loading the configuration's reader (connect.ts).
 */
export function credentialsAbsent(
  flags: { config?: string | undefined; emulator?: boolean | undefined },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flags.emulator || flags.config !== undefined) return false;
  return ['AEP_CLIENT_ID', 'AEP_CLIENT_SECRET', 'AEP_CLIENT_SECRET_FILE', 'AEP_ORG_ID'].every(
    (name) => !env[name]?.trim(),
  );
}
