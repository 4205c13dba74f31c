/** The one place a verb asks the person at the terminal something (stdin, prompt on stderr). */
import { createInterface } from "node:readline/promises";

/** Ask `question`; the answer picks the choice it starts with (by first letter), else the first choice. */
export type Ask = (question: string, choices: string[]) => Promise<string>;

export const ask: Ask = async (question, choices) => {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    return choices.find((c) => answer !== "" && answer.startsWith(c[0]!.toLowerCase())) ?? choices[0]!;
  } finally {
    rl.close();
  }
};
