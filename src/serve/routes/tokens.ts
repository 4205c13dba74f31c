/**
 * `GET /api/whoami` (any token) and `GET /api/tokens` (deployers only: who holds access is for
 * those who may act). Neither ever returns a token or its hash.
 */
import type { FastifyInstance } from "fastify";
import type { TokenRecord } from "../../store/store.js";
import { requireRole } from "../auth.js";
import type { ServeContext } from "../context.js";

const shown = (t: TokenRecord) => ({ name: t.name, role: t.role, createdAt: t.createdAt, createdBy: t.createdBy, revokedAt: t.revokedAt });

export function tokenRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get("/api/whoami", async (req) => shown(req.token!));
  app.get("/api/tokens", { preHandler: requireRole("deployer") }, async () => ({ tokens: (await sc.store.listTokens()).map(shown) }));
}
