import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import { toStorageError } from "./connection-error.js";

/** A value parser for one column type, as `pg` calls it. */
type TypeParser = (value: string) => unknown;

/** The per-query type parsers `pg` accepts as `types`. */
interface QueryTypes {
  getTypeParser(oid: number, format?: string): TypeParser;
}

/** What the store uses of a `pg` client beyond Kysely's interface (each part when present). */
interface PgClient extends PostgresPoolClient {
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(config: {
    text: string;
    values: unknown[];
    types: QueryTypes;
  }): Promise<PostgresQueryResult<R>>;
  getTypeParser?(oid: number, format?: string): TypeParser;
  on?(event: "error", listener: (error: Error) => void): unknown;
}

const jsonOid = 114;
const int8Oid = 20;
const asText: TypeParser = (value) => value;

/**
 * The pool the store's Kysely instance uses: `pool`, with every query of the store
 *
 * - reading `json` columns as their text, exactly as stored (the state codec decodes it; `pg`
 *   would parse it into objects) and `bigint` columns as numbers (epoch ms and counters, all far
 *   below 2^53) — through the query's own `types`, so `pg`'s global parsers stay as they are;
 * - failing with `StorageUnavailableError` when the database cannot be reached;
 * - listening for `error` on the clients it holds, so a connection dying between two statements
 *   does not crash the process (the client is then dropped from the pool on release).
 *
 * `end()` ends `pool` only when `ownsPool` (a pool the user passed stays theirs to end).
 */
export function storePool(pool: PostgresPool, ownsPool: boolean): PostgresPool {
  const wrapped = new WeakMap<PostgresPoolClient, PostgresPoolClient>();
  // `pg`'s pool emits `acquire` synchronously as it hands a client out, right after dropping its
  // own idle listener: an `error` listener attached any later (after the promise resolves) leaves
  // a moment in which a dying connection's `error` event would end the process.
  if (!listenedPools.has(pool)) {
    listenedPools.add(pool);
    (pool as EventfulPool).on?.("acquire", listen);
  }
  const storeClient = (client: PostgresPoolClient): PostgresPoolClient => {
    let found = wrapped.get(client);
    if (found === undefined) {
      listen(client); // A pool without `acquire` events: as early as such a pool allows.
      found = wrapClient(client as PgClient);
      wrapped.set(client, found);
    }
    return found;
  };
  return {
    // Promise chains rather than async functions: one promise fewer per statement.
    connect: () => settle(() => pool.connect()).then(storeClient, rethrow),
    end: ownsPool ? () => pool.end() : async () => {},
  };
}

/** Pools whose clients get an `error` listener as they are handed out (once per pool). */
const listenedPools = new WeakSet<PostgresPool>();
/** Clients with that listener, and those whose connection failed (dropped on release). */
const listening = new WeakSet<PostgresPoolClient>();
const broken = new WeakSet<PostgresPoolClient>();

function listen(client: PostgresPoolClient): void {
  if (listening.has(client)) return;
  listening.add(client);
  (client as PgClient).on?.("error", () => broken.add(client));
}

/** A pool that may emit `pg`'s pool events. */
interface EventfulPool extends PostgresPool {
  on?(event: "acquire", listener: (client: PostgresPoolClient) => void): unknown;
}

function wrapClient(client: PgClient): PostgresPoolClient {
  const fallback = client.getTypeParser?.bind(client);
  const types: QueryTypes = {
    getTypeParser(oid, format) {
      if (oid === jsonOid) return asText;
      if (oid === int8Oid) return Number;
      return fallback?.(oid, format) ?? asText;
    },
  };
  const query = <R>(text: string, values: ReadonlyArray<unknown>) =>
    settle(() => client.query<R>({ text, values: [...values], types })).catch(rethrow);
  return {
    query: ((textOrCursor: string | PostgresCursor<unknown>, values?: ReadonlyArray<unknown>) =>
      typeof textOrCursor === "string"
        ? query(textOrCursor, values ?? [])
        : client.query(textOrCursor)) as PostgresPoolClient["query"],
    release(destroy?: boolean) {
      client.release(destroy === true || broken.has(client));
    },
  };
}

function rethrow(error: unknown): never {
  throw toStorageError(error);
}

/** What `start` returns (as a native promise), or a rejection with what it throws. */
function settle<T>(start: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(start());
  } catch (error) {
    return Promise.reject(error);
  }
}
