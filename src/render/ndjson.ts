/** `--json`: one event per line on stdout, for machines and (later) the dashboard. */
import type { EventSink, SlipwayEvent, Timed } from "../events/types.js";

export class NdjsonRenderer implements EventSink {
  constructor(private out: NodeJS.WritableStream = process.stdout) {}
  handle(e: Timed<SlipwayEvent>): void {
    this.out.write(JSON.stringify(e) + "\n");
  }
}
