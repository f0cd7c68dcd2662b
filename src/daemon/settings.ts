/** Defaults of `audiencectl run` (docs/controller.md lists them with their flags). */
export const RUN_DEFAULTS = {
  branch: 'main',
  interval: '60s',
  resyncInterval: '10m',
  refreshInterval: '1h',
  workDir: '.audiencectl-work',
  listen: '0.0.0.0:8080',
  logLevel: 'info',
  gitUsername: 'x-access-token',
  gitTimeout: '2m',
  runWait: '30s',
  requeueAfter: '1m',
  backoffBase: '10s',
  backoffMax: '10m',
  lockTimeout: '10s',
  shutdownGrace: '25s',
  watchDebounce: '300ms',
} as const;
