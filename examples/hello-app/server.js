// A tiny web app for the Slipway demo: serves its version and the release it runs from.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const version = readFileSync(path.join(here, "VERSION"), "utf8").trim();
const info = JSON.parse(readFileSync(path.join(here, "build-info.json"), "utf8"));
const port = Number(process.env.PORT || 3000);

createServer((req, res) => {
  if (req.url === "/health") return res.end("ok\n");
  res.setHeader("content-type", "text/html");
  res.end(`<h1>hello-app v${version}</h1><p>release ${info.release} built ${info.builtAt}</p>\n`);
}).listen(port, "127.0.0.1");
