import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger, registerSecret } from '../../src/log.js';
import { buildHttpServer } from '../../src/daemon/http-server.js';
import type { DaemonStatusProvider, StatusSnapshot } from '../../src/daemon/types.js';
import { plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { EMPTY, options } from '../helpers/planning.js';

/** Bidi, zero-width, C1 and ESC: what a browser or terminal showing /status or /plan would act on. */
const HOSTILE = 'deleted \u202Edelifas\u202C \u200B\u009b31m\u001b[2J';
// eslint-disable-next-line no-control-regex -- exactly the characters looked for
const RAW = /[\u001b\u009b\u202a-\u202e\u200b]/u;

function statusOf(message: string): StatusSnapshot {
  return {
    mode: 'apply',
    role: 'leader',
    readiness: { ready: true },
    source: {
      revision: 'abc',
      lastSyncAt: null,
      lastError: { code: 'GIT', message, at: 'now' },
      failures: 0,
      nextAttemptAt: null,
      retrying: false,
    },
    reconcile: {
      running: false,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastResult: 'failure',
      lastError: { code: 'AEP', message, at: 'now' },
    },
    plan: null,
    diagnostics: [{ file: `x${message}.yaml`, line: 1, column: 1, message }],
    audiences: [
      { sandbox: 'prod', key: 'gold', state: 'failed', lastError: { code: 'AEP', message, at: 'now' } },
    ],
    audiencesUnknown: null,
  };
}

describe('/status, /plan and the log quote hostile text escaped', () => {
  it('writes bidi, zero-width and control characters as \\u escapes, and the JSON still parses to them', async () => {
    // A manifest that fails (an unknown key with an escape) and one whose description the plan shows.
    const desired = loadTexts({
      'bad.yaml': manifestYaml('bad').replace('spec:\n', `spec:\n  "k${HOSTILE}": 1\n`),
      'gold.yaml': manifestYaml('gold'),
    });
    const markdown = renderMarkdown(plan(desired, EMPTY, options()));
    const provider: DaemonStatusProvider = {
      readiness: () => ({ ready: true }),
      status: () => statusOf(HOSTILE),
      planMarkdown: () => markdown,
    };
    const app = buildHttpServer({ status: provider });
    try {
      const status = await app.inject({ method: 'GET', url: '/status' });
      expect(status.statusCode).toBe(200);
      expect(status.body).not.toMatch(RAW);
      // JSON.stringify escapes ESC itself (lowercase); the rest is escaped on the way out.
      expect(status.body).toContain('\\u202Edelifas\\u202C \\u200B\\u009B31m\\u001b[2J');
      expect((JSON.parse(status.body) as StatusSnapshot).reconcile.lastError?.message).toBe(HOSTILE);

      const planPage = await app.inject({ method: 'GET', url: '/plan' });
      expect(planPage.body).toContain('bad.yaml');
      expect(planPage.body).not.toMatch(RAW);
      expect(planPage.body).toContain('\\u202Edelifas\\u202C \\u200B\\u009B31m\\u001B[2J');
    } finally {
      await app.close();
    }
  });

  it('writes log lines with the same escapes', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    logger.warn({ err: HOSTILE, [`key${HOSTILE}`]: 1 }, `message ${HOSTILE}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(RAW);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: `message ${HOSTILE}`,
      err: HOSTILE,
      [`key${HOSTILE}`]: 1,
    });
  });
});

describe('/status and /plan scrub registered secrets, whatever put them there', () => {
  it('answers without a registered secret in an audience error, a diagnostic or the plan', async () => {
    const secret = `status-canary-${randomUUID()}`;
    registerSecret(secret);
    const provider: DaemonStatusProvider = {
      readiness: () => ({ ready: true }),
      // An audience's step error is built from a service message (not through errorInfo).
      status: () => statusOf(`IMS said: client_secret is ${secret}`),
      planMarkdown: () => `# Plan\n\nfailed: ${secret}\n`,
    };
    const app = buildHttpServer({ status: provider });
    try {
      const status = await app.inject({ method: 'GET', url: '/status' });
      expect(status.statusCode).toBe(200);
      expect(status.body).toContain('IMS said: client_secret is [REDACTED]');
      const planPage = await app.inject({ method: 'GET', url: '/plan' });
      expect(planPage.body).toContain('failed: [REDACTED]');
      for (const body of [status.body, planPage.body]) expect(body).not.toContain(secret);
    } finally {
      await app.close();
    }
  });
});
