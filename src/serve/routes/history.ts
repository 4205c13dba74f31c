/**
 * `GET /api/environments/:env/history?verb=&outcome=&by=&limit=`: runs recorded in the state store
 * (this machine's SQLite or the team's PostgreSQL), newest first. The filters go into the store's
 * query (StateStore.listRuns), so `limit` counts matching runs.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServeContext } from "../context.js";
import { knownEnvironment } from "../errors.js";
import { parseQuery, wholeNumber } from "../query.js";

const word = z.string().min(1).max(200);
const HistoryQuery = z.strictObject({
  verb: word.optional(),
  outcome: word.optional(),
  by: word.optional(),
  limit: wholeNumber(1, 500).optional(),
});

export function historyRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get<{ Params: { env: string } }>("/api/environments/:env/history", async (req) => {
    const env = knownEnvironment([...sc.environments.keys()], req.params.env);
    const q = parseQuery(HistoryQuery, req.query);
    const runs = await sc.store.listRuns(env, q.limit ?? 50, { verb: q.verb, outcome: q.outcome, by: q.by });
    return { env, runs };
  });
}
