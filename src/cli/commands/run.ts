import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL } from '../../apply/clock.js';
import type { ControllerSource } from '../../daemon/controller.js';
import type { ReconcileSettings } from '../../daemon/pass.js';
import { UsageError } from '../../errors.js';
import { checkFileForReader } from '../../files/read-regular.js';
import { startController } from '../../daemon/controller.js';
import { httpTokenOf } from '../../daemon/http-token-file.js';
import { parseListenAddress } from '../../daemon/http-server.js';
import { SourceConfigError } from '../../source/errors.js';
import { checkSubPath } from '../../source/git-options.js';
import { checkGitUrl, type CheckedGitUrl } from '../../source/git-url.js';
import { sshUserFor } from '../../source/ssh-user.js';
import { webhookSecretGiven } from '../../daemon/webhook-secret-file.js';
import { assertEmulatorConfig } from '../emulator-config.js';
import { assertOwnWebhookAddress } from '../webhook-address.js';
import { createLogger, registerSecret } from '../../log.js';
import { connect, credentialsAbsent, offlineConnection } from '../connect.js';
import { readFilterEnv, type FilterEnvReading } from '../filter-env.js';
import { planOptionsFrom } from '../plan-options.js';
import { pasteFlagsOf } from '../paste-flags.js';
import { assertDirectory } from '../source-options.js';
import { locateState, storeAccessOf } from '../state-options.js';
import { nextSignal, startWithSignals } from '../next-signal.js';
import { addProblemCheck, readBoolean } from '../typed-options.js';
import { backoffProblems, defineRunOptions, type RunFlags } from './run-options.js';

/**
 * The boolean flags shared with plan and apply (the guards, --adopt): commander would read
 * any value (even "false") as true, so their variables are read here.
 */
const GUARD_ENV = {
  allowReplace: 'AUDIENCECTL_ALLOW_REPLACE',
  allowMassDelete: 'AUDIENCECTL_ALLOW_MASS_DELETE',
  allowEmptySource: 'AUDIENCECTL_ALLOW_EMPTY_SOURCE',
  allowMassRecreate: 'AUDIENCECTL_ALLOW_MASS_RECREATE',
  adopt: 'AUDIENCECTL_ADOPT',
} as const;

/** The guards' environment variables: each must read as true or false. */
function guardEnvProblems(command: Command): string[] {
  const problems: string[] = [];
  for (const [name, env] of Object.entries(GUARD_ENV)) {
    const value = process.env[env];
    if (value === undefined || command.getOptionValueSource(name) === 'cli') continue;
    const read = readBoolean(value);
    if (!read.ok) problems.push(`${env}: ${read.message}`);
  }
  return problems;
}

/**
 * AUDIENCECTL_INCLUDE and AUDIENCECTL_EXCLUDE as read (src/cli/filter-env.ts), for those that
 * gave the value; `--include`/`--exclude` on the command line are repeated, each taken as typed.
 */
function filterEnvReadings(command: Command): Map<'include' | 'exclude', FilterEnvReading> {
  const readings = new Map<'include' | 'exclude', FilterEnvReading>();
  for (const key of ['include', 'exclude'] as const) {
    const option = command.options.find((candidate) => candidate.attributeName() === key);
    const value = process.env[option?.envVar ?? ''];
    if (command.getOptionValueSource(key) !== 'env' || value === undefined || !option?.envVar) continue;
    readings.set(key, readFilterEnv(option.envVar, value));
  }
  return readings;
}

/** The filters' variables: a value that would cut a glob in two is refused, naming the variable. */
function filterEnvProblems(command: Command): string[] {
  return [...filterEnvReadings(command).values()].flatMap((reading) => (reading.ok ? [] : [reading.message]));
}

/**
 * Reads the flags commander cannot take from the environment by itself (checked before the
 * action); returns what the filters' variables leave to be said (a line that may be a list).
 */
function completeFromEnv(command: Command, flags: RunFlags): string[] {
  for (const [name, env] of Object.entries(GUARD_ENV)) {
    const value = process.env[env];
    if (value === undefined || command.getOptionValueSource(name) === 'cli') continue;
    const read = readBoolean(value);
    if (read.ok) flags[name as keyof typeof GUARD_ENV] = read.value;
  }
  const notes: string[] = [];
  for (const [key, reading] of filterEnvReadings(command)) {
    if (!reading.ok) continue;
    notes.push(...reading.notes);
    // An empty variable (a deployment's way to leave it unset) is none.
    if (reading.globs.length > 0) flags[key] = reading.globs;
    else delete flags[key];
  }
  return notes;
}

