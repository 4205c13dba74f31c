/** Whether output may be coloured: one rule for the live view and the demo. */

/**
 * Colour only on a terminal, and never with `--no-color` or `NO_COLOR` set to anything non-empty
 * (https://no-color.org). Cursor movement is not colour: the live view still redraws in place.
 */
export function colorEnabled(stream: { isTTY?: boolean }, noColorFlag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !noColorFlag && !env.NO_COLOR;
}

/** SGR helpers that are the identity when colour is off. */
export function palette(on: boolean) {
  const sgr = (code: string) => (t: string) => (on ? `\x1b[${code}m${t}\x1b[0m` : t);
  return { green: sgr("32"), red: sgr("31"), dim: sgr("2"), bold: sgr("1") };
}
