/** The flags of `audiencectl run`, each with its environment variable, and what they become. */
import { Option, type Command } from 'commander';
import { DEFAULT_OPERATION_POLL } from '../../apply/clock.js';
import { RUN_DEFAULTS } from '../../daemon/settings.js';
import type { LogLevel } from '../../log.js';
import type { ConnectFlags } from '../connect.js';
import { addPlanOptions, type PlanFlags } from '../plan-options.js';
import { addSourceOptions, type SourceFlags } from '../source-options.js';
import {
  type EnvNames,
  allowEmpty,
  boolOption,
  choiceOption,
  countOption,
  durationOption,
  givenText,
} from '../typed-options.js';

export type RunFlags = SourceFlags &
  PlanFlags &
  ConnectFlags & {
    repo?: string;
    dir?: string;
    branch: string;
    path: string;
    interval: number;
    resyncInterval: number;
    refreshInterval: number;
    workDir: string;
    allowFileUrls: boolean;
    gitToken?: string;
    gitTokenFile?: string;
    gitUsername: string;
    gitSshKeyFile?: string;
    gitKnownHostsFile?: string;
    gitStrictHostKeyChecking: 'yes' | 'accept-new';
    gitCaFile?: string;
    gitDepth?: number;
    gitTimeout: number;
    watchDebounce: number;
    webhookSecret?: string;
    webhookSecretFile?: string;
    webhookListen?: string;
    httpToken?: string;
    httpTokenFile?: string;
    listen: string;
    dryRun: boolean;
    fullReads: boolean;
    logLevel: LogLevel;
    pollInterval: number;
    runWait: number;
    requeueAfter: number;
    backoffBase: number;
    backoffMax: number;
    lockTimeout: number;
    shutdownGrace: number;
  };

/**
 * One option of `run`: `duration` options take `30s`, `10m`, `1h30m` (a plain number is
 * seconds, or ms for `unit: 'ms'`) and hold milliseconds; `bool` options take an optional
 * true/false, so that `AUDIENCECTL_DRY_RUN=false` means false.
 */
type Spec = {
  flags: string;
  env: string;
  help: string;
  kind?: 'duration' | 'bool' | 'count';
  unit?: 'ms';
  fallback?: string;
  choices?: string[];
};