/**
 * The setting as the user gave it: its environment variable when the value came from there (a
 * Helm deployment has only those), else its flag; as typedOptionProblems names a bad value.
 */
function settingName(command: Command, key: keyof RunFlags): string {
  const option = command.options.find((candidate) => candidate.attributeName() === key);
  const flag = option?.long ?? key;
  return command.getOptionValueSource(key) === 'env' && option?.envVar ? option.envVar : flag;
}

/** checkSubPath, its error naming --path or AUDIENCECTL_PATH (`name`), whichever gave it. */
function subPathOf(subPath: string, root: string, name: string): string {
  try {
    return checkSubPath(subPath, root);
  } catch (error) {
    if (error instanceof SourceConfigError)
      throw new SourceConfigError(error.code, `${name}: ${error.message}`);
    throw error;
  }
}

/**
 * checkGitUrl, its refusal naming --repo or AUDIENCECTL_REPO_URL (`name`), whichever gave it:
 * a controller whose URL comes from a chart's values or a variable said only "repository URL
 * refused", naming no setting to change.
 */
function repositoryUrlOf(url: string, allowFileUrls: boolean, name: string): CheckedGitUrl {
  try {
    return checkGitUrl(url, { allowFileUrls });
  } catch (error) {
    if (error instanceof SourceConfigError)
      throw new SourceConfigError(error.code, `${name}: ${error.message}`);
    throw error;
  }
}

/**
 * `--dir` (or AUDIENCECTL_DIR, `name`) checked at start, as plan checks its directory: one
 * missing was told as the state store's problem first, or (the store there) started a
 * controller whose every sync failed; one naming a file ended in an internal error that never
 * exited. While the controller runs, a directory gone is waited for (docs/controller.md).
 */
function directoryOf(dir: string, name: string): void {
  try {
    assertDirectory(dir);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.code, `${name}: ${error.message}`);
    throw error;
  }
}

function sourceOf(flags: RunFlags, named: (key: keyof RunFlags) => string): ControllerSource {
  if (flags.repo !== undefined && flags.dir !== undefined)
    throw new UsageError('RUN_SOURCE', `give either ${named('repo')} or ${named('dir')}, not both`);
  if (flags.dir !== undefined) {
    directoryOf(flags.dir, named('dir'));
    // As inside a repository: --path names a directory under --dir, never one beside it.
    const subPath = subPathOf(flags.path, 'the directory', named('path'));
    const dir = path.resolve(flags.dir, subPath);
    // The directory read is --path's under --dir: a file there ended as --dir's did (an internal
    // error that never exited), one missing started a controller whose every sync failed.
    if (dir !== path.resolve(flags.dir)) directoryOf(dir, named('path'));
    return { kind: 'dir', dir, debounceMs: flags.watchDebounce };
  }
  if (flags.repo === undefined)
    throw new UsageError(
      'RUN_SOURCE',
      'give the repository with --repo (AUDIENCECTL_REPO_URL) or a directory with --dir',
    );
  subPathOf(flags.path, 'the repository root', named('path'));
  // ssh and git read these at each fetch: a missing one made every sync fail in git's words
  // (naming no flag), a FIFO held each fetch until --git-timeout. Under accept-new ssh writes
  // the hosts it meets to known_hosts, so that one may not exist yet.
  if (flags.gitToken !== undefined && flags.gitTokenFile !== undefined)
    throw new UsageError(
      'RUN_SOURCE',
      `give the git token either with ${named('gitTokenFile')} or ${named('gitToken')}, not both`,
    );
  // Read again at each fetch (GitSource): checked now, so a wrong path is said at start.
  if (flags.gitTokenFile) checkFileForReader(flags.gitTokenFile, named('gitTokenFile'), { secret: true });
  if (flags.gitSshKeyFile) checkFileForReader(flags.gitSshKeyFile, named('gitSshKeyFile'), { secret: true });
  if (flags.gitKnownHostsFile)
    checkFileForReader(flags.gitKnownHostsFile, named('gitKnownHostsFile'), {
      missingOk: flags.gitStrictHostKeyChecking === 'accept-new',
    });
  if (flags.gitCaFile) checkFileForReader(flags.gitCaFile, named('gitCaFile'));
  // An ssh that cannot run under this uid is refused now, before anything is logged (the
  // source checks the URL again, and prepares ssh's user, when the controller starts it).
  sshUserFor(repositoryUrlOf(flags.repo, flags.allowFileUrls, named('repo')).transport);
  return {
    kind: 'git',
    options: {
      url: flags.repo,
      branch: flags.branch,
      path: flags.path,
      workDir: flags.workDir,
      tokenUsername: flags.gitUsername,
      sshStrictHostKeyChecking: flags.gitStrictHostKeyChecking,
      allowFileUrls: flags.allowFileUrls,
      timeoutMs: flags.gitTimeout,
      ...(flags.gitToken ? { token: flags.gitToken } : {}),
      ...(flags.gitTokenFile ? { tokenFile: flags.gitTokenFile } : {}),
      ...(flags.gitSshKeyFile ? { sshKeyFile: flags.gitSshKeyFile } : {}),
      ...(flags.gitKnownHostsFile ? { knownHostsFile: flags.gitKnownHostsFile } : {}),
      ...(flags.gitCaFile ? { caFile: flags.gitCaFile } : {}),
      ...(flags.gitDepth ? { depth: flags.gitDepth } : {}),
    },
  };
}

