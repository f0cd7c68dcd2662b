#!/usr/bin/env node
// Creates or updates the one pull-request comment that holds audiencectl's plan.
// The comment is found by a hidden marker and its author: only a comment the token's own
// identity wrote is edited (anyone may post a comment that starts with the marker), so
// each push edits it instead of adding another. No dependencies: Node's fetch and the
// GitHub REST API (the authenticated user, the pull request's head commit, list, create,
// update issue comments). Used by action.yml; reads its inputs from the environment:
//   GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), PR_NUMBER, GITHUB_API_URL
//   (default https://api.github.com), PLAN_FILE (the Markdown plan), PLAN_EXIT_CODE,
//   PLAN_STDERR_FILE (shown when the plan failed), PLAN_DIRECTORY (names the marker,
//   so that one workflow may plan several directories), PLAN_SANDBOX (the sandbox input:
//   names the marker too, so that one directory may be planned for several sandboxes),
//   GITHUB_SHA (the pull request's head commit this run planned: when the pull request's
//   head is another commit by now, the comment is left alone), PR_BASE_REF (the base
//   branch this run planned against: when the pull request has been retargeted to another
//   since, the comment is left alone too), PR_HEAD_REPO (the repository of the pull
//   request's head: when it is GITHUB_REPOSITORY, the pull request is no fork's, and a
//   refused comment is a missing permission, which fails the step), and COMMENT_AS (the login
//   the token comments as, e.g. a GitHub App's `my-app[bot]`: its installation token
//   cannot read GET /user either, and its comments are not github-actions[bot]'s).
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

/**
 * Whom comments made with a workflow's GITHUB_TOKEN (an installation token) are written by.
 * Such a token cannot read GET /user (403 "Resource not accessible by integration").
 */
const ACTIONS_BOT = { login: 'github-actions[bot]', type: 'Bot' };

/** Notes that end a cut plan; neither claims the plan is somewhere it is not. */
const CUT_NOTE = (count) =>
  `_${count} more audience section(s) cut to fit GitHub's comment limit; run the plan with \`--output json\` for all of it._`;
const TRUNCATED_NOTE =
  "… truncated to fit GitHub's comment limit; run the plan with `--output json` for all of it.";

const STDERR_LEFT_OUT =
  "_What the plan printed (stderr), which repeats its notes, is left out to fit GitHub's comment limit: see the job log._";

/** Audience sections of the Markdown plan: `<details><summary>` … `</details>` lines. */
const SECTION = /^<details><summary>(.*)<\/summary>\n[\s\S]*?^<\/details>\n\n?/gm;
const DESTRUCTIVE = /: [^<]*\b(?:delete|replace|forget)\b[^<]*$/;

/** A branch name as a notice shows it (as the Plan step's note does): no workflow-command syntax. */
function branchLabel(branch) {
  return branch.replace(/[^A-Za-z0-9._/+@-]/g, '?');
}

/** A sandbox as the marker and title show it: AEP's names are lowercase, digits and `-`. */
function sandboxLabel(sandbox) {
  return sandbox.replace(/[^a-z0-9-]/g, '?');
}

/**
 * The hidden marker of the comment of one use of the action: its directory and, when the
 * sandbox input is given, that sandbox, so that a directory planned for two controllers
 * (one per sandbox) keeps one comment per sandbox. Without a sandbox the marker is the one
 * earlier versions wrote, so that their comments are still edited.
 */
export function markerFor(directory, sandbox = '') {
  const which = sandbox === '' ? '' : ` (sandbox ${sandboxLabel(sandbox)})`;
  return `<!-- audiencectl-plan${which.replaceAll('--', '- -')}: ${directory.replaceAll('--', '- -')} -->`;
}

