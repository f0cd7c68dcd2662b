import { describe, expect, it } from 'vitest';
import { chartDir, find, helmBinaries, helmWithValues, MINIMAL_VALUES, template } from './helm.js';
import { controller, controllerEnv } from './pod-env.js';

/**
 * REVIEW-37d M-2. The chart made the container listen on service.port itself (AUDIENCECTL_LISTEN
 * "[::]:<service.port>", containerPort service.port), while the pod runs as uid 10001 with every
 * capability dropped: service.port 80 (a Service on the usual HTTP port, what an Ingress backend
 * often names) rendered fine, and the controller then could not bind the port on a node whose
 * net.ipv4.ip_unprivileged_port_start is the kernel's 1024 (`Error: --listen: cannot listen on
 * :::80 (EACCES)`), a crash loop. Same for webhook.port. The Service ports now map to container
 * ports of the chart's own, 8080 (http) and 8081 (webhook), whatever the Service's ports are.
 */
const VALUES = {
  ...MINIMAL_VALUES,
  service: { port: 80 },
};

type ServicePort = { name: string; port: number; targetPort: string };

describe.each(helmBinaries())('helm $major: service.port below 1024 with the non-root pod', (bin) => {
  it.concurrent('is refused, or the container still listens on an unprivileged port', async () => {
    const result = await template(bin, { values: VALUES });
    if (result.code !== 0) {
      expect(result.stderr).toContain('service.port');
      return;
    }
    const config = find(result.objects, 'ConfigMap', 'audiencectl') as unknown as {
      data: Record<string, string>;
    };
    expect(config.data['AUDIENCECTL_LISTEN']).not.toBe('[::]:80');
  });

  it.concurrent('the Service port 80 and webhook port 443 reach the pod on 8080 and 8081', async () => {
    const values = {
      ...VALUES,
      webhook: { enabled: true, port: 443 },
      secret: { ...VALUES.secret, webhookSecret: '0123456789abcdef' },
    };
    const result = await template(bin, { values });
    expect(result.stderr).toBe('');
    const env = controllerEnv(result.objects);
    expect(env.get('AUDIENCECTL_LISTEN')).toEqual({ value: '[::]:8080' });
    expect(env.get('AUDIENCECTL_WEBHOOK_LISTEN')).toEqual({ value: '[::]:8081' });
    expect(controller(result.objects).ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'webhook', containerPort: 8081, protocol: 'TCP' },
    ]);
    const service = find(result.objects, 'Service').spec as { ports: ServicePort[] };
    expect(service.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
  });
});

describe('NOTES with service.port 80', () => {
  it.concurrent('port-forwards an unprivileged local port to the Service port', async () => {
    const bin = helmBinaries().find((b) => b.major === 4);
    if (!bin) throw new Error('no helm 4');
    const args = ['install', 'shop', chartDir, '-n', 'marketing', '--dry-run=client'];
    const result = await helmWithValues(bin, args, VALUES);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('kubectl -n marketing port-forward svc/shop-audiencectl 8080:80\n');
    expect(result.stdout).toContain('curl -s localhost:8080/status\n');
  });
});
