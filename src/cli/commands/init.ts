import { Command, Option } from 'commander';
import got from 'got';
import { imsOrgOf, type AepCredentials } from '../../aep/credentials.js';
import { emulatorCredentials } from '../emulator-credentials.js';
import { assertEmulatorConfig } from '../emulator-config.js';
import { ImsToken } from '../../aep/ims-token.js';
import { assertProxySettings, proxyAgents } from '../../aep/proxy.js';
import { safeUrl } from '../../text/safe-url.js';
import { loadConfigFor, warnOnStderr, type ConnectFlags } from '../connect.js';
import { addStateOptions, openStoreFor, stateLocationOf, type StateFlags } from '../state-options.js';
import { boolOption } from '../typed-options.js';
import { createAepClientFromConfig } from '../../config.js';
import { assertSameOrgs, type OrgOf } from '../../state/org-binding.js';
import { describeLocation } from '../../state/location.js';

type Flags = ConnectFlags & StateFlags & { stateOnly?: boolean };

/** IMS is asked once per client; a slow IMS must not hang a setup step. */
const TOKEN_TIMEOUT_MS = 30_000;

/** One token request per distinct client: proves the id, secret, scopes and IMS URL. */
async function checkCredentials(imsUrl: string, clients: readonly AepCredentials[]): Promise<string[]> {
  // Through HTTPS_PROXY / HTTP_PROXY (NO_PROXY aside), as every other AEP and IMS call.
  const agent = proxyAgents(process.env);
  const http = got.extend({
    timeout: { request: TOKEN_TIMEOUT_MS },
    retry: { limit: 1 },
    ...(agent === undefined ? {} : { agent }),
  });
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const credentials of clients) {
    const id = JSON.stringify([credentials.clientId, credentials.clientSecret, credentials.scopes ?? null]);
    if (seen.has(id)) continue;
    seen.add(id);
    await new ImsToken({ imsUrl, credentials, http }).get();
    lines.push(
      `Credentials: IMS at ${safeUrl(imsUrl)} issued a token to client ${credentials.clientId} (org ${credentials.orgId}).`,
    );
  }
  return lines;
}

/** What the credentials check found: its lines, and the org of each sandbox they reach. */
type Checked = { lines: string[]; orgOf: OrgOf };

async function credentialsCheck(flags: Flags): Promise<Checked> {
  // Before anything starts (the emulator's server would keep the process alive).
  assertProxySettings(process.env);
  if (flags.emulator) {
    // As `apply --emulator`: the embedded emulator and its published demo client.
    const { DEMO_CLIENT, startEmulator } = await import('../../emulator/index.js');
    const emulator = await startEmulator({ port: 0 });
    try {
      const demo = emulatorCredentials(DEMO_CLIENT);
      const lines = await checkCredentials(emulator.imsUrl, [demo]);
      // The demo client reaches every sandbox: a store bound to another org is refused here,
      // as apply --emulator refuses it (it said "ready" for a store apply then refused).
      return { lines, orgOf: (sandbox) => imsOrgOf(sandbox, demo, false) };
    } finally {
      await emulator.close();
    }
  }
  const config = await loadConfigFor(flags, warnOnStderr);
  const clients = [
    ...(config.defaultAccess ? [config.defaultAccess] : []),
    ...Object.values(config.sandboxes),
  ].map((access) => access.credentials);
  const lines = await checkCredentials(config.imsUrl, clients);
  // The client only names each sandbox's org here (as apply's check does); it sends nothing.
  const client = createAepClientFromConfig(config);
  return { lines, orgOf: (sandbox) => client.orgOf(sandbox) };
}

async function init(flags: Flags): Promise<void> {
  // Credentials first: a store made with credentials that do not work helps nobody. A
  // deployment's init step (the chart's initContainer) skips them: the controller checks
  // them itself, and a dry run without refresh has none.
  const checked = flags.stateOnly ? undefined : await credentialsCheck(flags);
  for (const line of checked?.lines ?? []) process.stdout.write(`${line}\n`);
  const store = await openStoreFor(flags);
  try {
    const lines = await store.init();
    // A store bound to another org is refused as apply refuses it: init said it was ready for
    // credentials the next apply refused (review 38c L-4).
    if (checked)
      assertSameOrgs(await store.meta(), checked.orgOf, describeLocation(await stateLocationOf(flags)));
    for (const line of lines) process.stdout.write(`${line}\n`);
  } finally {
    await store.close();
  }
}

/**
 * `audiencectl init`: checks the AEP credentials with one IMS token request, then creates
 * the state store, or applies the PostgreSQL schema migrations it lacks; `--state-only`
 * (AUDIENCECTL_INIT_STATE_ONLY) skips the credentials, as the chart's initContainer does. Every other
 * command only checks the schema and refuses an outdated one, so a schema change is
 * always a step someone chose to take; `apply` refuses a directory that does not exist.
 */
export function initCommand(_setExit: (code: number) => void): Command {
  return addStateOptions(
    new Command('init').description(
      'Check the AEP credentials (one IMS token request), then create the state store or migrate its PostgreSQL schema',
    ),
  )
    .addOption(
      new Option('--config <file>', 'AEP configuration file (YAML or JSON)').env('AUDIENCECTL_CONFIG'),
    )
    .option('--emulator', 'check the embedded emulator demo credentials instead (as apply --emulator)')
    .addOption(
      boolOption(
        '--state-only',
        'create or migrate the state store only: no credentials check, no IMS request (a deployment init step)',
      ).env('AUDIENCECTL_INIT_STATE_ONLY'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Running it again is harmless: an existing store is kept as it is.',
        '',
        'Examples:',
        '  audiencectl init                                   # the directory .audiencectl-state',
        '  audiencectl init --state .audiencectl-state --config audiencectl.yaml',
        '  audiencectl init --state "$(mktemp -d)/state" --emulator',
        "  audiencectl init --state 'postgres://audiencectl@db.internal:5432/audiences?schema=audiencectl'",
        '  audiencectl init --state-only                      # AUDIENCECTL_STATE from the environment, as a pod',
      ].join('\n'),
    )
    .action(async (flags: Flags, command: Command) => {
      await assertEmulatorConfig(command, flags);
      await init(flags);
    });
}