function settingsOf(flags: RunFlags, offline: boolean): ReconcileSettings {
  const read = {
    ...(flags.include ? { include: flags.include } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.maxFileBytes ? { maxFileBytes: flags.maxFileBytes } : {}),
  };
  return {
    dryRun: flags.dryRun,
    ...(flags.fullReads ? { fullReads: true } : {}),
    read,
    defaultSandbox: flags.sandbox,
    // Without credentials no sandbox is reached, and the dry run calls none: nothing is held for it.
    ...(offline ? { holdSandboxesWithoutCredentials: false } : {}),
    planOptions: (now) => planOptionsFrom(flags, now),
    lockTimeoutMs: flags.lockTimeout,
    operationPoll: {
      ...DEFAULT_OPERATION_POLL,
      firstMs: flags.pollInterval,
      maxMs: Math.max(flags.pollInterval, DEFAULT_OPERATION_POLL.maxMs),
    },
    // A pass follows a started run briefly; after that a later pass picks it up.
    runPoll: {
      ...DEFAULT_RUN_POLL,
      firstMs: Math.min(flags.pollInterval * 2, flags.runWait),
      maxMs: Math.max(flags.pollInterval * 2, DEFAULT_RUN_POLL.maxMs),
      timeoutMs: flags.runWait,
    },
  };
}

