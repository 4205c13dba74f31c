import { InterruptedError } from "../errors.js";

/** Wait, unless interrupted first (Ctrl-C during a lock wait or between restart batches). */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(new InterruptedError())), { once: true });
  });
