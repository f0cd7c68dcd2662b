/**
 * What tells two stores apart as a saved plan names them (storeIdentity: a directory, or
 * `postgres://host:port/database?schema=`), in words: `the host differs: localhost there,
 * 127.0.0.1 here`. A refusal that showed only the two spellings left the user to find the
 * difference, and "--state naming that store" read as what they had just done.
 */
export function storeDifference(planned: string, here: string): string {
  const [a, b] = [postgresParts(planned), postgresParts(here)];
  if (!a || !b) return 'another directory, or another kind of store';
  const parts = (['host', 'port', 'database', 'schema'] as const).filter((part) => a[part] !== b[part]);
  return parts
    .map((part) => `the ${part} differs: ${a[part] || '(none)'} there, ${b[part] || '(none)'} here`)
    .join('; ');
}

type PostgresParts = { host: string; port: string; database: string; schema: string };

function postgresParts(identity: string): PostgresParts | undefined {
  let url: URL;
  try {
    url = new URL(identity);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'postgres:') return undefined;
  return {
    host: url.hostname,
    port: url.port,
    database: decodeURIComponent(url.pathname.slice(1)),
    schema: url.searchParams.get('schema') ?? '',
  };
}
