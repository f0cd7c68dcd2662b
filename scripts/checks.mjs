#!/usr/bin/env node
// Runs npm scripts two at a time (this project's CI machine has two cores; each of
// these checks uses one), prints each one's output whole when it ends, and exits
// non-zero if any failed. Usage: node scripts/checks.mjs <script> [<script> ...]
import { spawn } from 'node:child_process';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run <script>` with its output held back, then prints it whole; true if it passed. */
export function runScript(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`== ${script}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${seconds} s\n`);
      if (output.trim() !== '') process.stdout.write(`${output.trimEnd()}\n`);
      resolve(code === 0);
    });
  });
}

/** Runs `scripts`, `lanes` at a time; true if every one passed. */
export async function runScripts(scripts, lanes) {
  const queue = [...scripts];
  const results = [];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let script = queue.shift(); script !== undefined; script = queue.shift()) {
        results.push(await runScript(script));
      }
    }),
  );
  return results.every(Boolean);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lanes = Math.max(1, Math.min(2, os.availableParallelism()));
  process.exit((await runScripts(process.argv.slice(2), lanes)) ? 0 : 1);
}
