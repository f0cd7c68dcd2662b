import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/plan/render/json.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import { runCli } from '../helpers/cli.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/** The emulator's reason for an injected run failure (its fault table, written out here). */
const REASON = 'Profile ingestion failed (injected runFailure fault).';
const NEXT = 'change ingestion.request to start a new run';

const gold = (request?: string) =>
  manifestObject('gold', { ingestion: { onCreate: true, ...(request ? { request } : {}) } });
const silver = manifestObject('silver', { ingestion: { onCreate: false } });

describe('a failed ingestion run: its reason is stored and shown with what to do next', () => {
  it('in the text, Markdown and JSON plans and in `state show`, until a new run is requested', async () => {
    await withExecutor(undefined, async (env) => {
      env.emulator.control.queueFault({ kind: 'runFailure' });
      const first = await env.apply([gold(), silver]);
      const run = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(run.status).toBe('failed');
      expect(run.message).toContain(`FAILED: ${REASON}; ${NEXT}`);
      const runId = (await env.store().get('prod', 'gold'))!.runs[0]!.runId;

      const plan = await env.plan([gold(), silver]);
      expect(plan.steps).toEqual([]);
      expect(plan.failedRuns).toEqual([{ sandbox: 'prod', key: 'gold', runId, reason: REASON, next: NEXT }]);
      const line = `prod/gold: run ${runId} FAILED: ${REASON}; ${NEXT}`;
      const text = renderText(plan, { color: false });
      expect(text).toContain('No changes.');
      expect(text).toContain(`Last run failed: 1\n  ${line}\n`);
      const markdown = renderMarkdown(plan);
      expect(markdown).toContain(`**Last run failed: 1**\n\n- ${line}\n`);
      expect(JSON.parse(renderJson(plan))).toMatchObject({ failedRuns: plan.failedRuns });

      // One spawn: the JSON record on standard output, the reason and the advice on standard error.
      const shown = await runCli(['state', 'show', 'gold', '--state', env.stateDir]);
      expect(shown.code).toBe(0);
      const record = JSON.parse(shown.stdout) as { runs: Array<Record<string, unknown>> };
      expect(record.runs[0]).toMatchObject({ runId, status: 'FAILED', failureReason: REASON });
      expect(shown.stderr).toBe(`Last run ${runId} FAILED: ${REASON}; ${NEXT}.\n`);

      // A new token plans a run; the plan no longer lists the failure, and the run succeeds.
      const again = await env.plan([gold('retry-1'), silver]);
      expect(again.steps.map((s) => s.id)).toEqual(['prod/gold:run']);
      expect(again.failedRuns).toBeUndefined();
      await env.apply([gold('retry-1'), silver]);
      expect((await env.plan([gold('retry-1'), silver])).failedRuns).toBeUndefined();
    });
  });
});
