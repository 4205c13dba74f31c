/**
 * Actions, from the page and the API, all through the real CLI (runner.ts) as the token's user:
 *   page: POST /env/:env/actions/:action   fields → the plan and a Confirm button; with confirm=yes → done
 *   API:  POST /api/environments/:env/actions/:action   JSON; without "confirm": true → { plan }, with it → done
 *   cancel: POST /runs/:id/cancel (page), POST /api/runs/:id/cancel (a run this server started: SIGINT, as Ctrl-C)
 * Deploy and rollback run in the background (the answer names the run, whose log streams live);
 * the others answer with the CLI's output. Every action needs the deployer role.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ACTION_NAMES, type ActionName, type ActionPlan, planAction } from "../actions.js";
import { requireRole } from "../auth.js";
import type { ServeContext } from "../context.js";
import { ApiError, knownEnvironment } from "../errors.js";
import { confirmBody, resultBody } from "../pages/confirm.js";
import type { CliOutcome } from "../runner.js";
import { sendPage } from "./pages.js";
import { parseRunId } from "./stream.js";

type Params = { env: string; action: string };

function actionName(a: string): ActionName {
  if (!(ACTION_NAMES as string[]).includes(a)) throw new ApiError(404, `unknown action ${JSON.stringify(a.slice(0, 40))}; actions: ${ACTION_NAMES.join(", ")}`);
  return a as ActionName;
}

/** What the CLI printed, for a person: its output and messages, without trailing blank lines. */
const printed = (o: CliOutcome) => `${o.stdout}${o.stdout && o.stderr ? "\n" : ""}${o.stderr}`.trimEnd();

export function actionRoutes(app: FastifyInstance, sc: ServeContext): void {
  const names = [...sc.environments.keys()];
  const deployer = { preHandler: requireRole("deployer") };
  const user = (req: FastifyRequest) => req.token!.name;

  async function planText(env: string, p: ActionPlan, req: FastifyRequest): Promise<{ text: string | null; problem: string | null }> {
    if (!p.planArgs) return { text: null, problem: null };
    const o = await sc.runner.capture({ env, args: p.planArgs, user: user(req) });
    const text = sc.redact(printed(o));
    return { text, problem: o.code === 0 ? null : `the plan failed (exit ${o.code ?? o.signal}): nothing would be done` };
  }

  async function act(
    env: string,
    p: ActionPlan,
    req: FastifyRequest,
  ): Promise<{ runId: number | null; outcome: CliOutcome | null; key: string; unrecorded?: boolean }> {
    sc.log(`action: ${p.summary} (token ${req.token!.name}, ${req.ip})`);
    if (!p.long) {
      const o = await sc.runner.capture({ env, args: p.args, user: user(req) });
      return { runId: null, outcome: o, key: "" };
    }
    const a = sc.runner.start({ env, args: p.args, user: user(req) });
    const run = await sc.runner.runOf(sc.store, a);
    if (run) return { runId: run.id, outcome: null, key: a.key };
    // Still running but not in the store yet (a slow remote store): answer now, and keep looking in
    // the background so the run can still be followed and cancelled once it is recorded.
    if (a.child.exitCode === null && a.child.signalCode === null) {
      void sc.runner.runOf(sc.store, a, 10 * 60_000);
      return { runId: null, outcome: null, key: a.key, unrecorded: true };
    }
    // No run recorded: the CLI refused before it began one (a usage error); its output says why.
    return { runId: null, outcome: await a.done, key: a.key };
  }

  app.post<{ Params: Params; Body: Record<string, unknown> }>("/env/:env/actions/:action", { ...deployer, config: { page: true } }, async (req, reply) => {
    const env = knownEnvironment(names, req.params.env);
    const name = actionName(req.params.action);
    const { _csrf, confirm, ...fields } = (req.body ?? {}) as Record<string, unknown>;
    void _csrf;
    const checked = planAction(env, name, fields);
    if (!checked.ok)
      return sendPage(reply.code(400), sc, req, { title: `${name} · ${env}`, body: resultBody(`${name} on ${env} was refused`, false, checked.error) });
    const { plan, input } = checked;
    if (confirm !== "yes") {
      const { text, problem } = await planText(env, plan, req);
      return sendPage(reply, sc, req, {
        title: `Confirm ${name} · ${env}`,
        body: confirmBody(env, name, plan.summary, text, input, { name: req.token!.name, role: req.token!.role, csrf: req.session?.csrf ?? "" }, problem),
      });
    }
    const r = await act(env, plan, req);
    if (r.runId) return reply.redirect(`/runs/${r.runId}`, 303);
    if (r.unrecorded)
      return sendPage(reply.code(202), sc, req, {
        title: `${name} · ${env}`,
        body: resultBody(`${plan.summary}: started, but the state store has not recorded its run yet; it will appear in History`, true, ""),
      });
    const o = r.outcome!;
    return sendPage(reply.code(o.code === 0 ? 200 : 409), sc, req, {
      title: `${name} · ${env}`,
      body: resultBody(plan.summary, o.code === 0, sc.redact(printed(o))),
    });
  });

  app.post<{ Params: Params; Body: Record<string, unknown> }>("/api/environments/:env/actions/:action", deployer, async (req, reply) => {
    const env = knownEnvironment(names, req.params.env);
    const name = actionName(req.params.action);
    const body = req.body && typeof req.body === "object" ? req.body : {};
    const { confirm, ...fields } = body as Record<string, unknown>;
    const checked = planAction(env, name, fields);
    if (!checked.ok) throw new ApiError(400, checked.error);
    const { plan } = checked;
    if (confirm !== true) {
      const { text, problem } = await planText(env, plan, req);
      return { action: name, env, summary: plan.summary, plan: text, problem, confirm: problem ? null : 'POST again with "confirm": true to do it' };
    }
    const r = await act(env, plan, req);
    if (r.runId)
      return reply.code(202).send({
        action: name,
        env,
        summary: plan.summary,
        run: r.runId,
        key: r.key,
        events: `/api/runs/${r.runId}/events`,
        stream: `/api/runs/${r.runId}/stream`,
      });
    if (r.unrecorded)
      return reply
        .code(202)
        .send({ action: name, env, summary: plan.summary, run: null, key: r.key, note: "started; the state store has not recorded its run yet" });
    const o = r.outcome!;
    return reply
      .code(o.code === 0 ? 200 : 409)
      .send({ action: name, env, summary: plan.summary, ok: o.code === 0, exitCode: o.code, output: sc.redact(printed(o)) });
  });

  const cancel = (req: FastifyRequest<{ Params: { id: string } }>) => {
    const id = parseRunId(req.params.id);
    const a = sc.runner.list().find((x) => x.runId === id);
    if (!a) throw new ApiError(409, `run ${id} is not running in this server (a run started elsewhere is cancelled where it runs, with Ctrl-C)`);
    sc.runner.cancel(a.key);
    sc.log(`action: cancel run ${id} (token ${req.token!.name}, ${req.ip})`);
    return id;
  };
  app.post<{ Params: { id: string } }>("/api/runs/:id/cancel", deployer, async (req, reply) => reply.code(202).send({ run: cancel(req), cancelling: true }));
  app.post<{ Params: { id: string } }>("/runs/:id/cancel", { ...deployer, config: { page: true } }, async (req, reply) =>
    reply.redirect(`/runs/${cancel(req)}`, 303),
  );
}
