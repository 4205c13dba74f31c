#!/usr/bin/env node
// The README's test command: build, check required system tools, run every test, and end with
// the line CI reads: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

// On CI every system tool the suites use must be present: a missing one fails the run here,
// loudly, instead of a suite skipping itself. Locally, the ssh fleet suite skips with a warning.
const REQUIRED_TOOLS = [
  "bash",
  "git",
  "tar",
  ...(process.env.CI === "true"
    ? [
        "/usr/sbin/sshd",
        "ssh",
        "ssh-keygen",
        "python3",
        "supervisord",
        "supervisorctl",
        "/usr/sbin/nginx",
        "curl",
        "systemd-analyze",
        "zsh",
        "fish",
        "pg_dump",
        "psql",
        "mysqldump",
        "mysql",
        "mariadb-install-db",
        "/usr/sbin/mariadbd",
        "openssl",
        "gzip",
        // Framework apps deployed with presets (test/e2e/presets-apps.test.ts).
        "/usr/bin/django-admin",
        "gunicorn",
        "ruby",
        "bundle",
        "puma",
        "/usr/bin/rails",
        "node",
        "npm",
      ]
    : []),
];
const results = ".test-results.json";

function have(tool) {
  return spawnSync("bash", ["-c", tool.startsWith("/") ? `test -x ${tool}` : `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

const missing = REQUIRED_TOOLS.filter((t) => !have(t));
if (missing.length) {
  console.error(`missing system tools the tests need: ${missing.join(", ")} (on CI, .ci/run installs them)`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

// tsc's dist and the bundle (test/e2e/bundle.test.ts runs the bundle: a stale one must not pass).
const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
if (build.status !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}

rmSync(results, { force: true });
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...process.argv.slice(2)];
const run = spawnSync("npx", args, { stdio: "inherit" });
let passed = 0;
let failed = 0;
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, "utf8"));
  passed = r.numPassedTests;
  // A file that fails to load has no failed tests but is a failure all the same.
  failed = r.numFailedTests || r.numFailedTestSuites;
} else {
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