export function runCommand(setExit: (code: number) => void): Command {
  const command = defineRunOptions(
    new Command('run').description(
      'The GitOps controller: follow a repository, reconcile continuously, serve health, metrics and status',
    ),
  ).addHelpText(
    'after',
    [
      '',
      'Every option can also be set by the environment variable shown; AEP credentials come from',
      'AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID (or --config). Guards read AUDIENCECTL_ALLOW_REPLACE,',
      'AUDIENCECTL_ALLOW_MASS_DELETE, AUDIENCECTL_ALLOW_EMPTY_SOURCE and AUDIENCECTL_ALLOW_MASS_RECREATE,',
      'and --adopt AUDIENCECTL_ADOPT (true/false). AUDIENCECTL_INCLUDE and AUDIENCECTL_EXCLUDE hold one',
      'glob per line (a value on one line is split at blanks). See docs/controller.md.',
      '',
      'Examples:',
      '  audiencectl run --repo https://github.com/acme/audiences.git --path audiences',
      '  audiencectl run --dir examples/audiences --emulator --state "$(mktemp -d)" --listen 127.0.0.1:8080',
    ].join('\n'),
  );
  addProblemCheck(command, guardEnvProblems);
  addProblemCheck(command, filterEnvProblems);
  addProblemCheck(command, backoffProblems);
  command.action(async (flags: RunFlags) => {
    const filterNotes = completeFromEnv(command, flags);
    await assertEmulatorConfig(command, flags);
    registerSecret(flags.gitToken);
    const logger = createLogger({ level: flags.logLevel });
    const webhookSecret = webhookSecretGiven(
      {
        secret: flags.webhookSecret,
        file: flags.webhookSecretFile,
        secretName: settingName(command, 'webhookSecret'),
        fileName: settingName(command, 'webhookSecretFile'),
      },
      logger,
    );
    const httpToken = httpTokenOf(
      {
        token: flags.httpToken,
        file: flags.httpTokenFile,
        fileName: settingName(command, 'httpTokenFile'),
        tokenName: settingName(command, 'httpToken'),
      },
      logger,
    );
    const source = sourceOf(flags, (key) => settingName(command, key));
    const listen = parseListenAddress(flags.listen, settingName(command, 'listen'));
    const webhookListen =
      flags.webhookListen === undefined
        ? undefined
        : parseListenAddress(flags.webhookListen, settingName(command, 'webhookListen'));
    if (webhookListen !== undefined && flags.webhookListen !== undefined)
      await assertOwnWebhookAddress(
        { ...listen, given: flags.listen, name: settingName(command, 'listen') },
        { ...webhookListen, given: flags.webhookListen, name: settingName(command, 'webhookListen') },
      );
    // Refused here, not only by startController, to name the setting as given (a Helm
    // deployment sets AUDIENCECTL_WEBHOOK_LISTEN, and has no --webhook-listen to remove).
    if (webhookListen !== undefined && webhookSecret === undefined)
      throw new UsageError(
        'WEBHOOK_LISTEN',
        `${settingName(command, 'webhookListen')} needs a webhook secret (--webhook-secret-file or AUDIENCECTL_WEBHOOK_SECRET_FILE, --webhook-secret or AUDIENCECTL_WEBHOOK_SECRET)`,
      );
    for (const note of filterNotes) logger.warn({}, note);
    // A dry run only plans: without credentials it starts, and says so, rather than refuse.
    const offline = flags.dryRun && credentialsAbsent(flags);
    if (offline)
      logger.warn(
        { mode: 'dry-run' },
        'no AEP credentials: the dry-run controller plans and publishes, and makes no API call',
      );
    const signals = nextSignal();
    const controller = await startWithSignals(signals, async () => {
      const located = await locateState(flags);
      return startController({
        source,
        branch: flags.branch,
        webhookSecret,
        listen,
        webhookListen,
        httpToken,
        state: located.location,
        stateFrom: located.from,
        // As apply opens it: the store's messages (the `init` of a schema never made) name the
        // flags typed, and a URL from AUDIENCECTL_STATE or `state:` not at all (docs/state.md).
        stateAccess: storeAccessOf({ ...flags, paste: pasteFlagsOf(command) }),
        // Starting from the readings of the API page earlier processes learned, and keeping what
        // it learns, in the controller's own store.
        connect: (extras, memory) =>
          offline ? Promise.resolve(offlineConnection()) : connect(flags, extras, memory),
        logger,
        settings: settingsOf(flags, offline),
        intervalMs: flags.interval,
        resyncIntervalMs: flags.resyncInterval,
        // Without credentials there is nothing to read back: the offline dry run never refreshes.
        refreshIntervalMs: offline ? 0 : flags.refreshInterval,
        requeueAfterMs: flags.requeueAfter,
        // A base over the maximum is refused with the flags (backoffProblems).
        backoff: { baseMs: flags.backoffBase, maxMs: flags.backoffMax },
        shutdownGraceMs: flags.shutdownGrace,
      });
    });
    // A leader that lost the state lock stops like a signalled one, and exits with 1 so that
    // its supervisor restarts it (as a standby).
    const ended = await Promise.race([
      signals.signalled.then((signal) => ({ signal, deposed: false })),
      controller.deposed.then(() => ({ signal: 'lost leadership', deposed: true })),
    ]);
    const signal = ended.signal;
    // The last resort: whatever still holds the event loop, the process ends with the grace period.
    setTimeout(() => {
      logger.error({ signal }, 'shutdown exceeded the grace period; exiting');
      process.exit(1);
    }, flags.shutdownGrace + 1_000).unref();
    const inTime = await controller.stop(signal);
    setExit(inTime && !ended.deposed ? 0 : 1);
  });
  return command;
}
