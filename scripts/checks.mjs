#!/usr/bin/env node
// Runs npm scripts two at a time (this project's CI machine has two cores; each of
// these checks uses one), prints each one's output whole when it ends, and exits
// non-zero if any failed. Usage: node scripts/checks.mjs <script> [<script> ...]
import os from 'node:os';
import { runInLanes } from './npm-script.mjs';

const lanes = Math.max(1, Math.min(2, os.availableParallelism()));
const ok = await runInLanes(process.argv.slice(2), lanes, (result) => process.stdout.write(result.report));
process.exit(ok ? 0 : 1);