const SPECS: Spec[] = [
  { flags: '--repo <url>', env: 'AUDIENCECTL_REPO_URL', help: 'git repository to follow (https, ssh)' },
  { flags: '--dir <path>', env: 'AUDIENCECTL_DIR', help: 'watch a local directory instead (development)' },
  { flags: '--branch <name>', env: 'AUDIENCECTL_BRANCH', help: 'branch to follow', fallback: 'main' },
  {
    flags: '--path <subdir>',
    env: 'AUDIENCECTL_PATH',
    help: 'manifest directory inside the source',
    fallback: '',
  },
  {
    flags: '--interval <duration>',
    env: 'AUDIENCECTL_INTERVAL',
    help: 'sync (git fetch) this often',
    kind: 'duration',
  },
  {
    flags: '--resync-interval <duration>',
    env: 'AUDIENCECTL_RESYNC_INTERVAL',
    help: 'reconcile this often even without changes',
    kind: 'duration',
  },
  {
    flags: '--refresh-interval <duration>',
    env: 'AUDIENCECTL_REFRESH_INTERVAL',
    help: 'read the recorded audiences back from AEP this often and correct drift (0 never)',
    kind: 'duration',
  },
  {
    flags: '--work-dir <dir>',
    env: 'AUDIENCECTL_WORK_DIR',
    help: 'git object store and checkouts; one per controller (locked: a second controller on it is refused)',
  },
  {
    flags: '--allow-file-urls',
    env: 'AUDIENCECTL_ALLOW_FILE_URLS',
    help: 'accept file:// URLs and local repository paths (tests, development)',
    kind: 'bool',
  },
  { flags: '--git-token <token>', env: 'AUDIENCECTL_GIT_TOKEN', help: 'HTTPS token (prefer the variable)' },
  {
    flags: '--git-token-file <file>',
    env: 'AUDIENCECTL_GIT_TOKEN_FILE',
    help: 'HTTPS token read from this file at each fetch (a mounted Secret: a rotated token is used without a restart)',
  },
  { flags: '--git-username <name>', env: 'AUDIENCECTL_GIT_USERNAME', help: 'user name sent with the token' },
  { flags: '--git-ssh-key-file <file>', env: 'AUDIENCECTL_GIT_SSH_KEY_FILE', help: 'SSH private key' },
  {
    flags: '--git-known-hosts-file <file>',
    env: 'AUDIENCECTL_GIT_KNOWN_HOSTS_FILE',
    help: 'known_hosts for SSH',
  },
  {
    flags: '--git-strict-host-key-checking <mode>',
    env: 'AUDIENCECTL_GIT_STRICT_HOST_KEY_CHECKING',
    help: 'yes, or accept-new to trust a host on first use',
    fallback: 'yes',
    choices: ['yes', 'accept-new'],
  },
  {
    flags: '--git-ca-file <file>',
    env: 'AUDIENCECTL_GIT_CA_FILE',
    help: 'CA bundle of a private HTTPS git server',
  },
  { flags: '--git-depth <n>', env: 'AUDIENCECTL_GIT_DEPTH', help: 'shallow fetch depth', kind: 'count' },
  {
    flags: '--git-timeout <duration>',
    env: 'AUDIENCECTL_GIT_TIMEOUT',
    help: 'kill a silent git',
    kind: 'duration',
  },
  {
    flags: '--watch-debounce <duration>',
    env: 'AUDIENCECTL_WATCH_DEBOUNCE',
    help: 'with --dir: quiet time before a burst of edits is reconciled (a burst that never goes quiet: after 10 x it, at least 2s); removals of a file changed this recently are held',
    kind: 'duration',
  },
  {
    flags: '--webhook-secret <secret>',
    env: 'AUDIENCECTL_WEBHOOK_SECRET',
    help: 'enables POST /webhook with this HMAC secret (prefer the variable or --webhook-secret-file)',
  },
  {
    flags: '--webhook-secret-file <file>',
    env: 'AUDIENCECTL_WEBHOOK_SECRET_FILE',
    help: 'read the webhook HMAC secret from this file, again when it changes (a rotated Secret needs no restart)',
  },
  {
    flags: '--listen <address>',
    env: 'AUDIENCECTL_LISTEN',
    help: 'HTTP address (:8080, 127.0.0.1:8080, [::]:8080)',
  },
  {
    flags: '--webhook-listen <address>',
    env: 'AUDIENCECTL_WEBHOOK_LISTEN',
    help: 'serve POST /webhook alone on this address (then not on --listen), so only it is exposed',
  },
  {
    flags: '--http-token <token>',
    env: 'AUDIENCECTL_HTTP_TOKEN',
    help: 'bearer token required for /status, /plan and /metrics (prefer the variable or --http-token-file)',
  },
  {
    flags: '--http-token-file <file>',
    env: 'AUDIENCECTL_HTTP_TOKEN_FILE',
    help: 'read the bearer token of /status, /plan and /metrics from this file',
  },
  { flags: '--dry-run', env: 'AUDIENCECTL_DRY_RUN', help: 'publish plans, apply nothing', kind: 'bool' },
  {
    flags: '--full-reads',
    env: 'AUDIENCECTL_FULL_READS',
    help: 'read every manifest and state record on every pass, not only what changed',
    kind: 'bool',
  },
  {
    flags: '--log-level <level>',
    env: 'AUDIENCECTL_LOG_LEVEL',
    help: 'log level',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  },
  { flags: '--config <file>', env: 'AUDIENCECTL_CONFIG', help: 'AEP configuration file (YAML or JSON)' },
  {
    flags: '--emulator',
    env: 'AUDIENCECTL_EMULATOR',
    help: 'reconcile against the embedded emulator',
    kind: 'bool',
  },
  {
    flags: '--poll-interval <duration>',
    env: 'AUDIENCECTL_POLL_INTERVAL_MS',
    help: 'first wait before polling an operation or run (a plain number is ms)',
    kind: 'duration',
    unit: 'ms',
    fallback: String(DEFAULT_OPERATION_POLL.firstMs),
  },
  {
    flags: '--run-wait <duration>',
    env: 'AUDIENCECTL_RUN_WAIT',
    help: 'follow a started run this long; a later pass picks it up after that',
    kind: 'duration',
  },
  {
    flags: '--requeue-after <duration>',
    env: 'AUDIENCECTL_REQUEUE_AFTER',
    help: 'try a step waiting for a run in progress again after this',
    kind: 'duration',
  },
  {
    flags: '--backoff-base <duration>',
    env: 'AUDIENCECTL_BACKOFF_BASE',
    help: 'wait after an audience fails (doubles with each failure)',
    kind: 'duration',
  },
  {
    flags: '--backoff-max <duration>',
    env: 'AUDIENCECTL_BACKOFF_MAX',
    help: 'longest wait of a failing audience',
    kind: 'duration',
  },
  {
    flags: '--lock-timeout <duration>',
    env: 'AUDIENCECTL_LOCK_TIMEOUT',
    help: 'wait this long for the state lock',
    kind: 'duration',
  },
  {
    flags: '--shutdown-grace <duration>',
    env: 'AUDIENCECTL_SHUTDOWN_GRACE',
    help: 'on SIGTERM, stop within this (keep it under terminationGracePeriodSeconds)',
    kind: 'duration',
  },
];

