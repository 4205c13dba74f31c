/** `GET /api/health`: no token needed, so a load balancer or uptime check can ask. Says nothing about hosts. */
import type { FastifyInstance } from "fastify";
import { VERSION } from "../../version.js";

export function healthRoutes(app: FastifyInstance): void {
  app.get("/api/health", { config: { public: true } }, async () => ({ ok: true, version: VERSION }));
}
