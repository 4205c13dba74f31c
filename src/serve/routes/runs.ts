/**
 * `GET /api/runs/:id/events?after=&limit=`: one run's recorded events (redacted when they were
 * recorded, as in the log file), in pages: a run of a big fleet holds tens of thousands of events,
 * and one request must not load them all. `next` is the `after` of the next page (null: that was all).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { SlipwayEvent, Timed } from "../../events/types.js";
import type { ServeContext } from "../context.js";
import { ApiError } from "../errors.js";
import { parseQuery, wholeNumber } from "../query.js";
import { parseRunId } from "./stream.js";

const MAX_PAGE = 10_000;
const EventsQuery = z.strictObject({ after: wholeNumber(0, 999_999_999).optional(), limit: wholeNumber(1, MAX_PAGE).optional() });

export function runRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get<{ Params: { id: string } }>("/api/runs/:id/events", async (req) => {
    const id = parseRunId(req.params.id);
    const q = parseQuery(EventsQuery, req.query);
    const run = await sc.store.getRun(id);
    // A run of an environment this config no longer has is still this app's: it is shown.
    if (!run) throw new ApiError(404, `no run ${id} in ${sc.store.label}`);
    const limit = q.limit ?? MAX_PAGE;
    const page = await sc.store.eventsAfter(run.id, q.after ?? 0, limit);
    const events = page.map((e) => (typeof e.json === "string" ? JSON.parse(e.json) : e.json) as Timed<SlipwayEvent>);
    return { run, events, next: page.length === limit ? page[page.length - 1]!.seq : null };
  });
}
