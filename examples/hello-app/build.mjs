// The demo's "build": records what was built, as a real build would produce assets.
import { writeFileSync } from "node:fs";
writeFileSync("build-info.json", JSON.stringify({ release: process.env.SLIPWAY_RELEASE ?? "dev", builtAt: new Date().toISOString() }));
console.log("built", process.env.SLIPWAY_RELEASE);