/** Durations where 0 means something (at once, never). */
const ZERO_ALLOWED = new Set(['--lock-timeout', '--refresh-interval']);

function camel(flags: string): string {
  return (flags.split(' ')[0] ?? '').slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function buildOption(spec: Spec): Option {
  const name = spec.flags.split(' ')[0] ?? spec.flags;
  const defaults = RUN_DEFAULTS as Record<string, string>;
  const fallback = spec.fallback ?? defaults[camel(spec.flags)];
  let option: Option;
  if (spec.kind === 'bool') return boolOption(spec.flags, spec.help).env(spec.env);
  if (spec.kind === 'duration')
    // --lock-timeout may be 0 (fail at once), --refresh-interval 0 (never); an interval of 0 would spin.
    option = durationOption(spec.flags, spec.help, spec.unit ?? 's', {
      positive: !ZERO_ALLOWED.has(name),
    });
  else if (spec.kind === 'count') option = countOption(spec.flags, spec.help);
  // Checked with the other options, so a bad variable is named as a bad flag is.
  else if (spec.choices) option = choiceOption(spec.flags, spec.help, spec.choices);
  else option = new Option(spec.flags, spec.help);
  option.env(spec.env);
  // Empty by default (`--path`: the repository's top), so empty on the command line too.
  if (fallback === '') allowEmpty(option);
  return fallback === undefined ? option : option.default(fallback);
}

/**
 * Environment variables of the options `plan-options.ts` and `source-options.ts` define,
 * given to them as they are made (commander reads a variable only for an option that had
 * it when it was added), so their values are read and checked as the flags are.
 */
const SHARED_ENV: EnvNames = {
  '--include': 'AUDIENCECTL_INCLUDE',
  '--exclude': 'AUDIENCECTL_EXCLUDE',
  '--max-file-bytes': 'AUDIENCECTL_MAX_FILE_BYTES',
  '--max-deletes': 'AUDIENCECTL_MAX_DELETES',
  '--runs-per-day': 'AUDIENCECTL_RUNS_PER_DAY',
  '--runs-per-audience': 'AUDIENCECTL_RUNS_PER_AUDIENCE',
};
export function defineRunOptions(command: Command): Command {
  addPlanOptions(addSourceOptions(command, SHARED_ENV), SHARED_ENV);
  for (const spec of SPECS) command.addOption(buildOption(spec));
  return command;
}

/** A duration option of `run` as the user gave it: its name (flag or variable) and its text. */
function givenAs(command: Command, key: string): { name: string; text: string; ms: unknown } {
  const option = command.options.find((candidate) => candidate.attributeName() === key);
  const source = command.getOptionValueSource(key);
  const name = source === 'env' && option?.envVar ? option.envVar : (option?.long ?? key);
  const text = (option && givenText(option)) ?? '';
  return {
    name,
    text: source === 'default' ? `${text}, its default` : text,
    ms: command.getOptionValue(key),
  };
}

/**
 * --backoff-base over --backoff-max (flags, variables or defaults): the controller raised the
 * maximum to the base without a word, so the longest wait was not what was set. Refused, naming
 * both as given. Checked after the typed options are read (their values are milliseconds).
 */
export function backoffProblems(command: Command): string[] {
  const base = givenAs(command, 'backoffBase');
  const max = givenAs(command, 'backoffMax');
  if (typeof base.ms !== 'number' || typeof max.ms !== 'number' || base.ms <= max.ms) return [];
  return [
    `${base.name} (${base.text}) is longer than ${max.name} (${max.text}): lower ${base.name} or raise ${max.name}`,
  ];
}
