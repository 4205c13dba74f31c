/** A page-route failure as a small HTML page (the API answers JSON; a browser should not see JSON). */
import type { FastifyReply } from "fastify";
import { html } from "../html.js";
import { htmlHeaders } from "./layout.js";

export function sendErrorPage(reply: FastifyReply, status: number, message: string) {
  return htmlHeaders(reply.code(status)).send(
    html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} · Slipway</title><link rel="stylesheet" href="/assets/app.css"></head><body><main><h1>${status}</h1><div class="error">${message}</div><p><a href="/">Back to the overview</a></p></main></body></html>`
      .text,
  );
}
