import type { Diagnostic } from '../manifest/diagnostics.js';
import type { BaseTreeAnswers } from '../manifest/read-git.js';
import { configFileOf, defaultSandboxFrom, mayGiveDefaultSandbox } from './manifest-sandbox.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A configuration file larger than this, at the base, is not read (none is near it). */
const MAX_BASE_CONFIG_BYTES = 1024 * 1024;

/**
 * The sandbox `plan --base` reads the base's manifests that name none in: the default
 * sandbox the base was applied with. When it comes from the configuration file (`--config`,
 * AUDIENCECTL_CONFIG) and that file is in the repository, the base's own version of the
 * file says it, as manifestSandboxOf resolves it: its `defaultSandbox`, else AEP_SANDBOX,
 * else `prod`. A pull request that changes defaultSandbox then plans the moves its apply
 * blocks, not "No changes". `--sandbox` typed, a file outside the repository or one the
 * base lacks: the working tree's default sandbox, as before. A base file that cannot be
 * read or parsed: the same, with a warning that never quotes the file (it may hold secrets).
 */
export async function baseDefaultSandbox(
  flags: { sandbox: string; config?: string | undefined },
  typed: boolean,
  ref: string,
  asked: BaseTreeAnswers | undefined,
  env: Env = process.env,
): Promise<{ sandbox: string; warning?: Diagnostic }> {
  const here = { sandbox: flags.sandbox };
  const name = configFileOf(flags.config, env);
  if (typed || name === undefined || asked === undefined) return here;
  const { readFileAtBase } = await import('../manifest/read-git.js');
  const atBase = await readFileAtBase(asked, name, MAX_BASE_CONFIG_BYTES);
  if (atBase.kind === 'outside' || atBase.kind === 'absent') return here;
  const warning = (why: string): Diagnostic => ({
    severity: 'warning',
    file: '.',
    line: 0,
    column: 0,
    rule: 'base/config-unread',
    message: `the configuration file ${name} in --base "${ref}" ${why}: the base's manifests that name no sandbox are read in "${flags.sandbox}", the default sandbox here`,
  });
  if (atBase.kind === 'unreadable') return { ...here, warning: warning(`cannot be read (${atBase.reason})`) };
  const text = atBase.bytes.toString('utf8');
  // The yaml library and zod are loaded only for a file that may set it, as for the working tree's.
  if (!mayGiveDefaultSandbox(text)) return { sandbox: defaultSandboxFrom(undefined, env) };
  const parsed = (await import('../config/read-file.js')).parseConfigText(text);
  if (!parsed.ok) {
    // Where, never what: a problem's text could quote the file.
    const first = parsed.problems.find((p) => p.line !== undefined);
    const at = first ? ` (at line ${first.line}, column ${first.column ?? 1})` : '';
    return { ...here, warning: warning(`is not a valid configuration${at}`) };
  }
  return { sandbox: defaultSandboxFrom(parsed.data.defaultSandbox, env) };
}
