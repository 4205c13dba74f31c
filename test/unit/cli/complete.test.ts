/** The completion's fixed word lists against the verbs' own commander definitions, so they cannot drift. */
import { describe, expect, it } from "vitest";
import { ACTION_WORDS, SERVICE_ACTIONS } from "../../../src/cli/complete.js";
import { findVerb } from "../../../src/cli/registry.js";
import { verbDefinition } from "../../../src/cli/verb-command.js";

async function firstArgument(verb: string, needsEnv: boolean) {
  const cmd = await verbDefinition(await findVerb(verb, needsEnv)!.load());
  return cmd!.registeredArguments;
}
const words = (description: string) => description.split("|").map((w) => w.trim());

describe("completion word lists", () => {
  it.each([
    ["lock", true],
    ["downtime", true],
    ["completion", false],
    ["secrets", false],
    ["tokens", false],
  ] as const)("%s: the verb's <action> argument", async (verb, needsEnv) => {
    const [action] = await firstArgument(verb, needsEnv);
    expect(ACTION_WORDS[needsEnv ? verb : `global ${verb}`]).toEqual(words(action!.description));
  });

  it("config: validate/schema without an environment, print/drift with one", async () => {
    const [action] = await firstArgument("config", false);
    expect([...ACTION_WORDS["global config"]!, ...ACTION_WORDS.config!]).toEqual(words(action!.description));
  });

  it("service: the actions", async () => {
    const [, action] = await firstArgument("service", true);
    expect(SERVICE_ACTIONS).toEqual(words(action!.description));
  });

  it("verbDefinition builds the command without running the verb", async () => {
    const cmd = await verbDefinition(await findVerb("deploy", true)!.load());
    expect(cmd!.options.map((o) => o.long)).toEqual(expect.arrayContaining(["--plan", "--limit", "--config"]));
  });
});
