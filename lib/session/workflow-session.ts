/**
 * A stored session: one per `sessionId`, holding the state its runs share. Timestamps are epoch
 * milliseconds.
 *
 * @example
 * ```ts
 * import { sqliteStorage } from "buddy-ai/sqlite";
 * const storage = sqliteStorage({ dbFile: "tmp/buddy.db" });
 * const session = await storage.readSession("user-42");
 * console.log(session?.sessionState);
 * ```
 */
export interface WorkflowSession {
  readonly sessionId: string;
  readonly workflowId: string;
  readonly userId: string | undefined;
  readonly sessionName: string | undefined;
  readonly sessionState: Record<string, unknown>;
  readonly extraData: Record<string, unknown>;
  readonly workflowData: { readonly name: string; readonly description: string | undefined };
  readonly createdAt: number;
  readonly updatedAt: number;
}
