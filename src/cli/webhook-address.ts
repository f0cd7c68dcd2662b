import { lookup } from 'node:dns/promises';
import { UsageError } from '../errors.js';

type Address = { host: string; port: number };

/** Any address of the machine: `0.0.0.0` and `::` (a dual-stack socket takes both). */
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The address a listen on `host` takes (the first dns.lookup answers, as net.Server.listen
 * does), so that `localhost` and `127.0.0.1` meet; the host as given when it does not resolve
 * (the listen then fails and says so).
 */
async function boundAddress(host: string): Promise<string> {
  const given = host.toLowerCase();
  if (WILDCARDS.has(given)) return given;
  return lookup(given).then(
    (found) => found.address.toLowerCase(),
    () => given,
  );
}

/** Whether a listener on `a` leaves no room for one on `b` (the same port, hosts that meet). */
async function sameSocket(a: Address, b: Address): Promise<boolean> {
  if (a.port === 0 || a.port !== b.port) return false;
  const [one, two] = await Promise.all([boundAddress(a.host), boundAddress(b.host)]);
  return one === two || WILDCARDS.has(one) || WILDCARDS.has(two);
}

/**
 * `--webhook-listen` on the address of `--listen`: the second bind failed with "cannot listen
 * on 127.0.0.1:8080 (EADDRINUSE)", and the user looked for another process holding the port,
 * when it was run's own. Refused before anything listens, naming both as given (`names`: the
 * flag or the variable each came from).
 */
export async function assertOwnWebhookAddress(
  listen: Address & { given: string; name: string },
  webhook: Address & { given: string; name: string },
): Promise<void> {
  if (!(await sameSocket(listen, webhook))) return;
  throw new UsageError(
    'WEBHOOK_LISTEN',
    `${webhook.name} (${webhook.given}) is on the address of ${listen.name} (${listen.given}): the webhook is served alone on its own address; give it another port`,
  );
}
