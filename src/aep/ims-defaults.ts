// Apart from ims-token.ts so that reading the configuration (src/config) does not load
// the HTTP client: commands that never call the service start without it.
export const DEFAULT_IMS_URL = 'https://ims-na1.adobelogin.com/ims/token/v3';
export const DEFAULT_SCOPES: readonly string[] = [
  'openid',
  'session',
  'AdobeID',
  'read_organizations',
  'additional_info.projectedProductContext',
];
