import { signWebhook } from '../../src/daemon/webhook.js';

/** Sends the controller a signed GitHub push event for `sha`, as GitHub would. */
export async function sendPushWebhook(controllerUrl: string, sha: string, secret: string): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
  const response = await fetch(`${controllerUrl}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': signWebhook(secret, body),
    },
    body,
  });
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
}
