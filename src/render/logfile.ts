/** Every run's full log (all output lines, every event) is saved; its path is printed at the end. */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";
import { formatPlain } from "./plain.js";

export class LogFileSink implements EventSink {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }
  handle(e: Timed<SlipwayEvent>): void {
    const text = formatPlain(e, true);
    if (text !== null) appendFileSync(this.file, text.split("\n").map((l) => `${e.ts} ${l}`).join("\n") + "\n");
  }
}
