import type pg from "pg";

/**
 * PostgreSQL session-level advisory locks, on a connection of their own (see pipeline/lease.ts): the lock lives as
 * long as that session, so a process that dies frees it.
 */

/** Takes the lock if nobody holds it; true when this session holds it now. */
export async function tryAdvisoryLock(client: pg.ClientBase, key: bigint): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key.toString()]);
  return rows[0]?.locked === true;
}

export async function advisoryUnlock(client: pg.ClientBase, key: bigint): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1::bigint)", [key.toString()]);
}
