/** The `ci` gate: the commit's CI status from an HTTP endpoint (a JSON value) or a command's exit code. */
import type { PreflightCheck } from "../preflight.js";
import { atPath, fillUrl, httpGet, runLocal, shown } from "./probe.js";

export const ciCheck: PreflightCheck = {
  names: (ctx) => (ctx.env.gates.ci ? ["ci"] : []),
  async run(ctx, _hosts, input, phase) {
    const ci = ctx.env.gates.ci;
    if (!ci || phase !== "start") return [];
    const short = input.commit.slice(0, 12);
    if (ci.kind === "command") {
      const a = await runLocal(
        ci.command,
        { SLIPWAY_COMMIT: input.commit, SLIPWAY_REF: input.ref, SLIPWAY_ENV: ctx.env.name },
        ci.timeoutMs,
        ctx.env.configDir,
        ctx.signal,
      );
      const evidence = { command: ci.command, exit: a.status, ...(a.error ? { error: a.error } : {}) };
      return a.ok
        ? [{ gate: "ci", ok: true, line: `${short}: CI command exited 0`, evidence }]
        : [
            {
              gate: "ci",
              ok: false,
              line: `${short}: CI command exited ${a.status}${a.error ? ` (${a.error})` : ""}`,
              evidence,
              hint: "wait for CI to pass on this commit, or deploy a commit that passed",
            },
          ];
    }
    const url = fillUrl(ci.url, input.commit);
    const a = await httpGet(ci, url, ctx.signal);
    const value = a.ok ? atPath(a.body, ci.jsonPath) : undefined;
    const evidence = { url, status: a.status, ...(ci.jsonPath ? { jsonPath: ci.jsonPath } : {}), value, expected: ci.success };
    const where = `${url}${ci.jsonPath ? ` ${ci.jsonPath}` : ""}`;
    if (!a.ok)
      return [
        {
          gate: "ci",
          ok: false,
          line: `${short}: CI status unknown: ${a.error ?? `HTTP ${a.status}`} from ${url}`,
          evidence,
          hint: "check the CI endpoint and token (gates.ci), then retry",
        },
      ];
    const ok = value === ci.success;
    return [
      ok
        ? { gate: "ci", ok: true, line: `${short}: CI ${shown(value)} (${where})`, evidence }
        : {
            gate: "ci",
            ok: false,
            line: `${short}: CI is ${shown(value)}, not ${JSON.stringify(ci.success)} (${where})`,
            evidence,
            hint: "wait for CI to pass on this commit, or deploy a commit that passed",
          },
    ];
  },
};
