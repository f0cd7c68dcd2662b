/**
 * The property proxy.ts puts on a failure to reach or use the proxy: the proxy's label. Its own
 * module: proxy.ts, which connect.ts loads before the HTTP client, imports no got through it.
 */
export const PROXY_FAILURE = 'audiencectlProxy';
