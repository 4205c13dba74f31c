/** Pre-step builders through a real bash: start once per commit, report status and progress, claim once. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../src/config/paths.js";
import { checkPrestep, claimNotification, parsePrestep, startPrestep } from "../../../src/commands/prestep.js";
import { waitFor } from "../../helpers.js";

const bash = (sh: string) => execFileSync("bash", ["-c", sh], { encoding: "utf8" });
const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("pre-step builders", () => {
  it("start once, report progress and the end, claim the notification exactly once", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-prestep-"));
    const p = pathsFor(root);
    const release = path.join(root, "rel it's");
    mkdirSync(release, { recursive: true });
    const run = `echo 50% > "$SLIPWAY_PROGRESS"; test -f go || sleep 0.3; echo "in $(basename "$PWD")"`;
    expect(bash(startPrestep(p, "re index", SHA, release, run).sh).trim()).toBe("PRESTEP started");
    expect(bash(startPrestep(p, "re index", SHA, release, run).sh).trim()).toMatch(/^PRESTEP (running|done)$/);
    await waitFor(() => parsePrestep(bash(checkPrestep(p, "re index", SHA))).status === "done", 5000);
    const st = parsePrestep(bash(checkPrestep(p, "re index", SHA)));
    expect(st).toMatchObject({ status: "done", progress: "50%", exit: "0" });
    expect(st.log).toEqual(["in rel it's"]);
    expect(bash(claimNotification(p, "re index", SHA)).trim()).toBe("CLAIMED");
    expect(bash(claimNotification(p, "re index", SHA)).trim()).toBe("");
    expect(parsePrestep(bash(checkPrestep(p, "other", SHA))).status).toBe("none");
  });
});
