/**
 * `GET /api/runs/:id/stream`: a run's log as server-sent events, live. It reads the state store,
 * not this process's event bus, so a deploy started from another terminal (or another control
 * machine, with a shared PostgreSQL store) streams the same way as one started from the page.
 * Events `line` ({seq, text}; the SSE id is the seq, so a reconnecting browser resumes with
 * Last-Event-ID) and, once the run has finished and every event was sent, `end` ({outcome}).
 */
import { once } from "node:events";
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "../context.js";
import { ApiError } from "../errors.js";
import { logLines } from "../runlog.js";

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;
/**
 * A run with no new event for this long, that this server is not running, is given up on: its CLI
 * may have died (kill -9, a reboot) and will never write an end. The page says so instead of polling
 * the store forever.
 */
const STALE_MS = 10 * 60_000;

export function parseRunId(id: string): number {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new ApiError(400, `run id: expected a positive whole number, got ${JSON.stringify(id.slice(0, 40))}`);
  return Number(id);
}

export function streamRoutes(app: FastifyInstance, sc: ServeContext): void {
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>("/api/runs/:id/stream", async (req, reply) => {
    const id = parseRunId(req.params.id);
    const run = await sc.store.getRun(id);
    if (!run) throw new ApiError(404, `no run ${id} in ${sc.store.label}`);
    const resumeFrom = req.headers["last-event-id"] ?? req.query.after;
    let after = typeof resumeFrom === "string" && /^\d{1,9}$/.test(resumeFrom) ? Number(resumeFrom) : 0;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    let closed = false;
    const gone = new Promise<void>((resolve) => req.raw.on("close", () => resolve(void (closed = true))));
    // A reader slower than the log (or one that stopped reading) is waited for, never buffered for.
    const send = async (chunk: string) => {
      if (!res.write(chunk)) await Promise.race([once(res, "drain"), gone, ...(sc.shutdown ? [once(sc.shutdown, "abort")] : [])]);
    };
    let lastWrite = Date.now();
    let lastEvent = Date.now();
    try {
      while (!closed && !sc.shutdown?.aborted) {
        const batch = await sc.store.eventsAfter(id, after, 500);
        for (const l of logLines(batch)) await send(`id: ${l.seq}\nevent: line\ndata: ${JSON.stringify(l)}\n\n`);
        if (batch.length) {
          after = batch[batch.length - 1]!.seq;
          lastWrite = lastEvent = Date.now();
          if (batch.length === 500) continue;
        }
        // The row's outcome is written after its last event (StoreSink), so "finished and nothing
        // newer" means the whole log was sent.
        const now = await sc.store.getRun(id);
        if (now?.finishedAt) {
          const rest = await sc.store.eventsAfter(id, after, 500);
          if (rest.length) continue;
          await send(`event: end\ndata: ${JSON.stringify({ outcome: now.outcome ?? "unknown", durationMs: now.durationMs })}\n\n`);
          break;
        }
        if (Date.now() - lastEvent > STALE_MS && !sc.runner.list().some((a) => a.runId === id)) {
          await send(
            `event: stale\ndata: ${JSON.stringify({ message: `no event for ${STALE_MS / 60_000} min and not finished: the run may have died (see its log file, or status)` })}\n\n`,
          );
          break;
        }
        if (Date.now() - lastWrite > HEARTBEAT_MS) {
          await send(": still running\n\n");
          lastWrite = Date.now();
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      sc.log(sc.redact(`stream of run ${id} stopped: ${(e as Error).message}`));
      if (!closed) res.write(`event: failure\ndata: ${JSON.stringify({ error: "the state store could not be read; reload to retry" })}\n\n`);
    }
    res.end();
  });
}
