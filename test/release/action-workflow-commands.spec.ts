import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtCliOnPath, GIT_ENV } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { actionStep, runBash } from '../action/event-step.js';
import { tempDir } from '../action/comment-step.js';

const exec = promisify(execFile);

/**
 * Review 38a M-4. The runner reads every line a step prints, on stdout and on stderr, as a
 * workflow command when it starts with `::` after leading spaces (actions/runner,
 * ActionCommand.TryParseV2: "the message needs to start with the keyword after trim leading
 * space"). The Plan step prints what `audiencectl plan` wrote to stderr, whose diagnostics
 * start with the file's name: a pull request adding a file named
 * `::notice title=Security review::approved, no changes.yaml` puts a notice of its own
 * wording on the check (`::error`, `::warning` too; `::add-mask::`, `::stop-commands::` work
 * as well). Its output should be printed as text (between `::stop-commands::` and its end).
 */

/** The workflow commands the runner would run from a step's output, as it parses them. */
function commandsIn(output: string): string[] {
  const commands: string[] = [];
  let stoppedUntil: string | undefined;
  for (const line of output.split('\n')) {
    const text = line.trimStart();
    if (stoppedUntil !== undefined) {
      if (text === `::${stoppedUntil}::`) stoppedUntil = undefined;
      continue;
    }
    if (!text.startsWith('::')) continue;
    const end = text.indexOf('::', 2);
    if (end < 0) continue;
    const info = text.slice(2, end);
    const name = info.split(' ')[0] ?? '';
    if (name === 'stop-commands') {
      stoppedUntil = text.slice(end + 2);
      continue;
    }
    commands.push(text);
  }
  return commands;
}

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => {
  ({ dir, done } = await tempDir());
});
afterEach(async () => {
  await done();
});

async function git(...args: string[]): Promise<void> {
  await exec('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
}

describe("the Plan step's log", () => {
  it('runs no workflow command a file name of the pull request spells', async () => {
    await builtCliOnPath(dir);
    await git('init', '-q', '-b', 'main');
    await mkdir(path.join(dir, 'audiences'));
    await writeFile(path.join(dir, 'audiences/gold.yaml'), manifestYaml('gold'));
    await git('add', '.');
    await git('commit', '-qm', 'base');
    // A manifest with an error (no spec): its file name leads a diagnostic line on stderr.
    await writeFile(
      path.join(dir, 'audiences/::notice title=Security review::approved, no changes.yaml'),
      'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata:\n  name: silver\nspec: {}\n',
    );
    await git('add', '.');
    await git('commit', '-qm', 'head');
    const result = await runBash(actionStep('Plan').run ?? '', dir, {
      PATH: `${dir}/bin:${process.env.PATH ?? ''}`,
      DIRECTORY: 'audiences',
      BASE: 'HEAD~1',
      SANDBOX: '',
      BASE_BRANCH: 'main',
      PR_HEAD_SHA: '',
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: path.join(dir, 'outputs'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      AUDIENCECTL_MANIFEST_CACHE: 'off',
    });
    expect(result.code, result.stderr).toBe(0);
    // The diagnostic is in the log, as text.
    expect(result.stderr).toContain('approved, no changes.yaml');
    expect(commandsIn(`${result.stdout}\n${result.stderr}`)).toEqual([]);
  });
});
