/** Gate `windows`: a deploy starts only inside the environment's allowed windows and outside its freezes. */
import { now } from "../../config/clock.js";
import { evaluateWindows } from "../../plan/windows.js";
import type { PreflightCheck } from "../preflight.js";

export const windowsCheck: PreflightCheck = {
  names: (ctx) => (ctx.env.windows ? ["windows"] : []),
  async run(ctx, _hosts, input, phase) {
    const w = ctx.env.windows;
    // Checked once, at the start: a deploy that began inside a window finishes even if the window closes.
    if (!w || phase !== "start" || input.verb !== "deploy") return [];
    const v = evaluateWindows(w, now(), input.needsDowntime);
    return [
      {
        gate: "windows",
        ok: v.ok,
        line: v.line,
        evidence: { ...v.evidence, ...(v.rule ? { rule: v.rule } : {}) },
        ...(v.ok
          ? {}
          : {
              hint: `wait until ${v.next ? v.next.toISOString() : "a window opens"} and deploy again, or change windows: in ${ctx.env.configFile} (environments.${ctx.env.name}.windows)`,
            }),
      },
    ];
  },
};
