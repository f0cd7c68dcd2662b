import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFile(path.join(repoRoot, file), 'utf8');

/** The Dockerfile's stages: FROM line, then its instructions (continuations joined). */
function stages(dockerfile: string): { from: string; lines: string[] }[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: { from: string; lines: string[] }[] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) result.push({ from: line, lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

type Values = {
  image: { repository: string };
  service: { port: number };
  podSecurityContext: { runAsUser: number };
};

describe('the image (no Docker engine here: the ci workflow builds and runs it)', async () => {
  const dockerfile = await read('Dockerfile');
  const values = parse(await read('helm/audiencectl/values.yaml')) as Values;
  const all = stages(dockerfile);
  const runtime = all.at(-1) ?? { from: '', lines: [] };

  it('pins its base image by digest, with how to update it', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile).toContain('docker buildx imagetools inspect node:24-bookworm-slim');
    for (const stage of all) expect(stage.from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('runs tini as PID 1, node under it, and no npm at run time', () => {
    expect(runtime.lines).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]');
    const installs = runtime.lines.filter((line) => line.startsWith('RUN ')).join(' ');
    expect(installs).toMatch(/apt-get install [^&]*\btini\b/);
    // ssh's user under a uid without a passwd entry (src/source/ssh-user.ts).
    expect(installs).toMatch(/apt-get install [^&]*\blibnss-wrapper\b/);
    expect(installs).toMatch(/rm -rf [^&]*\/usr\/local\/bin\/npm\b/);
    expect(installs).not.toMatch(/\bnpm (ci|install)\b/);
  });

  it('takes production dependencies only, from a stage that omits the dev ones', () => {
    const deps = all.find((stage) => stage.from.endsWith(' AS deps'));
    expect(deps?.lines).toContainEqual(expect.stringMatching(/^RUN npm ci --omit=dev --ignore-scripts/));
    expect(runtime.lines).toContain('COPY --from=deps /app/node_modules ./node_modules');
  });

  it('runs as the chart runs it: the same user, port and listen address on [::]', () => {
    expect(runtime.lines).toContain(
      `USER ${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsUser}`,
    );
    expect(runtime.lines).toContain(`EXPOSE ${values.service.port}`);
    expect(runtime.lines.join('\n')).toContain(`AUDIENCECTL_LISTEN=[::]:${values.service.port}`);
  });

  // REVIEW-34a L-4: `kubectl exec deploy/audiencectl -- audiencectl state …` (docs/deploy.md,
  // "Repairing the file state") runs without the entry point: the command is on the PATH.
  it('has audiencectl on the PATH, linked to the CLI as npm links it, and CI runs it so', async () => {
    const linked = runtime.lines.indexOf('RUN ln -s /app/dist/cli/main.js /usr/local/bin/audiencectl');
    expect(linked).toBeGreaterThan(runtime.lines.indexOf('COPY --from=build /src/dist ./dist'));
    expect(linked).toBeLessThan(runtime.lines.findIndex((line) => line.startsWith('USER ')));
    // The link runs the file itself: a node shebang and the execute bits, as the build writes it.
    const main = path.join(repoRoot, 'dist', 'cli', 'main.js');
    expect((await readFile(main, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    expect((await stat(main)).mode & 0o111).toBe(0o111);
    const ci = parse(await read('.github/workflows/ci.yml')) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const checks = (ci.jobs.image?.steps ?? []).map((step) => step.run ?? '').join('\n');
    expect(checks).toContain(
      'docker run --rm --read-only --tmpfs /tmp --entrypoint audiencectl audiencectl:ci state list',
    );
  });

  it('is released to the repository the chart pulls from, for both architectures', async () => {
    type Job = { steps: { uses?: string; with?: Record<string, unknown>; run?: string }[] };
    const release = parse(await read('.github/workflows/release.yml')) as {
      on: { push: { tags: string[] } };
      env: Record<string, string>;
      jobs: Record<string, Job>;
    };
    expect(release.on.push.tags).toEqual(['v*.*.*']);
    expect(release.env.IMAGE).toBe(values.image.repository);
    const build = release.jobs.image?.steps.find((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(build?.with).toMatchObject({ platforms: 'linux/amd64,linux/arm64', push: true });
    const docs = await read('docs/deploy.md');
    expect(docs).toContain(`helm install audiencectl ${release.env.CHART_REGISTRY}/audiencectl`);
    expect(release.jobs.npm?.steps.map((s) => s.run ?? '')).toContain(
      'npm publish --provenance --access public',
    );
  });

  it('has a ci workflow that runs .ci/run', async () => {
    const ci = parse(await read('.github/workflows/ci.yml')) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    expect(ci.jobs.test?.steps.map((s) => s.run)).toContain('bash .ci/run');
  });
});
