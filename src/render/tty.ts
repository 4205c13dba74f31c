/**
 * Live per-host progress on a terminal: one line per host, redrawn in place. Messages and
 * failures scroll above the live block, so a slow host never hides the others' progress.
 */
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import { formatPlain } from "./plain.js";
import { sanitizeTerminal } from "./sanitize.js";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const MAX_LIVE = 20;

interface HostLine {
  phase: string;
  status: string;
  last: string;
}

export class TtyRenderer implements EventSink {
  private hosts = new Map<string, HostLine>();
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private out: NodeJS.WriteStream = process.stderr) {}

  handle(e: Timed<SlipwayEvent>): void {
    switch (e.type) {
      case "host:phase": {
        const h = this.hosts.get(e.host) ?? { phase: "", status: "", last: "" };
        h.phase = e.phase;
        h.status = e.status;
        if (e.status !== "running") h.last = "";
        this.hosts.set(e.host, h);
        this.start();
        break;
      }
      case "output": {
        const h = this.hosts.get(e.host);
        if (h) h.last = sanitizeTerminal(e.line.slice(0, 60));
        break;
      }
      case "run:end":
        this.stop();
        this.print(formatPlain(e, false));
        break;
      default:
        this.print(formatPlain(e, false));
    }
  }

  close(): void {
    this.stop();
  }

  private print(text: string | null): void {
    if (text === null) return;
    this.clear();
    this.out.write(sanitizeTerminal(text) + "\n");
    this.draw();
  }

  private start(): void {
    if (!this.timer) this.timer = setInterval(() => this.draw(), 100).unref();
    this.draw();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.draw();
    this.drawn = 0; // leave the final state on screen
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    this.clear();
    const width = Math.max(...[...this.hosts.keys()].map((k) => k.length), 4);
    const entries = [...this.hosts.entries()];
    const shown = entries.slice(0, MAX_LIVE);
    this.frame = (this.frame + 1) % SPIN.length;
    const lines = shown.map(([name, h]) => {
      const icon = h.status === "running" ? SPIN[this.frame] : h.status === "done" ? "\x1b[32m✔\x1b[0m" : h.status === "failed" ? "\x1b[31m✖\x1b[0m" : "·";
      return `${icon} ${sanitizeTerminal(name).padEnd(width)}  ${h.phase.padEnd(8)} ${h.status === "running" && h.last ? `\x1b[2m${h.last}\x1b[0m` : ""}`;
    });
    if (entries.length > MAX_LIVE) {
      const counts = entries.slice(MAX_LIVE).reduce<Record<string, number>>((acc, [, h]) => ((acc[h.status] = (acc[h.status] ?? 0) + 1), acc), {});
      lines.push(
        `  … ${entries.length - MAX_LIVE} more: ${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}`,
      );
    }
    if (lines.length) this.out.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }
}
