import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * This host as a temporary file's name gives it (its name, machine id and pid namespace,
 * README "--out"), computed here rather than by the code under test.
 */
export function thisHostTag(): string {
  const machine = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() : '';
  return createHash('sha256')
    .update(`${hostname()}\0${machine}\0${readlinkSync('/proc/self/ns/pid')}`)
    .digest('hex')
    .slice(0, 8);
}

/** A pid no process has now: a process that ran and exited. */
export function deadPid(): number {
  return spawnSync('true').pid;
}