/** The comment's Markdown: the marker, a verdict, the plan (or the error), the commit. */
export function commentBody({ directory, sandbox = '', exitCode, plan, stderr, sha }) {
  const verdict = VERDICTS[exitCode] ?? `exit code ${exitCode}`;
  const where = directory === '.' ? '' : ` in \`${directory}\``;
  const which = sandbox === '' ? '' : ` (sandbox \`${sandboxLabel(sandbox)}\`)`;
  const head = `${markerFor(directory, sandbox)}\n**audiencectl plan**${where}${which}: ${verdict}\n\n`;
  const foot = sha ? `\n\n<sub>for ${sha.slice(0, 12)}</sub>` : '';
  const room = MAX_BODY - head.length - foot.length;
  let main = plan.trim();
  if (exitCode === 1 || main === '') {
    const errors = `\`\`\`\n${(stderr.trim() || 'no output').replaceAll('```', "'''")}\n\`\`\``;
    // A plan written and failed (a broken manifest holds deletions) says why itself: what
    // `plan --out` printed beside it repeats its held audiences and diagnostics, so it
    // stays folded, and gives way before any of the plan's own sections does. (`<summary>`
    // on a line of its own: not an audience section to fit.)
    const folded = `\n\n<details>\n<summary>What the plan printed (stderr)</summary>\n\n${errors}\n</details>`;
    if (main === '') main = errors;
    else main += main.length + folded.length <= room ? folded : `\n\n${STDERR_LEFT_OUT}`;
  }
  return `${head}${fit(main, room)}${foot}`;
}

/**
 * `text` cut to `room` characters. Whole audience sections go first, from the last one
 * back (the renderer lists deletes, replaces and forgets first; those cut are still named),
 * so that the notes, held audiences and diagnostics after them stay. What is still too
 * long is cut at a line, closing an open code block and `<details>`.
 */
function fit(text, room) {
  if (text.length <= room) return text;
  const sections = [...text.matchAll(SECTION)];
  const cut = [];
  let kept = text;
  while (sections.length > 0) {
    const section = sections.pop();
    cut.unshift(section);
    const named = cut
      .filter((s) => DESTRUCTIVE.test(s[1]))
      .map((s) => `- ${s[1]}`)
      .join('\n');
    const replacement = `${named === '' ? '' : `${named}\n\n`}${CUT_NOTE(cut.length)}\n\n`;
    const end = cut.at(-1).index + cut.at(-1)[0].length;
    kept = `${text.slice(0, section.index)}${replacement}${text.slice(end)}`;
    if (kept.length <= room) return kept;
  }
  return cutAtLine(kept, room);
}

function cutAtLine(text, room) {
  const lines = [];
  let used = 0;
  let fenced = false;
  let open = 0;
  // Room for the note, a closing fence and every `</details>` that may need closing.
  const spare = TRUNCATED_NOTE.length + 16;
  for (const line of text.split('\n')) {
    const closing = (fenced ? 4 : 0) + open * 11;
    if (used + line.length + 1 + closing + spare > room) {
      // A long line in a code block (an error output) is cut, not dropped.
      const left = room - used - closing - spare - 2;
      if (fenced && left > 0) lines.push(line.slice(0, left));
      break;
    }
    lines.push(line);
    used += line.length + 1;
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith('<details>')) open += 1;
    else if (!fenced && line.startsWith('</details>')) open -= 1;
  }
  if (fenced) lines.push('```');
  for (; open > 0; open -= 1) lines.push('</details>');
  return `${lines.join('\n')}\n\n${TRUNCATED_NOTE}`;
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
  if (!response.ok) {
    const error = new Error(`GitHub ${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    error.status = response.status;
    throw error;
  }
  return text === '' ? undefined : JSON.parse(text);
}

/** A GitHub login (a user's, or an app's bot `name[bot]`), as the comment-as input takes it. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

/**
 * Whom the token comments as: `commentAs` when given (the comment-as input); else a personal
 * access token's user (GET /user), or, when GitHub refuses GET /user as it does an
 * installation token such as GITHUB_TOKEN, the Actions bot. An app's installation token
 * is refused too, and is not the Actions bot: without `commentAs`, its comments are
 * nobody's this script knows, and each run posts a new one (never edits another's).
 */
export async function tokenIdentity({ api, token, commentAs }) {
  if (commentAs) {
    if (!LOGIN.test(commentAs))
      throw new Error(
        `COMMENT_AS must be a GitHub login (a user, or an app's bot such as my-app[bot]), got "${commentAs.slice(0, 80)}"`,
      );
    return { login: commentAs, type: commentAs.endsWith('[bot]') ? 'Bot' : 'User' };
  }
  try {
    const user = await github(api, token, 'GET', '/user');
    if (typeof user?.login !== 'string') throw new Error('GitHub GET /user: no login in the answer');
    return { login: user.login, type: user.type };
  } catch (error) {
    if (error.status === 403 || error.status === 404) return { ...ACTIONS_BOT, guessed: true };
    throw error;
  }
}

