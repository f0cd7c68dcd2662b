/**
 * Standard identity namespace codes in the spelling the service answers with: the reference
 * page sends `email` and gets `Email` back. Custom namespaces are kept as sent.
 */
const STANDARD_NAMESPACES = [
  'AAID',
  'AdCloud',
  'CORE',
  'ECID',
  'Email',
  'Email_LC_SHA256',
  'GAID',
  'IDFA',
  'Phone',
  'Phone_E.164',
  'Phone_SHA256',
  'TNTID',
  'WAID',
] as const;

const BY_LOWER_CASE = new Map<string, string>(STANDARD_NAMESPACES.map((code) => [code.toLowerCase(), code]));

export function normaliseIdentityNs(code: string): string {
  return BY_LOWER_CASE.get(code.toLowerCase()) ?? code;
}
