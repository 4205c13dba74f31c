/** `GET /assets/:name`: the dashboard's stylesheet and script, from the package (public: the login page needs them). */
import type { FastifyInstance } from "fastify";
import { ASSETS } from "../assets.js";

export function assetRoutes(app: FastifyInstance): void {
  app.get<{ Params: { name: string } }>("/assets/:name", { config: { public: true } }, async (req, reply) => {
    const a = Object.hasOwn(ASSETS, req.params.name) ? ASSETS[req.params.name] : undefined;
    if (!a) return reply.code(404).send({ error: "no such asset" });
    if (req.headers["if-none-match"] === a.etag) return reply.code(304).send();
    return reply.type(a.type).header("etag", a.etag).header("cache-control", "no-cache").send(a.body);
  });
}
