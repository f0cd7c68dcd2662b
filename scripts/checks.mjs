#!/usr/bin/env node
// Runs npm scripts two at a time (this project's CI machine has two cores; each of
// these checks uses one), prints each one's output whole when it ends, and exits
// non-zero if any failed. Usage: node scripts/checks.mjs <script> [<script> ...]
import { spawn } from 'node:child_process';
import os from 'node:os';

const scripts = process.argv.slice(2);
const parallel = Math.max(1, Math.min(2, os.availableParallelism()));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(script) {
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

const queue = [...scripts];
const results = [];
await Promise.all(
  Array.from({ length: parallel }, async () => {
    for (let script = queue.shift(); script !== undefined; script = queue.shift()) {
      results.push(await run(script));
    }
  }),
);
process.exit(results.every(Boolean) ? 0 : 1);
