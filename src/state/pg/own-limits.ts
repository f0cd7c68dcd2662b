/**
 * The server-side limits of a transaction of our long statements (init's migrations, `state
 * migrate`'s restore), set for it alone (SET LOCAL): its statements get `ms`, the budget the
 * client gives them (LONG_QUERY_MS at least), whatever a DBA set on the database or role. A
 * `statement_timeout` of a few seconds (common, to cut runaway queries) cut init's wait for
 * another init, or for a reader of a table it alters, with the server's words only ("canceling
 * statement due to statement timeout [57014]"), though init may wait 5 minutes; a
 * `lock_timeout` cut the same waits. `transaction_timeout` (PostgreSQL 17) is turned off for the
 * transaction: each of its statements is bounded (and a pause inside it, by our
 * idle_in_transaction_session_timeout), and a positive value set inside a transaction does not
 * move the server's running timer. The server bounds its side too: a client gone at its query
 * timeout no longer leaves its statement waiting in a lock queue on the server.
 */
export function ownLimits(ms: number): string {
  return (
    `SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(ms))}; SET LOCAL lock_timeout = 0; ` +
    "SELECT set_config(name, '0', true) FROM pg_settings WHERE name = 'transaction_timeout'"
  );
}
