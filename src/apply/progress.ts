import type { Step } from '../plan/schema.js';
import type { ProgressSink, StepResult, StepStatus } from './types.js';

const MARK: Record<StepStatus, string> = {
  applied: 'ok',
  started: 'started',
  failed: 'FAILED',
  blocked: 'blocked',
  deferred: 'deferred',
  skipped: 'skipped',
};

function line(result: StepResult): string {
  const { step } = result;
  return `${MARK[result.status].padEnd(8)} ${step.sandbox}/${step.key} ${step.kind}: ${result.message}`;
}

/** Plain log lines, one per finished step: for CI logs and pipes. */
export function plainProgress(write: (text: string) => void): ProgressSink {
  return {
    stepStarted: () => undefined,
    stepFinished: (result) => write(`${line(result)}\n`),
    note: (message) => write(`         ${message}\n`),
    close: () => undefined,
  };
}

/** On a terminal: finished steps scroll above one live line with the counts and what is running. */
export function ttyProgress(write: (text: string) => void, total: number): ProgressSink {
  const running = new Map<string, Step>();
  let done = 0;
  let failed = 0;
  const status = (): string => {
    const names = [...running.values()].slice(0, 3).map((s) => `${s.key} ${s.kind}`);
    const more = running.size > 3 ? ` +${running.size - 3}` : '';
    return `[${done}/${total}${failed ? `, ${failed} failed` : ''}] ${names.join(', ')}${more}`;
  };
  const redraw = (above?: string): void => write(`\r\u001b[K${above ?? ''}${status()}`);
  return {
    stepStarted: (step) => {
      running.set(step.id, step);
      redraw();
    },
    stepFinished: (result) => {
      running.delete(result.step.id);
      done += 1;
      if (result.status === 'failed') failed += 1;
      redraw(`${line(result)}\n`);
    },
    note: (message) => redraw(`         ${message}\n`),
    close: () => write('\r\u001b[K'),
  };
}
