/** Generated framework apps for the preset tests: files per version, written into a git repo. */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Repo } from "../helpers.js";

/** Path → content; `null` removes the file (a later version dropping it). */
export type AppFiles = Record<string, string | null>;

export { djangoApp } from "./django.js";
export { nodeApp } from "./node.js";
export { railsApp } from "./rails.js";

/** Scripts run directly (./manage.py, bin/rails) are committed executable. */
const EXECUTABLE = /^(manage\.py|bin\/[^/]+)$/;

/** Write `files` into the repo's work tree and commit them; returns the commit. */
export function commitApp(repo: Repo, files: AppFiles, message: string): string {
  for (const [f, body] of Object.entries(files)) {
    const p = path.join(repo.dir, f);
    if (body === null) {
      rmSync(p, { force: true });
      continue;
    }
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
    if (EXECUTABLE.test(f)) chmodSync(p, 0o755);
  }
  repo.git("add", "-A");
  repo.git("commit", "-q", "--allow-empty", "-m", message);
  return repo.git("rev-parse", "HEAD");
}