function wroteBy(comment, identity) {
  return (
    typeof comment.user?.login === 'string' &&
    comment.user.login === identity.login &&
    (identity.type === undefined || comment.user.type === identity.type)
  );
}

/**
 * The pull request's head commit and base branch now. A run of an older push can finish last
 * (queued behind the newer push's run, or re-run from the Actions tab): it compares its commit
 * with this before writing, so that the comment keeps the head's plan, the one a reviewer
 * approves. A retarget keeps the head commit: a run against the old base (queued before it,
 * or re-run, which replays the old event) compares its base branch too.
 */
async function pullRequestNow({ api, token, repository, issue }) {
  const path = `/repos/${repository}/pulls/${issue}`;
  const pull = await github(api, token, 'GET', path);
  const sha = pull?.head?.sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40,64}$/i.test(sha))
    throw new Error(`GitHub GET ${path}: no head commit in the answer`);
  const baseRef = pull?.base?.ref;
  return { head: sha.toLowerCase(), baseRef: typeof baseRef === 'string' ? baseRef : undefined };
}

/**
 * Deletes the other plan comments of ours, once the first holds the plan. One GitHub refuses
 * (deleted meanwhile, or not ours to delete after all) is said in the log and left.
 */
async function removeComments({ api, token, base, ids }) {
  for (const id of ids) {
    try {
      await github(api, token, 'DELETE', `${base}/comments/${id}`);
      console.error(`pr-comment: removed comment ${id}, an earlier copy of the plan comment`);
    } catch (error) {
      if (error.status !== 403 && error.status !== 404) throw error;
      console.error(
        `pr-comment: cannot remove comment ${id} (${error.status}), an earlier copy of the plan comment`,
      );
    }
  }
}

/**
 * Updates the first comment carrying `marker` that the token's own identity wrote (and
 * removes its other ones), or creates one: a comment anyone else wrote with the marker is left alone. When GitHub
 * refuses the update (403, or 404: deleted meanwhile), a new comment is posted. With `sha`
 * (the commit planned), nothing is written unless it is still the pull request's head; with
 * `baseRef` (the base branch planned against), unless it is still the pull request's base.
 * A refused post (403 or 404: a fork's pull request gets a read-only token whatever the
 * workflow's permissions ask) is an answer, `refused`, not an error: the check is the plan's.
 */
export async function upsertComment({
  api,
  token,
  repository,
  issue,
  marker,
  body,
  commentAs,
  sha,
  baseRef,
}) {
  const base = `/repos/${repository}/issues`;
  const identity = await tokenIdentity({ api, token, commentAs });
  if (sha || baseRef) {
    const now = await pullRequestNow({ api, token, repository, issue });
    if (sha && now.head !== sha) return { action: 'left', head: now.head };
    if (baseRef && now.baseRef !== undefined && now.baseRef !== baseRef)
      return { action: 'left', baseRef: now.baseRef };
  }
  // Plan comments of another bot: perhaps this token's own (a GitHub App's), unknown to it.
  const otherBots = new Set();
  // Our comment GitHub refused to update: it still shows an earlier plan.
  let kept;
  // Every plan comment of ours: two runs at once (a re-run beside the first) each found none
  // and each posted one; the first is updated, the others removed, or they keep old plans.
  const mine = [];
  for (let page = 1; ; page += 1) {
    const comments = await github(api, token, 'GET', `${base}/${issue}/comments?per_page=100&page=${page}`);
    for (const comment of comments) {
      const { body: text, user } = comment;
      if (typeof text !== 'string' || !text.startsWith(marker)) continue;
      if (wroteBy(comment, identity)) mine.push(comment.id);
      else if (user?.type === 'Bot' && typeof user.login === 'string' && user.login !== identity.login)
        otherBots.add(user.login);
    }
    if (comments.length < 100) break;
  }
  const [first, ...extra] = mine;
  if (first !== undefined) {
    try {
      await github(api, token, 'PATCH', `${base}/comments/${first}`, { body });
      await removeComments({ api, token, base, ids: extra });
      return { action: 'updated', id: first };
    } catch (error) {
      if (error.status !== 403 && error.status !== 404) throw error;
      console.error(`pr-comment: cannot update comment ${first} (${error.status}); posting a new one`);
      if (error.status === 403) kept = first;
    }
  }
  if (identity.guessed && otherBots.size > 0) {
    const names = [...otherBots].slice(0, 3).map((login) => login.replace(/[^\w[\]-]/g, '?'));
    console.error(
      `pr-comment: a plan comment by ${names.join(', ')} is left alone: this token's identity is unknown (GET /user refused), so only ${ACTIONS_BOT.login}'s comments are edited; if the token is that app's, set the comment-as input (COMMENT_AS) to its login to edit its comment instead of posting a new one`,
    );
  }
  try {
    const created = await github(api, token, 'POST', `${base}/${issue}/comments`, { body });
    return { action: 'created', id: created.id };
  } catch (error) {
    if (error.status !== 403 && error.status !== 404) throw error;
    return { action: 'refused', status: error.status, kept };
  }
}

