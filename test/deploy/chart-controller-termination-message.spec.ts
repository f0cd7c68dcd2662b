import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';
import { controller } from './pod-env.js';

/**
 * REVIEW chart-43 L-1 (fixed: templates/deployment.yaml). A controller that refuses its configuration at start exits 1 with one
 * line (`AUDIENCECTL_INTERVAL: "90" is not a duration …` from an `extraEnv` the chart cannot
 * check, `STATE_SCHEMA_OUTDATED` with `state.migrate: false`, `STATE_NOT_INITIALISED` in a dry
 * run, an ssh URL under a uid without a user): the pod goes into CrashLoopBackOff, and
 * `kubectl describe pod` shows only "Last State: Terminated, Reason: Error, Exit Code: 1". The
 * chart gives `init-state` `terminationMessagePolicy: FallbackToLogsOnError` so that its one
 * line shows there (docs/deploy.md), but not the controller, whose refusals are the same kind.
 *
 * Here: the controller's container puts its last log lines in its status as init-state does.
 */
describe.each(helmBinaries())('helm $major: the controller container', (bin) => {
  it.concurrent('puts a failed start in its status, as init-state does', async () => {
    const rendered = await template(bin, { values: MINIMAL_VALUES });
    expect(rendered.stderr).toBe('');
    expect(controller(rendered.objects).terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });
});
