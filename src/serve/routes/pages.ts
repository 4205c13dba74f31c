/**
 * The dashboard's pages (server-rendered HTML; the script only adds the live log and refresh):
 * `/` overview, `/history`, `/env/:env/releases`, `/runs/:id`. Each needs a session (or a bearer
 * token); without one the browser is sent to /login.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { RunRecord } from "../../store/store.js";
import type { ServeContext } from "../context.js";
import { readEnvironment } from "../environments.js";
import { ApiError, knownEnvironment } from "../errors.js";
import type { Html } from "../html.js";
import { historyBody } from "../pages/history.js";
import { metricsBody } from "../pages/metrics.js";
import { htmlHeaders, page, type PageOptions, type PageUser } from "../pages/layout.js";
import { overviewBody } from "../pages/overview.js";
import { releasesBody } from "../pages/releases.js";
import { schedulesBody } from "../pages/schedules.js";
import { runBody } from "../pages/run.js";
import { parseQuery, wholeNumber } from "../query.js";
import { logLines } from "../runlog.js";
import { readMetrics } from "./metrics.js";
import { parseRunId } from "./stream.js";

export function pageUser(req: FastifyRequest): PageUser {
  return { name: req.token?.name ?? "?", role: req.token?.role ?? "viewer", csrf: req.session?.csrf ?? "" };
}

export function sendPage(reply: FastifyReply, sc: ServeContext, req: FastifyRequest, o: Omit<PageOptions, "user" | "app"> & { body: Html }) {
  return htmlHeaders(reply).send(page({ ...o, user: pageUser(req), app: sc.loaded.raw.app }).text);
}

/** A run of `env` still going: one this server started, else the newest unfinished one recorded (another terminal's). */
function runningRunOf(sc: ServeContext, env: string, recent: readonly RunRecord[]): number | null {
  return sc.runner.list().find((a) => a.call.env === env && a.runId)?.runId ?? recent.find((r) => !r.finishedAt)?.id ?? null;
}

const word = z.string().max(200);
const MetricsQuery = z.strictObject({
  days: wholeNumber(1, 730).optional(),
  bucket: z.enum(["day", "week"]).optional(),
});
const HistoryQuery = z.strictObject({ env: word.optional(), verb: word.optional(), outcome: word.optional(), by: word.optional() });

export function pageRoutes(app: FastifyInstance, sc: ServeContext): void {
  const names = [...sc.environments.keys()];
  const cfg = { config: { page: true } };

  app.get("/", cfg, async (req, reply) => {
    const envs = await Promise.all(
      names.map(async (n) => {
        const [view, recent] = await Promise.all([readEnvironment(sc, n), sc.store.listRuns(n, 5)]);
        return { view, recent, runningRun: runningRunOf(sc, n, recent), schedules: sc.scheduler.list().filter((s) => s.env === n) };
      }),
    );
    return sendPage(reply, sc, req, { title: "Overview", nav: "overview", refreshSeconds: 5, body: overviewBody(envs, pageUser(req)) });
  });

  app.get("/history", cfg, async (req, reply) => {
    const q = parseQuery(HistoryQuery, req.query);
    const env = q.env ? knownEnvironment(names, q.env) : names[0]!;
    const blank = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);
    const f = { env, verb: blank(q.verb), outcome: blank(q.outcome), by: blank(q.by) };
    const runs = await sc.store.listRuns(env, 100, f);
    return sendPage(reply, sc, req, { title: `History · ${env}`, nav: "history", body: historyBody(names, f, runs) });
  });

  app.get("/metrics", cfg, async (req, reply) => {
    const q = parseQuery(MetricsQuery, req.query);
    const data = await Promise.all(names.map((n) => readMetrics(sc, n, q.days ?? 90, q.bucket ?? "week")));
    return sendPage(reply, sc, req, { title: "Metrics", nav: "metrics", body: metricsBody(data) });
  });

  app.get("/schedules", cfg, async (req, reply) =>
    sendPage(reply, sc, req, { title: "Schedules", nav: "schedules", refreshSeconds: 10, body: schedulesBody(sc.scheduler.list()) }),
  );

  app.get<{ Params: { env: string } }>("/env/:env/releases", cfg, async (req, reply) => {
    const env = knownEnvironment(names, req.params.env);
    const view = await readEnvironment(sc, env);
    return sendPage(reply, sc, req, { title: `Releases · ${env}`, nav: "overview", body: releasesBody(view, pageUser(req)) });
  });

  app.get<{ Params: { id: string } }>("/runs/:id", cfg, async (req, reply) => {
    const id = parseRunId(req.params.id);
    const run = await sc.store.getRun(id);
    if (!run) throw new ApiError(404, `no run ${id} in ${sc.store.label}`);
    const lines = logLines(await sc.store.eventsAfter(id, 0, 100_000));
    const cancellable = !run.finishedAt && sc.runner.list().some((a) => a.runId === id);
    return sendPage(reply, sc, req, { title: `Run #${id} · ${run.verb} ${run.env}`, nav: "history", body: runBody(run, lines, pageUser(req), cancellable) });
  });
}