/**
 * Whether the pull request's head is in the repository itself (GitHub compares names without
 * case). Unknown (no PR_HEAD_REPO: another event, or a fork since deleted) is not.
 */
function sameRepository(headRepository, repository) {
  return headRepository !== '' && headRepository.toLowerCase() === repository.toLowerCase();
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
  const sandbox = env.PLAN_SANDBOX ?? '';
  const api = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const sha = (env.GITHUB_SHA ?? '').toLowerCase();
  const plan = await readOptional(env.PLAN_FILE);
  const body = commentBody({
    directory,
    sandbox,
    exitCode: Number(env.PLAN_EXIT_CODE),
    plan,
    stderr: await readOptional(env.PLAN_STDERR_FILE),
    sha,
  });
  const result = await upsertComment({
    api,
    token: env.GITHUB_TOKEN,
    repository: env.GITHUB_REPOSITORY,
    issue: env.PR_NUMBER,
    marker: markerFor(directory, sandbox),
    body,
    commentAs: env.COMMENT_AS ?? '',
    sha,
    baseRef: env.PR_BASE_REF ?? '',
  });
  if (result.action === 'left' && result.baseRef !== undefined) {
    console.log(
      `::notice::audiencectl plan: this run planned against \`${branchLabel(env.PR_BASE_REF ?? '')}\`, the pull request's base is now \`${branchLabel(result.baseRef)}\`: the comment is left to the run of its base`,
    );
    return;
  }
  if (result.action === 'left') {
    console.log(
      `::notice::audiencectl plan: this run planned ${sha.slice(0, 12)}, the pull request's head is now ${result.head.slice(0, 12)}: the comment is left to the head's run`,
    );
    return;
  }
  if (result.action === 'refused' && sameRepository(env.PR_HEAD_REPO ?? '', env.GITHUB_REPOSITORY)) {
    // Not a fork's: the workflow's token lacks the permission, which no push will change.
    const stale = result.kept === undefined ? '' : `; comment ${result.kept} still shows an earlier plan`;
    console.log(
      `::error::audiencectl plan: GitHub refused the pull-request comment (${result.status}): the token may not write to pull requests of ${env.GITHUB_REPOSITORY}${stale}; give the workflow \`permissions: pull-requests: write\` (or the github-token input a token that may)`,
    );
    process.exitCode = 1;
    return;
  }
  if (result.action === 'refused') {
    // stdout: the runner turns the line into an annotation of the check.
    const stale = result.kept === undefined ? '' : `; comment ${result.kept} still shows an earlier plan`;
    const where =
      plan.trim() === '' ? "the plan's output is in the job log" : 'the plan is in the job summary';
    console.log(
      `::warning::audiencectl plan: GitHub refused the pull-request comment (${result.status}): the token cannot write to this pull request (a fork's pull request gets a read-only token)${stale}; ${where}`,
    );
    return;
  }
  console.log(`plan comment ${result.action} (id ${result.id})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.env).catch((error) => {
    console.error(`pr-comment: ${error.message}`);
    process.exitCode = 1;
  });
}
