import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Caches a plan would trust: the quiet path's specs (plan-quiet-cli, plan-quiet-steps-cli,
// pg-plan-quiet) plan a repository whose caches were written by an earlier plan.

const HOUR_AGO = (Date.now() - 3_600_000) / 1000;

/** Every file under `dir` given times an hour ago (old enough for the caches to trust). */
export function ageFiles(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) utimesSync(path.join(entry.parentPath, entry.name), HOUR_AGO, HOUR_AGO);
  }
}

/**
 * The cache `file` (a manifest cache or a state snapshot) as a plan run a minute later would
 * have written it: a file's change time is when it was last touched (no utimes sets it back), so
 * one changed within 2 s of the listing that cached it is read again (the racy rule). The
 * header's `scannedAt` moves on; its digest is of what follows the header.
 */
export function cacheWrittenLater(file: string): void {
  const text = readFileSync(file);
  const end = text.indexOf(0x0a);
  const header = JSON.parse(text.toString('utf8', 0, end)) as { scannedAt: number };
  header.scannedAt += 60_000;
  const line = JSON.stringify(header);
  const padded = line.padEnd(end);
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(padded.length === end ? padded : line), text.subarray(end)]),
  );
}
