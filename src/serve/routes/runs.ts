/** `GET /api/runs/:id/events`: one run's recorded events (redacted when they were recorded, as in the log file). */
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "../context.js";
import { ApiError } from "../errors.js";

export function runRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get<{ Params: { id: string } }>("/api/runs/:id/events", async (req) => {
    const { id } = req.params;
    if (!/^[1-9]\d{0,15}$/.test(id)) throw new ApiError(400, `run id: expected a positive whole number, got ${JSON.stringify(id.slice(0, 40))}`);
    const run = await sc.store.getRun(Number(id));
    // A run of an environment this config no longer has is still this app's: it is shown.
    if (!run) throw new ApiError(404, `no run ${id} in ${sc.store.label}`);
    return { run, events: await sc.store.events(run.id) };
  });
}
