/**
 * Slash commands as typed data, and the CLI calls they become. Everything here comes from a chat
 * message, so it is input like any other: the environment must be one of slipway.yml's, a ref and a
 * release id must match strict formats (so none can start with `-` and become an option), free text
 * (a reason, a message) is passed only glued to its flag (`--message=<text>`, one argv element, so
 * even `--help` or `--json` stays text), and the child runs without a shell.
 */
import { RELEASE_ID } from "../../config/paths.js";
import type { ChatRole } from "../../config/chat.js";

export type ChatCommand =
  | { verb: "deploy"; env: string; ref: string | null; message: string | null }
  | { verb: "rollback"; env: string; release: string | null }
  | { verb: "lock"; env: string; reason: string }
  | { verb: "unlock"; env: string }
  | { verb: "status"; env: string };

export type ChatVerb = ChatCommand["verb"];
export const CHAT_VERBS: readonly ChatVerb[] = ["deploy", "rollback", "lock", "unlock", "status"];

export type Parsed = { ok: true; cmd: ChatCommand } | { ok: false; text: string };

/**
 * A git branch, tag or commit as a chat may name it: starts with a letter or digit, then letters,
 * digits, `_ . / -`; no `..`, `//`, `@{`, trailing `/`, `.` or `.lock` (git's own rules, narrowed).
 */
const REF = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$/;
export function isChatRef(s: string): boolean {
  return REF.test(s) && !s.includes("..") && !s.includes("//") && !/(\/|\.|\.lock)$/.test(s) && !s.includes("/.");
}

/** Reasons and messages: one line, no control characters, bounded. */
const MAX_TEXT = 200;
function cleanText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .trim()
    .replace(/\s+/g, " ");
}

export const USAGE = [
  "`/deploy <env> [ref] [-- message]`: deploy (the config's ref by default)",
  "`/rollback <env> [release]`: back to the previous good release (or the one named)",
  "`/lock <env> <reason...>`, `/unlock <env>`: hold or release the environment lock",
  "`/status <env>`: what runs where, the lock, a deploy in progress",
];

function help(problem: string, envs: readonly string[]): Parsed {
  return { ok: false, text: `${problem}\nEnvironments: ${envs.map((e) => `\`${e}\``).join(", ")}\n${USAGE.join("\n")}` };
}

/** `/deploy` + "production main -- weekly release" → a command, or an answer saying what is wrong. `/slipway <verb> ...` works too. */
export function parseCommand(command: string, text: string, envs: readonly string[]): Parsed {
  let words = text.trim() ? text.trim().split(/\s+/) : [];
  let verb = command.trim().replace(/^\//, "").toLowerCase();
  if (verb === "slipway") verb = (words.shift() ?? "").toLowerCase();
  if (!(CHAT_VERBS as readonly string[]).includes(verb)) return help(`Unknown command ${quoteWord(verb || command)}.`, envs);
  const v = verb as ChatVerb;
  const env = words.shift();
  if (!env) return help(`\`/${v}\` needs an environment.`, envs);
  if (!envs.includes(env)) return help(`Unknown environment ${quoteWord(env)}.`, envs);
  if (v === "deploy") {
    const dash = words.indexOf("--");
    const message = dash >= 0 ? cleanText(words.slice(dash + 1).join(" ")) : "";
    if (dash >= 0) words = words.slice(0, dash);
    if (words.length > 1) return help(`\`/deploy\` takes one ref; put a message after \`--\` (got ${quoteWord(words.join(" "))}).`, envs);
    const ref = words[0] ?? null;
    if (ref !== null && !isChatRef(ref)) return help(`${quoteWord(ref)} is not a branch, tag or commit name.`, envs);
    if (message.length > MAX_TEXT) return help(`The message is longer than ${MAX_TEXT} characters.`, envs);
    return { ok: true, cmd: { verb: v, env, ref, message: message || null } };
  }
  if (v === "rollback") {
    if (words.length > 1) return help("`/rollback` takes at most one release id.", envs);
    const release = words[0] ?? null;
    if (release !== null && !RELEASE_ID.test(release)) return help(`${quoteWord(release)} is not a release id (like 20261122-050403-abc1234).`, envs);
    return { ok: true, cmd: { verb: v, env, release } };
  }
  if (v === "lock") {
    const reason = cleanText(words.join(" "));
    if (!reason) return help("`/lock` needs a reason: `/lock <env> <reason...>`.", envs);
    if (reason.length > MAX_TEXT) return help(`The reason is longer than ${MAX_TEXT} characters.`, envs);
    return { ok: true, cmd: { verb: v, env, reason } };
  }
  if (words.length) return help(`\`/${v}\` takes only an environment.`, envs);
  return { ok: true, cmd: { verb: v, env } };
}

/** A word from the message, shown back safely: bounded, and never Slack markup. */
function quoteWord(s: string): string {
  return `\`${escapeSlack(cleanText(s).replace(/`/g, "'").slice(0, 60))}\``;
}

/** Slack's mrkdwn: `&`, `<` and `>` escaped, so host or CLI text can never become a mention (`<!channel>`) or a link. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The role a Slack user has: by user id first (stable), then by user name; null: not allowed at all. */
/** The role of a Slack user, by id only (a user name is the user's own choice, so it proves nothing). */
export function roleOf(users: Readonly<Record<string, ChatRole>>, userId: string): ChatRole | null {
  return userId && Object.hasOwn(users, userId) ? users[userId]! : null;
}

/** Viewers may only look. */
export function mayRun(role: ChatRole, verb: ChatVerb): boolean {
  return role === "deployer" || verb === "status";
}

/** The CLI arguments after `<env>`: the preview (null: nothing to preview, the action says it all) and the action itself. */
export function cliArgs(cmd: ChatCommand): { preview: string[] | null; action: string[] } {
  switch (cmd.verb) {
    case "deploy": {
      const ref = cmd.ref ? [`--ref=${cmd.ref}`] : [];
      return { preview: ["deploy", "--plan", ...ref], action: ["deploy", ...ref, ...(cmd.message ? [`--message=${cmd.message}`] : [])] };
    }
    case "rollback": {
      const rel = cmd.release ? [cmd.release] : [];
      return { preview: ["rollback", "--plan", ...rel], action: ["rollback", ...rel] };
    }
    case "lock":
      return { preview: null, action: ["lock", "acquire", `--message=${cmd.reason}`] };
    case "unlock":
      return { preview: null, action: ["lock", "release"] };
    case "status":
      return { preview: null, action: ["status"] };
  }
}
