/**
 * Live progress on a terminal, redrawn in place: one line per host while they fit the screen,
 * else one line per phase (tty-phases.ts); always the elapsed time. Messages and failures scroll
 * above the live block, so a slow host never hides the others' progress. When the run ends the
 * live block is replaced by its final state, printed once, and then the summary: nothing is drawn
 * after it.
 */
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import { palette } from "./color.js";
import { formatPlain } from "./plain.js";
import { sanitizeTerminal } from "./sanitize.js";
import { PhaseTallies, seconds } from "./tty-phases.js";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Host lines shown when the terminal's height is unknown. */
const MAX_LIVE = 20;
/** Rows kept free for messages above the live block and the elapsed line. */
const RESERVED_ROWS = 4;

interface HostLine {
  phase: string;
  status: string;
  last: string;
}

/** Options of the live view: colour (off for --no-color and NO_COLOR; see render/color.ts). */
export interface TtyOptions {
  color: boolean;
  /** How many hosts the run targets, known before the first event (the lock comes before run:start). */
  hosts?: number;
}

export class TtyRenderer implements EventSink {
  private hosts = new Map<string, HostLine>();
  private tallies = new PhaseTallies();
  private runHosts = 0;
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private started = Date.now();
  /** After run:end nothing is drawn again (a redraw there put the host lines below the summary). */
  private ended = false;
  private c: ReturnType<typeof palette>;

  constructor(
    private out: NodeJS.WriteStream = process.stderr,
    opts: TtyOptions = { color: true },
  ) {
    this.c = palette(opts.color);
    this.runHosts = opts.hosts ?? 0;
  }

  handle(e: Timed<SlipwayEvent>): void {
    switch (e.type) {
      case "run:start":
        this.runHosts = Math.max(this.runHosts, e.hosts.length);
        this.print(formatPlain(e, false));
        break;
      case "phase:start":
        this.tallies.stageStart(e.hosts);
        break;
      case "phase:end":
        this.tallies.stageEnd();
        break;
      case "host:phase": {
        const h = this.hosts.get(e.host) ?? { phase: "", status: "", last: "" };
        h.phase = e.phase;
        h.status = e.status;
        if (e.status !== "running") h.last = "";
        this.hosts.set(e.host, h);
        this.tallies.update(e.host, e.phase, e.status, Date.now());
        this.start();
        break;
      }
      case "output": {
        const h = this.hosts.get(e.host);
        if (h) h.last = sanitizeTerminal(e.line.slice(0, 60));
        break;
      }
      case "run:end":
        this.finish(formatPlain(e, false));
        break;
      default:
        this.print(formatPlain(e, false));
    }
  }

  close(): void {
    this.stopTimer();
  }

  /** The end: the live block becomes its final state (static, once), then the summary. */
  private finish(summary: string | null): void {
    this.stopTimer();
    this.clear();
    const last = this.lines(false);
    if (last.length) this.out.write(last.join("\n") + "\n");
    this.ended = true;
    if (summary !== null) this.out.write(sanitizeTerminal(summary) + "\n");
  }

  private print(text: string | null): void {
    if (text === null) return;
    this.clear();
    this.out.write(sanitizeTerminal(text) + "\n");
    this.draw();
  }

  private start(): void {
    if (!this.timer && !this.ended) this.timer = setInterval(() => this.draw(), 100).unref();
    this.draw();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.ended) return;
    this.clear();
    this.frame = (this.frame + 1) % SPIN.length;
    const lines = this.lines(true);
    if (lines.length) this.out.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }

  /** Per host while the hosts fit the screen, else per phase; the live frame adds the elapsed time. */
  private lines(live: boolean): string[] {
    if (!this.hosts.size) return [];
    const rows = this.out.rows;
    const fit = rows ? Math.max(rows - RESERVED_ROWS, 1) : MAX_LIVE;
    const many = Math.max(this.runHosts, this.hosts.size) > fit;
    const body = many ? this.tallies.lines(Date.now(), (s) => this.icon(s)) : this.hostLines();
    const lines = live ? [...body, this.c.dim(`elapsed ${seconds(Date.now() - this.started)}`)] : body;
    // A line wider than the terminal wraps, and the cursor-up count would no longer clear it.
    const cols = this.out.columns;
    return cols ? lines.map((l) => clip(l, cols - 1)) : lines;
  }

  private hostLines(): string[] {
    const width = Math.max(...[...this.hosts.keys()].map((k) => k.length), 4);
    return [...this.hosts].map(([name, h]) => {
      const icon = h.status === "running" ? this.icon("running") : h.status === "done" ? this.icon("done") : h.status === "failed" ? this.icon("failed") : "·";
      return `${icon} ${sanitizeTerminal(name).padEnd(width)}  ${h.phase.padEnd(8)} ${h.status === "running" && h.last ? this.c.dim(h.last) : ""}`;
    });
  }

  private icon(state: "running" | "done" | "failed"): string {
    return state === "running" ? SPIN[this.frame]! : state === "done" ? this.c.green("✔") : this.c.red("✖");
  }
}

/** At most `n` visible characters; SGR codes (which take no column) are kept whole. */
function clip(line: string, n: number): string {
  let visible = 0;
  let out = "";
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) out += part;
    else {
      const room = Math.max(n - visible, 0);
      out += [...part].slice(0, room).join("");
      visible += Math.min([...part].length, room);
    }
  }
  return out;
}
