import { spawn } from 'node:child_process';
import { openStateStore } from '../../src/state/open.js';
import { CLI, type CliResult } from '../helpers/cli.js';
import { aRecord } from './helpers.js';
import type { StoreKind } from './stores.js';

// The built CLI's `state …` commands spawned to be signalled (Ctrl-C, SIGTERM) where a spec
// proves they are: what they print read as it comes, and the names their messages give a store.

/** `location`, made a store holding one record, `key`. */
export async function holding(location: string, key: string): Promise<string> {
  const store = await openStateStore(location);
  await store.lock();
  await store.put(aRecord(key));
  await store.close();
  return location;
}

/** The built CLI's `state …`, its stderr read as it comes; `env` added to a copy without AEP credentials. */
export function spawnState(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AEP_') && name !== 'AUDIENCECTL_CONFIG'),
  );
  const child = spawn(process.execPath, [CLI, 'state', ...args], {
    env: { ...base, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of wakers) wake();
  });
  const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const wake of wakers) wake();
      resolve({ code: code ?? -1, signal, stdout, stderr });
    }),
  );
  return {
    exited,
    /** Resolves with `held`; rejects, with what the command printed, if it ends first. */
    reaches: (held: Promise<void>) =>
      Promise.race([
        held,
        exited.then((ended) => {
          throw new Error(`the command ended before its call was held:\n${ended.stdout}\n${ended.stderr}`);
        }),
      ]),
    signal: (name: NodeJS.Signals) => child.kill(name),
    /** Resolves once stderr matches `pattern`; rejects, with what it printed, if the process ends first. */
    stderrShows: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) {
            wakers.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            wakers.delete(check);
            reject(new Error(`the command ended before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        wakers.add(check);
        check();
      }),
  };
}

/** What the messages call the store: a directory, a PostgreSQL URL without its user and password. */
export function storeName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? location : location.replace(/\/\/[^@/]*@/, '//');
}

/** What the messages call the store's lock: a directory's lock file, a PostgreSQL store's. */
export function lockName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? `${location}/lock` : `of ${storeName(kind, location)}`;
}

export function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
