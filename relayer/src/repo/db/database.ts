/** A result row; columns come back as the driver parses them, so queries cast bigints to text. */
export type Row = Record<string, unknown>;

export type QueryResult<T extends Row> = { rows: T[]; rowCount: number };

/** What `copyFrom` returns: rows copied, and the rows of its follow-up statement. */
export type CopyResult = { copied: number; rows: Row[] };

/** What both a database and an open transaction can do: run one parameterised statement. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /**
   * PGlite only: `COPY … FROM '/dev/blob'` fed with `data` (COPY's text format), then `followUp` (if given) on the
   * same connection before any other statement; returns the rows copied and `followUp`'s rows. Bulk loading skips
   * the planner and the parameter round trip, so it costs about half an INSERT per row.
   */
  copyFrom?(sql: string, data: string, followUp?: string): Promise<CopyResult>;
}

/**
 * The relayer's storage: PGlite (embedded, default) or PostgreSQL, behind the same SQL.
 * Statements stick to what both run identically; anything engine-specific lives in the implementations.
 */
export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * On PGlite transactions are serialised with every other statement; never await the chain inside one.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: LISTEN on `channel` over a connection of its own. `notify` runs for each notification (sent by
   * a committed `pg_notify`, from any process) with its payload; `lost` runs once if the connection drops, after
   * which no more notifications arrive (subscribe again). Resolves once the server is listening; the function it
   * returns stops.
   */
  listen?(channel: string, handlers: { notify: (payload: string) => void; lost: (error: Error) => void }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** One round trip that touches no table: whether the database answers at all. */
export async function ping(db: { query(sql: string): Promise<unknown> }): Promise<void> {
  await db.query("SELECT 1");
}
