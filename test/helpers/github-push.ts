import { signWebhook } from '../../src/daemon/webhook.js';

/**
 * A push's `repository` as GitHub sends it, for a repository served at `base` (`https://host`,
 * a port too), fields audiencectl does not read left out. `url` is the API address (GitHub
 * Enterprise's spelling), which names no clone and must not be compared.
 */
export function githubRepository(base: string, fullName: string) {
  const { hostname } = new URL(base);
  return {
    full_name: fullName,
    html_url: `${base}/${fullName}`,
    url: `${base}/api/v3/repos/${fullName}`,
    git_url: `git://${hostname}/${fullName}.git`,
    ssh_url: `git@${hostname}:${fullName}.git`,
    clone_url: `${base}/${fullName}.git`,
  };
}

/**
 * Delivers a push event as GitHub does: `body` POSTed to the controller's `/webhook` at `base`,
 * signed with `secret`, under the delivery id `delivery`.
 */
export function deliverPush(base: string, secret: string, body: string, delivery: string): Promise<Response> {
  return fetch(`${base}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': signWebhook(secret, body),
    },
    body,
  });
}
