/**
 * `GET /api/environments/:env/metrics?days=&bucket=day|week&format=json|csv`: the four DORA figures
 * per bucket (src/serve/metrics.ts has the definitions), from the runs the state store recorded in
 * the period. Any token may read them. CSV is an attachment (RFC 4180, a header row).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { now } from "../../config/clock.js";
import type { ServeContext } from "../context.js";
import { knownEnvironment } from "../errors.js";
import { computeMetrics, type EnvironmentMetrics, METRIC_VERBS, metricsCsv, metricsPeriod } from "../metrics.js";
import { parseQuery, wholeNumber } from "../query.js";

const MetricsQuery = z.strictObject({
  days: wholeNumber(1, 730).optional(),
  bucket: z.enum(["day", "week"]).optional(),
  format: z.enum(["json", "csv"]).optional(),
});

/** The figures of one environment over the last `days` days (read by the route, and by the page's route later). */
export async function readMetrics(sc: ServeContext, env: string, days: number, bucket: "day" | "week"): Promise<EnvironmentMetrics> {
  const at = now();
  const { from, to } = metricsPeriod(at, days, bucket);
  const runs = await sc.store.runsBetween(env, from.toISOString(), to.toISOString(), METRIC_VERBS);
  return computeMetrics(env, runs, { now: at, days, bucket });
}

export function metricsRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get<{ Params: { env: string } }>("/api/environments/:env/metrics", async (req, reply) => {
    const env = knownEnvironment([...sc.environments.keys()], req.params.env);
    const q = parseQuery(MetricsQuery, req.query);
    const m = await readMetrics(sc, env, q.days ?? 90, q.bucket ?? "week");
    if (q.format !== "csv") return m;
    // The file name is ours (environment names are checked words in slipway.yml), quoted all the same.
    const name = `slipway-metrics-${env}-${m.from.slice(0, 10)}-${m.to.slice(0, 10)}.csv`.replace(/[^A-Za-z0-9._-]/g, "_");
    return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).send(metricsCsv(m));
  });
}
