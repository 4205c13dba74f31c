/** `GET /api/environments` and `/api/environments/:env`: what runs where, read from the hosts on each request. */
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "../context.js";
import { readEnvironment } from "../environments.js";
import { knownEnvironment } from "../errors.js";

export function environmentRoutes(app: FastifyInstance, sc: ServeContext): void {
  const names = () => [...sc.environments.keys()];
  // Environments are read side by side: the slowest host bounds the request, not their sum.
  app.get("/api/environments", async () => ({ environments: await Promise.all(names().map((n) => readEnvironment(sc, n))) }));
  app.get<{ Params: { env: string } }>("/api/environments/:env", async (req) => readEnvironment(sc, knownEnvironment(names(), req.params.env)));
}
