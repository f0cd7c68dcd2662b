#!/usr/bin/env node
// Creates or updates the one pull-request comment that holds audiencectl's plan.
// The comment is found by a hidden marker, so each push edits it instead of adding
// another. No dependencies: Node's fetch and the GitHub REST API (list, create,
// update issue comments). Used by action.yml; reads its inputs from the environment:
//   GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), PR_NUMBER, GITHUB_API_URL
//   (default https://api.github.com), PLAN_FILE (the Markdown plan), PLAN_EXIT_CODE,
//   PLAN_STDERR_FILE (shown when the plan failed), PLAN_DIRECTORY (names the marker,
//   so that one workflow may plan several directories), GITHUB_SHA.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

/** GitHub refuses comments over 65,536 characters. */
const MAX_BODY = 65_000;

const VERDICTS = {
  0: 'no changes',
  2: 'changes pending',
  3: 'some steps are blocked by a guard',
  1: 'the plan failed',
};

export function markerFor(directory) {
  return `<!-- audiencectl-plan: ${directory.replaceAll('--', '- -')} -->`;
}

/** The comment's Markdown: the marker, a verdict, the plan (or the error), the commit. */
export function commentBody({ directory, exitCode, plan, stderr, sha }) {
  const verdict = VERDICTS[exitCode] ?? `exit code ${exitCode}`;
  const where = directory === '.' ? '' : ` in \`${directory}\``;
  const head = `${markerFor(directory)}\n**audiencectl plan**${where}: ${verdict}\n\n`;
  const foot = sha ? `\n\n<sub>for ${sha.slice(0, 12)}</sub>` : '';
  let main = plan.trim();
  if (exitCode === 1 || main === '') {
    const errors = stderr.trim() || 'no output';
    main = `${main}\n\n\`\`\`\n${errors.replaceAll('```', "'''")}\n\`\`\``.trim();
  }
  const room = MAX_BODY - head.length - foot.length;
  if (main.length > room)
    main = `${main.slice(0, room - 80)}\n\n… truncated: the whole plan is in the job log.`;
  return `${head}${main}${foot}`;
}

async function github(api, token, method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'audiencectl-pr-comment',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GitHub ${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Updates the comment carrying `marker` (the first found), or creates it. Returns what it did. */
export async function upsertComment({ api, token, repository, issue, marker, body }) {
  const base = `/repos/${repository}/issues`;
  for (let page = 1; ; page += 1) {
    const comments = await github(api, token, 'GET', `${base}/${issue}/comments?per_page=100&page=${page}`);
    const mine = comments.find(
      (comment) => typeof comment.body === 'string' && comment.body.startsWith(marker),
    );
    if (mine) {
      await github(api, token, 'PATCH', `${base}/comments/${mine.id}`, { body });
      return { action: 'updated', id: mine.id };
    }
    if (comments.length < 100) break;
  }
  const created = await github(api, token, 'POST', `${base}/${issue}/comments`, { body });
  return { action: 'created', id: created.id };
}

async function readOptional(file) {
  if (!file) return '';
  return readFile(file, 'utf8').catch(() => '');
}

async function main(env) {
  for (const name of ['GITHUB_TOKEN', 'GITHUB_REPOSITORY', 'PR_NUMBER', 'PLAN_EXIT_CODE']) {
    if (!env[name]) throw new Error(`${name} is not set`);
  }
  if (!/^\d+$/.test(env.PR_NUMBER))
    throw new Error(`PR_NUMBER must be a pull request number, got "${env.PR_NUMBER}"`);
  const directory = env.PLAN_DIRECTORY || '.';
  const body = commentBody({
    directory,
    exitCode: Number(env.PLAN_EXIT_CODE),
    plan: await readOptional(env.PLAN_FILE),
    stderr: await readOptional(env.PLAN_STDERR_FILE),
    sha: env.GITHUB_SHA ?? '',
  });
  const result = await upsertComment({
    api: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    token: env.GITHUB_TOKEN,
    repository: env.GITHUB_REPOSITORY,
    issue: env.PR_NUMBER,
    marker: markerFor(directory),
    body,
  });
  console.log(`plan comment ${result.action} (id ${result.id})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.env).catch((error) => {
    console.error(`pr-comment: ${error.message}`);
    process.exitCode = 1;
  });
}
