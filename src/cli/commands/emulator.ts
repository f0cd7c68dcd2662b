import { Command, Option } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { DataDirError, DEMO_CLIENT, startEmulator, type EmulatorClient } from '../../emulator/index.js';
import { UsageError } from '../../errors.js';
import { shellQuote } from '../../text/shell-quote.js';
import { choiceOption, countOption, durationOption, numberOption } from '../typed-options.js';
import {
  collectClient,
  readClockOffset,
  readPerSecond,
  readProbability,
  toOptions,
  type Flags,
} from './emulator-flags.js';

function banner(url: string, flags: Flags, clients: EmulatorClient[]): string {
  const lines = [
    `audiencectl emulator listening on ${url}`,
    `  API base:  ${url}/data/core/ais`,
    `  Audiences: ${url}/data/core/ups/audiences`,
    `  IMS token: ${url}/ims/token/v3`,
    `  Admin:     ${flags.admin ? `${url}/_emulator/settings` : 'off (--admin to enable)'}`,
    `  Data:      ${flags.dataDir ?? 'in memory (--data-dir to keep it)'}`,
  ];
  for (const client of clients) {
    // Only the demo secret is shown: it is public. Other secrets are never printed.
    const secret = isDemo(client) ? `  secret ${client.clientSecret}` : '';
    lines.push(`  Client:    ${client.clientId}${secret}  org ${client.orgId}`);
  }
  lines.push(...exports(url, clients));
  lines.push('Stop with Ctrl+C.');
  return `${lines.join('\n')}\n`;
}

function isDemo(client: EmulatorClient): boolean {
  return client.clientId === DEMO_CLIENT.clientId && client.clientSecret === DEMO_CLIENT.clientSecret;
}

/**
 * The variables that point audiencectl (plan, apply, run, init, state import) at this
 * emulator, as lines to paste into a shell: the demo client's, whose secret is public, else
 * the first client's without its secret.
 */
