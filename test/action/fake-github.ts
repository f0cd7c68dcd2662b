import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type User = { login: string; type: 'User' | 'Bot' };
export type Comment = { id: number; body: string; user: User };

/** Who a workflow's GITHUB_TOKEN comments as. */
export const ACTIONS_BOT: User = { login: 'github-actions[bot]', type: 'Bot' };
export type Seen = { method: string; path: string; authorization: string | undefined };
/** The head commit every pull request of the fake has unless a spec sets `heads`. */
export const PR_HEAD_SHA = '0123456789abcdef0123456789abcdef01234567';

export type FakeGitHub = {
  url: string;
  /** Comments per issue number, in creation order. */
  comments: Map<string, Comment[]>;
  requests: Seen[];
  /** Answer every request with this status instead (e.g. 403). */
  failWith: number | undefined;
  /**
   * Whom the token belongs to: a personal access token's user (GET /user answers it), or,
   * when undefined, an installation token such as GITHUB_TOKEN: GET /user answers 403
   * "Resource not accessible by integration" and comments are written by github-actions[bot].
   */
  user: User | undefined;
  /**
   * Whom an installation token (`user` undefined) comments as: github-actions[bot] for a
   * workflow's GITHUB_TOKEN, the app's bot (`my-app[bot]`) for a GitHub App's token.
   */
  bot: User;
  /** Refuse every update with 403 (e.g. the token may not edit that comment). */
  refuseUpdates: boolean;
  /** Refuse every new comment with 403 (a fork's pull request: a read-only token). */
  refuseCreates: boolean;
  /** Head commit per pull request number (GET …/pulls/{n}); others' head is PR_HEAD_SHA. */
  heads: Map<string, string>;
  /** Base branch per pull request number (GET …/pulls/{n}); others' base is `main`. */
  bases: Map<string, string>;
  close(): Promise<void>;
};

async function jsonBody(request: http.IncomingMessage): Promise<{ body?: unknown }> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return JSON.parse(text) as { body?: unknown };
}

/**
 * The GitHub REST endpoints that scripts/pr-comment.mjs uses, on loopback: the
 * authenticated user, a pull request (its head commit), list an issue's comments
 * (paginated), create one, update or delete one (only
 * the token's own comments: others' are refused with 403). Requests without
 * the token are refused with 401, as GitHub does.
 */
export async function startFakeGitHub(repository: string, token: string): Promise<FakeGitHub> {
  let nextId = 1000;
  const fake: Omit<FakeGitHub, 'url' | 'close'> = {
    comments: new Map(),
    requests: [],
    failWith: undefined,
    user: undefined,
    bot: ACTIONS_BOT,
    refuseUpdates: false,
    refuseCreates: false,
    heads: new Map(),
    bases: new Map(),
  };
  const base = `/repos/${repository}/issues`;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    fake.requests.push({
      method: request.method ?? '',
      path: url.pathname + url.search,
      authorization: request.headers.authorization,
    });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (fake.failWith !== undefined)
      return send(fake.failWith, { message: 'Resource not accessible by integration' });
    if (request.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'Bad credentials' });
    if (url.pathname === '/user' && request.method === 'GET') {
      if (fake.user) return send(200, { ...fake.user, id: 42 });
      return send(403, { message: 'Resource not accessible by integration' });
    }
    const pull = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(url.pathname);
    if (pull && url.pathname.startsWith(`/repos/${repository}/`) && request.method === 'GET') {
      const sha = fake.heads.get(pull[1] ?? '') ?? PR_HEAD_SHA;
      const baseRef = fake.bases.get(pull[1] ?? '') ?? 'main';
      return send(200, {
        number: Number(pull[1]),
        state: 'open',
        head: { sha, ref: 'pr' },
        base: { ref: baseRef },
      });
    }
    const author = fake.user ?? fake.bot;
    const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (!url.pathname.startsWith(base)) return send(404, { message: 'Not Found' });
    if (list && request.method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = fake.comments.get(list[1] ?? '') ?? [];
      return send(200, all.slice((page - 1) * perPage, page * perPage));
    }
    if (list && request.method === 'POST') {
      if (fake.refuseCreates) return send(403, { message: 'Resource not accessible by integration' });
      void jsonBody(request).then(({ body }) => {
        const comment = { id: (nextId += 1), body: String(body), user: author };
        const issue = list[1] ?? '';
        fake.comments.set(issue, [...(fake.comments.get(issue) ?? []), comment]);
        send(201, comment);
      });
      return undefined;
    }
    if (one && request.method === 'PATCH') {
      void jsonBody(request).then(({ body }) => {
        const comment = [...fake.comments.values()].flat().find((c) => c.id === Number(one[1]));
        if (!comment) return send(404, { message: 'Not Found' });
        if (fake.refuseUpdates || comment.user.login !== author.login)
          return send(403, { message: 'Resource not accessible by integration' });
        comment.body = String(body);
        return send(200, comment);
      });
      return undefined;
    }
    if (one && request.method === 'DELETE') {
      request.resume();
      for (const [issue, all] of fake.comments) {
        const comment = all.find((c) => c.id === Number(one[1]));
        if (!comment) continue;
        if (comment.user.login !== author.login)
          return send(403, { message: 'Resource not accessible by integration' });
        fake.comments.set(
          issue,
          all.filter((c) => c !== comment),
        );
        response.writeHead(204).end();
        return undefined;
      }
      return send(404, { message: 'Not Found' });
    }
    return send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
