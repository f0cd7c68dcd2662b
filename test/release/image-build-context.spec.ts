import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * REVIEW chart-42 H-4. docs/deploy.md and the Dockerfile's header build the image with
 * `docker build -t audiencectl .`, and the release workflow builds it the same way. Since the
 * build bundles with scripts/bundle.mjs, the build stage runs `COPY scripts/bundle.mjs
 * ./scripts/`, but .dockerignore left `scripts` out of the build context: Docker failed that
 * COPY (`"/scripts/bundle.mjs": not found`), and no image could be built or released. Every
 * file a COPY takes from the context (not `--from` a stage) is in the context.
 *
 * Here: .dockerignore read with Docker's rules (docs.docker.com, "Dockerignore files": each
 * line a filepath.Match pattern on the path from the context's root, `**` any number of
 * directories, a pattern excluding a directory excludes what it holds, `!` re-includes, the
 * last matching line wins), against the sources of the Dockerfile's COPY instructions.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function patternRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether Docker leaves `file` (a path from the context's root) out of the build context. */
function excluded(lines: string[], file: string): boolean {
  const parts = file.split('/');
  // The path itself and each directory above it: excluding a directory excludes its contents.
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let out = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    const pattern = path.posix.normalize((exception ? line.slice(1) : line).trim()).replace(/^\/+/, '');
    const re = patternRegExp(pattern);
    if (candidates.some((candidate) => re.test(candidate))) out = !exception;
  }
  return out;
}

/** The sources of every COPY that reads the build context (not --from a stage). */
function contextSources(dockerfile: string): string[] {
  const sources: string[] = [];
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'COPY' || words.some((word) => word.startsWith('--from'))) continue;
    const args = words.slice(1).filter((word) => !word.startsWith('--'));
    sources.push(...args.slice(0, -1));
  }
  return sources;
}

describe('the image build context', () => {
  it('holds every file the Dockerfile copies from it', async () => {
    const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const ignore = (await readFile(path.join(repoRoot, '.dockerignore'), 'utf8')).split('\n');
    const sources = contextSources(dockerfile);
    expect(sources).toContain('scripts/bundle.mjs');
    for (const source of sources) {
      await access(path.join(repoRoot, source));
      expect(excluded(ignore, source), `${source} is left out of the context by .dockerignore`).toBe(false);
    }
    // The rules as Docker documents them, on this file's own kind of lines.
    expect(excluded(['scripts'], 'scripts/bundle.mjs')).toBe(true);
    expect(excluded(['scripts', '!scripts/bundle.mjs'], 'scripts/bundle.mjs')).toBe(false);
    expect(excluded(['*.md'], 'README.md')).toBe(true);
    expect(excluded(['*.md'], 'docs/deploy.md')).toBe(false);
  });
});
