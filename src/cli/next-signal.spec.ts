import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { nextSignal, startWithSignals } from './next-signal.js';

// A stand-in for `process` whose listeners can be counted: a real SIGTERM handler in the test
// worker would change how the worker itself ends.
function processLike(): EventEmitter & Pick<NodeJS.Process, 'on' | 'off'> {
  return new EventEmitter() as EventEmitter & Pick<NodeJS.Process, 'on' | 'off'>;
}

const listening = (proc: EventEmitter) => [proc.listenerCount('SIGTERM'), proc.listenerCount('SIGINT')];

describe('the controller waiting for SIGTERM or SIGINT', () => {
  it('resolves with the first signal and stops listening', async () => {
    const proc = processLike();
    const wait = nextSignal(proc);
    expect(listening(proc)).toEqual([1, 1]);
    proc.emit('SIGTERM', 'SIGTERM');
    await expect(wait.signalled).resolves.toBe('SIGTERM');
    expect(listening(proc)).toEqual([0, 0]);
  });

  it('a start that fails stops listening, so that SIGTERM ends the process again', async () => {
    const proc = processLike();
    const wait = nextSignal(proc);
    const failure = new Error('the store could not be opened');
    await expect(startWithSignals(wait, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(listening(proc)).toEqual([0, 0]);
  });

  it('a start that succeeds keeps listening', async () => {
    const proc = processLike();
    const wait = nextSignal(proc);
    await expect(startWithSignals(wait, () => Promise.resolve('started'))).resolves.toBe('started');
    expect(listening(proc)).toEqual([1, 1]);
  });
});
