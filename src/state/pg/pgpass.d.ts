// The pgpass package (node-postgres's reader of ~/.pgpass / PGPASSFILE) ships no types.
declare module 'pgpass' {
  type ConnInfo = { host?: string; port?: string | number; database?: string; user?: string };
  function pgPass(connInfo: ConnInfo, callback: (password: string | undefined) => void): void;
  export default pgPass;
}
