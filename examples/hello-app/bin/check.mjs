// Verify: the server answers and serves the version in this release.
import { readFileSync } from "node:fs";
const want = readFileSync(new URL("../VERSION", import.meta.url), "utf8").trim();
const res = await fetch(`http://127.0.0.1:${process.env.PORT}/`);
const body = await res.text();
if (!res.ok || !body.includes(`v${want}<`)) {
  console.error(`expected v${want}, got ${res.status}: ${body.trim()}`);
  process.exit(1);
}
console.log("serving", body.trim());
