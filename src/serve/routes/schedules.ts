/** `GET /api/schedules`: every `schedule:` entry with its next slot, last result and missed slots (any token may read). */
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "../context.js";

export function scheduleRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get("/api/schedules", async () => ({ schedules: sc.scheduler.list() }));
}