function exports(url: string, clients: EmulatorClient[]): string[] {
  const client = clients.find(isDemo) ?? clients[0];
  const urls = [
    `AEP_BASE_URL=${shellQuote(`${url}/data/core/ais`)}`,
    `AEP_IMS_URL=${shellQuote(`${url}/ims/token/v3`)}`,
  ];
  const lines = [
    'To point audiencectl at it (plan, apply, run, init, state import):',
    `  export ${urls.join(' ')}`,
  ];
  if (client === undefined) return lines;
  const id = `AEP_CLIENT_ID=${shellQuote(client.clientId)}`;
  const org = `AEP_ORG_ID=${shellQuote(client.orgId)}`;
  if (isDemo(client))
    lines.push(`  export ${id} AEP_CLIENT_SECRET=${shellQuote(client.clientSecret)} ${org}`);
  else lines.push(`  export ${id} ${org} AEP_CLIENT_SECRET=...   # the secret given to --client`);
  return lines;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `audiencectl emulator`: the External Audiences API and IMS emulator, until SIGINT/SIGTERM. */
export function emulatorCommand(setExit: (code: number) => void): Command {
  return new Command('emulator')
    .description('Run the External Audiences API + IMS emulator (see docs/emulator.md) until interrupted')
    .addOption(
      countOption('-p, --port <port>', 'TCP port, 0 for any free port', { zero: true, max: 65_535 }).default(
        '8080',
      ),
    )
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--admin', 'serve the /_emulator/... admin endpoint (no authentication)', false)
    .option('--data-dir <dir>', 'keep audiences, operations and runs in this directory across restarts')
    .option('--storage-root <dir>', "check each run's source file under this directory")
    .addOption(durationOption('--latency-ms <duration>', 'added to every API response', 'ms').default('0'))
    .addOption(
      durationOption('--latency-jitter-ms <duration>', 'random extra latency up to this', 'ms').default('0'),
    )
    .addOption(
      numberOption(
        '--rate-limit <n/s>',
        'token bucket per org, e.g. 10/s (default: no limit)',
        readPerSecond,
      ),
    )
    .addOption(countOption('--rate-limit-burst <n>', 'bucket size (default: the rate)'))
    .option('--no-retry-after', 'answer 429 without a Retry-After header')
    .addOption(
      choiceOption('--retry-after-form <form>', "how a 429's Retry-After is written", [
        'seconds',
        'http-date',
        'past-date',
        'malformed',
      ]).default('seconds'),
    )
    .addOption(
      durationOption(
        '--operation-delay-ms <duration>',
        'how long a create operation is PROCESSING',
        'ms',
      ).default('500'),
    )
    .addOption(
      durationOption('--run-stage-delay-ms <duration>', 'how long each ingestion stage takes', 'ms').default(
        '1000',
      ),
    )
    .addOption(
      durationOption(
        '--token-lifetime <duration>',
        'lifetime of IMS tokens (a plain number is seconds)',
        's',
        {
          positive: true,
        },
      ).default('24h'),
    )
    .addOption(numberOption('--fault-500 <p>', 'probability of 100970-500', readProbability).default('0'))
    .addOption(numberOption('--fault-502 <p>', 'probability of 100970-502', readProbability).default('0'))
    .addOption(
      numberOption('--fault-slow <p>', 'probability of a slow response', readProbability).default('0'),
    )
    .addOption(durationOption('--slow-ms <duration>', 'delay of a slow response', 'ms').default('2000'))
    .addOption(
      numberOption(
        '--fault-drop <p>',
        'probability of closing the connection before handling',
        readProbability,
      ).default('0'),
    )
    .addOption(
      numberOption(
        '--fault-response-lost <p>',
        'probability of applying a change, then closing without answer',
        readProbability,
      ).default('0'),
    )
    .addOption(
      numberOption(
        '--fault-operation-failure <p>',
        'probability that a create operation ends FAILED',
        readProbability,
      ).default('0'),
    )
    .addOption(
      numberOption('--fault-run-failure <p>', 'probability that a run ends FAILED', readProbability).default(
        '0',
      ),
    )
    .addOption(
      countOption('--fault-seed <n>', 'seed of the fault draws (reproducible sequences)', { zero: true }),
    )
    .addOption(
      countOption('--runs-per-day <n>', 'guardrail: runs per sandbox per day', { zero: true }).default('100'),
    )
    .addOption(
      choiceOption('--runs-per-day-window <window>', 'that day: the last 24 h or since 00:00 UTC', [
        'day',
        'utc-day',
      ]).default('day'),
    )
    .addOption(
      countOption('--runs-per-audience <n>', 'guardrail: runs per audience', { zero: true }).default('10'),
    )
    .addOption(
      choiceOption('--runs-per-audience-window <window>', 'guardrail window: the last 24 h or ever', [
        'day',
        'lifetime',
      ]).default('day'),
    )
    .addOption(
      countOption('--audiences-per-sandbox <n>', 'guardrail: audiences per sandbox', { zero: true }).default(
        '4000',
      ),
    )
    .option('--newer-rules', 'also enforce the rules newer versions of the API page add', false)
    .addOption(
      numberOption(
        '--clock-offset <duration>',
        "run the emulator's clock off the host's, e.g. -2d (behind) or +26h (ahead)",
        readClockOffset,
      ).default('0'),
    )
    .addOption(
      choiceOption('--operations-path <spelling>', 'operation lookups served at (a reading of the page)', [
        'plural',
        'singular',
        'both',
      ]).default('both'),
    )
    .addOption(
      choiceOption('--source-spec <shape>', 'sourceSpec shape accepted on create (a reading of the page)', [
        'params',
        'flat',
        'both',
      ]).default('both'),
    )
    .addOption(
      choiceOption('--runs-list-params <mode>', 'limit/sortBy/property on the runs list', [
        'accepted',
        'refused',
      ]).default('accepted'),
    )
    .addOption(
      choiceOption('--patch-fields <mode>', 'what a PATCHed field may carry', [
        'lenient',
        'labels-only',
      ]).default('lenient'),
    )
    .addOption(
      choiceOption('--runs-list-page <mode>', '_page on the runs list (commented out of the page)', [
        'included',
        'omitted',
      ]).default('included'),
    )
    .addOption(
      choiceOption(
        '--runs-list-cut <mode>',
        'the bare runs list (--runs-list-params refused): every run, its first page of 20 only, pages of 20 linked by _links.next.href, or pages of 20 from start, unlinked; oldest first',
        ['whole', 'page', 'paged', 'offset'],
      ).default('whole'),
    )
    .addOption(
      choiceOption(
        '--delete-path <spelling>',
        'DELETE served at, with or without a trailing slash (a reading of the page)',
        ['bare', 'slash', 'both'],
      ).default('both'),
    )
    .addOption(
      choiceOption('--run-time-unit <unit>', 'unit of the run times answered (a reading of the page)', [
        'seconds',
        'milliseconds',
      ]).default('seconds'),
    )
    .addOption(
      choiceOption(
        '--run-created-at <time>',
        "a run's createdAt: the run's own time, or its audience's creation time (a reading of the page)",
        ['run', 'audience'],
      ).default('run'),
    )
    .addOption(
      choiceOption(
        '--bulk-get-inactive <mode>',
        'inactive audiences in a bulk-get answer (the page is silent)',
        ['included', 'omitted'],
      ).default('included'),
    )
    .addOption(
      choiceOption(
        '--bulk-get-missing <mode>',
        'an id a bulk-get does not know: its key left out, or a { "status": 404 } entry (both on the page)',
        ['omitted', 'status'],
      ).default('omitted'),
    )
    .addOption(
      choiceOption(
        '--list-inactive <mode>',
        'audience lists that hold inactive audiences: any property filter, or audienceId only (a reading of the page)',
        ['property', 'audienceId'],
      ).default('property'),
    )
    .addOption(
      choiceOption(
        '--deleted-names <mode>',
        "a deleted audience's name: free at once, or held for a minute (the page is silent)",
        ['freed', 'held'],
      ).default('freed'),
    )
    .addOption(
      choiceOption(
        '--duplicate-names <mode>',
        'a create of a name an audience bears: refused (409), or a second audience made (the page does not say a name is unique)',
        ['refused', 'accepted'],
      ).default('refused'),
    )
    .addOption(
      choiceOption(
        '--lifecycle-state-filter <mode>',
        'a property=lifecycleState==… filter on the audience list: accepted, or refused with a 400 every time',
        ['accepted', 'refused'],
      ).default('accepted'),
    )
    .addOption(
      choiceOption(
        '--absent-fields <mode>',
        'a property that is not set: left out of the answer, or written as null (the samples show neither)',
        ['omitted', 'null'],
      ).default('omitted'),
    )
    .addOption(
      choiceOption(
        '--error-detail <mode>',
        "what an API error says: the broken rule, or only the appendix's text for its code (the page shows no error body)",
        ['named', 'appendix'],
      ).default('named'),
    )
    .addOption(
      choiceOption(
        '--audiences-total-count <mode>',
        "what an audience list's _page.totalCount counts: the list, or the whole sandbox (the page shows only a bare list's)",
        ['listed', 'sandbox'],
      ).default('listed'),
    )
    .addOption(
      choiceOption(
        '--audiences-paging <mode>',
        'what an audience list\'s start is: an offset, or a page index as the page\'s paging sample reads (next: "1")',
        ['offset', 'page'],
      ).default('offset'),
    )
    .addOption(
      choiceOption(
        '--audience-ids <mode>',
        "the Audiences API's id of an external audience: its /core/ais audienceId, or an id of its own (audienceId then the /core/ais one)",
        ['same', 'distinct'],
      ).default('same'),
    )
    .addOption(
      choiceOption(
        '--run-in-progress <status>',
        "the status of a run start refused while the audience's run is in progress (the page names none)",
        ['422', '409'],
      ).default('422'),
    )
    .addOption(
      choiceOption(
        '--ttl-in-days-type <type>',
        'the type ttlInDays is answered in: integer as the tables say, or string as the create request sample sends it',
        ['integer', 'string'],
      ).default('integer'),
    )
    .addOption(
      choiceOption(
        '--runs-list-shape <shape>',
        "the runs list's runs: an array as its sample shows, or an object keyed by runId as its property table's Object reads",
        ['array', 'object'],
      ).default('array'),
    )
    .addOption(
      choiceOption(
        '--run-progress-status <words>',
        "a run in progress: PROCESSING (the operation's word), or QUEUED then IN_PROGRESS (the page names none)",
        ['processing', 'queued'],
      ).default('processing'),
    )
    .addOption(
      choiceOption(
        '--post-status <status>',
        "a create's and a run start's success: the page's 202 and 200, or 200, 201 or 202 for both",
        ['page', '200', '201', '202'],
      ).default('page'),
    )
    .addOption(
      choiceOption(
        '--creation-time-unit <unit>',
        "an audience's creationTime/updateTime on the Audiences API: milliseconds, or microseconds as one sample shows",
        ['milliseconds', 'microseconds'],
      ).default('milliseconds'),
    )
    .addOption(
      choiceOption(
        '--millisecond-timestamps <mode>',
        'run times in milliseconds (a rule the page does not state)',
        ['accepted', 'refused'],
      ).default('accepted'),
    )
    .addOption(
      new Option('--client <id:secret:org>', 'a client IMS accepts, repeatable (default: the demo client)')
        .argParser(collectClient)
        .default([]),
    )
    .option('--log', 'log each request (method, path, status; never headers or bodies)', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  audiencectl emulator --port 8080                      # prints the URL and the demo credentials',
        '  audiencectl emulator --admin --fault-500 0.2 --rate-limit 100/s --latency-ms 20',
        // --storage-root refuses a folder that does not exist (a typo would check nothing): the
        // example names one that does, so that it runs as written; every line is a command of
        // ours (src/cli/help-examples.spec.ts).
        '  audiencectl emulator --data-dir .emulator --storage-root .   # keep audiences; check each source file at its sourceSpec.path here',
        '  audiencectl emulator --port 0 --source-spec flat --operations-path singular   # another reading of the page',
      ].join('\n'),
    )
    .action(async (flags: Flags) => {
      // Listening before the banner: whoever waits for the URL may stop us the moment
      // it is printed, before the next line runs (a test saw exit by SIGTERM 6 times in 100).
      const signalled = untilSignal();
      const emulator = await startEmulator(toOptions(flags)).catch((error: unknown) => {
        // Said against the flag the user typed: `--data-dir: /proc/x cannot be created: ...`.
        throw error instanceof DataDirError
          ? new UsageError(error.code, error.flagMessage, { cause: error })
          : error;
      });
      process.stdout.write(banner(emulator.url, flags, emulator.clients));
      const signal = await signalled;
      process.stdout.write(`Received ${signal}, stopping the emulator.\n`);
      await emulator.close();
      setExit(ExitCode.Ok);
    });
}
