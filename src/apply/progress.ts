import type { Step } from '../plan/schema.js';
import { escapeText } from '../text/safe-text.js';
import { elapsedClock } from './clock.js';
import type { Clock, ProgressSink, StepResult, StepStatus } from './types.js';

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'dim';
const CODES: Record<Colour, number> = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2 };

const MARK: Record<StepStatus, { text: string; colour: Colour }> = {
  applied: { text: 'ok', colour: 'green' },
  started: { text: 'started', colour: 'cyan' },
  failed: { text: 'FAILED', colour: 'red' },
  blocked: { text: 'blocked', colour: 'yellow' },
  deferred: { text: 'deferred', colour: 'yellow' },
  skipped: { text: 'skipped', colour: 'dim' },
};

/** How often a log without a terminal hears that the apply is still waiting. */
export const HEARTBEAT_MS = 30_000;
/** How often the live line of a terminal is redrawn (its elapsed time moves). */
export const REDRAW_MS = 1_000;

export type ProgressOptions = {
  clock: Clock;
  /** Colour the result marks (`ok`, `FAILED`, `blocked`). */
  color: boolean;
};

function paint(color: boolean, colour: Colour, text: string): string {
  return color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** `12s`, `1m05s`, `2h03m`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function line(result: StepResult, color: boolean): string {
  const { step } = result;
  const mark = MARK[result.status];
  // The message can quote the service's answer: shown escaped, like every value.
  return `${paint(color, mark.colour, mark.text.padEnd(8))} ${step.sandbox}/${step.key} ${step.kind}: ${escapeText(result.message)}`;
}

/** Calls `tick` every `ms` of `clock` until `stop` fires. */
function every(clock: Clock, ms: number, stop: AbortSignal, tick: () => void): void {
  void (async () => {
    for (;;) {
      try {
        await clock.sleep(ms, stop);
      } catch {
        return;
      }
      if (stop.aborted) return;
      tick();
    }
  })();
}

/** What is in progress: `prod/gold run, dev/x create +2`. */
function runningList(running: Map<string, Step>, max: number): string {
  const names = [...running.values()].slice(0, max).map((s) => `${s.sandbox}/${s.key} ${s.kind}`);
  const more = running.size > max ? ` +${running.size - max}` : '';
  return `${names.join(', ')}${more}`;
}

/**
 * Plain log lines, one per finished step, for CI logs and pipes; while steps are in
 * progress (runs and operations awaited), a heartbeat line every 30 s says so.
 */
export function plainProgress(write: (text: string) => void, options: ProgressOptions): ProgressSink {
  const { clock, color } = options;
  // Elapsed time on a clock that does not jump: a wall clock stepped back showed a negative one.
  const elapsed = elapsedClock(clock);
  const started = elapsed();
  const running = new Map<string, Step>();
  const stop = new AbortController();
  every(clock, HEARTBEAT_MS, stop.signal, () => {
    if (running.size === 0) return;
    write(
      `         still working after ${formatElapsed(elapsed() - started)}: ${running.size} step(s) in progress: ${runningList(running, 5)}\n`,
    );
  });
  return {
    stepStarted: (step) => {
      running.set(step.id, step);
    },
    stepFinished: (result) => {
      running.delete(result.step.id);
      write(`${line(result, color)}\n`);
    },
    note: (message) => write(`         ${escapeText(message)}\n`),
    close: () => stop.abort(),
  };
}

/**
 * On a terminal: finished steps scroll above one live line with the counts, the time
 * elapsed, and what is running (sandbox/key kind), redrawn every second.
 */
export function ttyProgress(
  write: (text: string) => void,
  total: number,
  options: ProgressOptions,
): ProgressSink {
  const { clock, color } = options;
  // Elapsed time on a clock that does not jump: a wall clock stepped back showed a negative one.
  const elapsed = elapsedClock(clock);
  const started = elapsed();
  const running = new Map<string, Step>();
  const stop = new AbortController();
  let done = 0;
  let failed = 0;
  const status = (): string => {
    const counts = `[${done}/${total}${failed ? `, ${paint(color, 'red', `${failed} failed`)}` : ''}]`;
    return `${counts} ${formatElapsed(elapsed() - started)}  ${runningList(running, 3)}`;
  };
  const redraw = (above?: string): void => write(`\r\u001b[K${above ?? ''}${status()}`);
  every(clock, REDRAW_MS, stop.signal, () => redraw());
  return {
    stepStarted: (step) => {
      running.set(step.id, step);
      redraw();
    },
    stepFinished: (result) => {
      running.delete(result.step.id);
      done += 1;
      if (result.status === 'failed') failed += 1;
      redraw(`${line(result, color)}\n`);
    },
    note: (message) => redraw(`         ${escapeText(message)}\n`),
    close: () => {
      stop.abort();
      write('\r\u001b[K');
    },
  };
}
