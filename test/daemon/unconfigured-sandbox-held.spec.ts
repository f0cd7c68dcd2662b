import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { NO_RUN, PROD_ONLY_CONFIG } from '../helpers/partner-org.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 37a, M-2: one team's manifest names a sandbox the configuration gives no credentials
// (a typo, a sandbox not set up yet). The controller failed every pass as a whole
// (AEP_SANDBOX_UNKNOWN), so no other team's manifest was applied either, and /status had no
// diagnostic naming the file. Now that file is held and named, the rest applied. docs/controller.md: "A revision whose manifests are invalid is
// still reconciled: the broken files apply nothing ... the other files are applied."

const spec = controllerSpec('review-37a-');

/**
 * team-a/gold.yaml in prod and team-b/qgold.yaml in qa under `root`/manifests, a configuration
 * file giving credentials for prod only, and an environment with no shared ones.
 */
async function prodOnly(
  em: RunningEmulator,
  root: string,
): Promise<{ dir: string; config: string; env: Record<string, string> }> {
  const dir = path.join(root, 'manifests');
  const config = path.join(root, 'audiencectl.yaml');
  await mkdir(path.join(dir, 'team-a'), { recursive: true });
  await mkdir(path.join(dir, 'team-b'), { recursive: true });
  await writeFile(config, PROD_ONLY_CONFIG);
  await writeFile(path.join(dir, 'team-a/gold.yaml'), manifestYaml('gold', NO_RUN));
  await writeFile(
    path.join(dir, 'team-b/qgold.yaml'),
    manifestYaml('qgold', { metadata: { sandbox: 'qa' }, ...NO_RUN }),
  );
  const env: Record<string, string> = { ...controllerEnv(em), PROD_SECRET: DEMO_CLIENT.clientSecret };
  delete env['AEP_CLIENT_ID'];
  delete env['AEP_CLIENT_SECRET'];
  delete env['AEP_ORG_ID'];
  return { dir, config, env };
}

describe('run: a manifest naming a sandbox without credentials', () => {
  it('does not stop the manifests of the configured sandbox', async () => {
    const { em, root } = await spec.setUp();
    const { dir, config, env } = await prodOnly(em, root);
    const state = path.join(root, 'state');
    const ctl = await spec.start(
      ['--dir', dir, '--state', state, '--config', config, '--interval', '1h'],
      env,
    );
    const status = await statusWhen(
      ctl,
      (s) => s.reconcile.lastFinishedAt !== null && !s.reconcile.running,
      'the first pass',
    );
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
      'Audience gold',
    ]);
    // The file of the sandbox without credentials is held and named; the pass succeeded.
    expect(status.reconcile.lastResult).toBe('success');
    expect(status.diagnostics.map((d) => `${d.file}:${d.line ?? 0} ${d.rule}`)).toEqual([
      'team-b/qgold.yaml:1 config/sandbox-without-credentials',
    ]);
    expect(status.diagnostics[0]?.message).toContain('no AEP credentials for sandbox "qa"');
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'qa')).toEqual([]);
  }, 60_000);
  it('apply (the CLI) stops before any call, naming the sandbox, and applies nothing', async () => {
    const { em, root } = await spec.setUp();
    const { dir, config, env } = await prodOnly(em, root);
    // The store made is a premise: the CLI's entry in this process (cli-in-process.ts).
    const init = await runCliInProcess(['init', '--state', path.join(root, 'state'), '--config', config], {
      env,
    });
    expect(init.code).toBe(0);
    const result = await runCli(
      ['apply', dir, '--auto-approve', '--state', path.join(root, 'state'), '--config', config],
      { env },
    );
    expect(result.code).toBe(1);
    // fix-sandbox-cli-37: the manifest named, by file and line, before any call.
    expect(result.stderr).toContain(
      `Error: ${path.join(dir, 'team-b/qgold.yaml')}:1: no AEP credentials for sandbox "qa" (audience "qgold"): add it under "sandboxes:" in ${config}, or set metadata.sandbox to a configured sandbox (prod); nothing was sent to AEP or applied\n`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
  }, 60_000);
});
