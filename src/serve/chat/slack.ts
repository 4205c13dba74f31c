/**
 * One accepted slash command, from its first answer to its outcome. Slack wants an answer within
 * 3 s, so the first step (a deploy's or rollback's `--plan`, the status) is given 2.5 s to go into
 * that answer; a slower one follows on the request's `response_url`, as do "started, run N" and
 * the outcome. Every text from the CLI is redacted again, made printable, trimmed and escaped for
 * Slack (no `<!channel>` from a commit message), and posting never throws: a failure is logged.
 */
import type { SlackSettings } from "../../config/chat.js";
import { sanitizeTerminal } from "../../render/sanitize.js";
import type { ServeContext } from "../context.js";
import type { CliOutcome } from "../runner.js";
import { type ChatCommand, cliArgs, escapeSlack, mayRun, parseCommand, roleOf } from "./commands.js";

export interface SlackAnswer {
  response_type: "in_channel" | "ephemeral";
  text: string;
}

/** The fields of Slack's slash-command form this server uses. */
export interface SlashForm {
  command: string;
  text: string;
  userId: string;
  userName: string;
  /** The workspace the request comes from. */
  teamId: string;
  responseUrl: string | null;
}

/** Time the first answer may wait for the plan or the status (Slack gives up at 3 s). */
export const FIRST_ANSWER_MS = 2_500;
const POST_TIMEOUT_MS = 10_000;
const MAX_BLOCK = 2_800;

const ephemeral = (text: string): SlackAnswer => ({ response_type: "ephemeral", text });
const inChannel = (text: string): SlackAnswer => ({ response_type: "in_channel", text });

/** The form's fields, or null when a required one is missing or repeated. */
export function slashForm(form: URLSearchParams): SlashForm | null {
  const one = (k: string) => {
    const all = form.getAll(k);
    return all.length === 1 ? all[0]! : null;
  };
  const command = one("command");
  const userId = one("user_id");
  if (!command || !userId) return null;
  const url = one("response_url");
  return {
    command,
    text: one("text") ?? "",
    userId,
    userName: one("user_name") ?? "",
    teamId: one("team_id") ?? "",
    responseUrl: url && validUrl(url) ? url : null,
  };
}

function validUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

export interface Follow {
  answer: SlackAnswer;
  /** Settles when every follow-up has been posted (tests and shutdown wait on it). */
  rest: Promise<void>;
}

/** Decide the first answer for an authenticated request and start what follows. */
export async function handleSlash(sc: ServeContext, slack: SlackSettings, f: SlashForm, firstMs = FIRST_ANSWER_MS): Promise<Follow> {
  const done = Promise.resolve();
  const who = `${f.userName || "?"} (${f.userId})`;
  if (slack.teamId && f.teamId !== slack.teamId) {
    sc.log(`chat: refused ${f.command} from slack user ${safe(who)}: workspace ${safe(f.teamId || "?")} is not chat.slack.team_id`);
    return { answer: ephemeral("This Slipway only answers its own Slack workspace."), rest: done };
  }
  const role = roleOf(slack.users, f.userId);
  if (!role) {
    sc.log(`chat: refused ${f.command} from slack user ${safe(who)}: not in chat.slack.users`);
    return {
      answer: ephemeral(`You are not allowed to use Slipway here: ask an admin to add your user id \`${escapeSlack(safe(f.userId))}\` to chat.slack.users.`),
      rest: done,
    };
  }
  const parsed = parseCommand(f.command, f.text, [...sc.environments.keys()]);
  if (!parsed.ok) return { answer: ephemeral(parsed.text), rest: done };
  const cmd = parsed.cmd;
  if (!mayRun(role, cmd.verb)) {
    sc.log(`chat: refused /${cmd.verb} ${cmd.env} from slack user ${safe(who)}: role ${role}`);
    return { answer: ephemeral(`Your role is ${role}: you may only use \`/status\`. \`/${cmd.verb}\` needs deployer.`), rest: done };
  }
  const user = `slack:${f.userName || f.userId}`;
  const redact = sc.environments.get(cmd.env)!.redact;
  const clean = (t: string) => escapeSlack(sanitizeTerminal(redact(sc.redact(t))));
  const post = (text: string) => (f.responseUrl ? postJson(sc, f.responseUrl, inChannel(text)) : Promise.resolve());
  const title = describe(cmd, user);
  const plain = title.replace(/\*/g, "");
  sc.log(`chat: ${safe(f.userId)}: ${plain}`);
  const { preview, action } = cliArgs(cmd);

  const first: Promise<{ ok: boolean; text: string }> =
    cmd.verb === "status"
      ? sc.runner.capture({ env: cmd.env, args: action, user }).then((o) => ({ ok: o.code !== null, text: block(clean(o.stdout || o.stderr)) }))
      : preview
        ? sc.runner.capture({ env: cmd.env, args: preview, user }).then((o) => ({ ok: o.code === 0, text: planText(o, clean) }))
        : Promise.resolve({ ok: true, text: "" });
  // The action starts only once its plan succeeded: a plan that fails (an unknown ref, say) is the answer.
  const act = async (firstResult: { ok: boolean }): Promise<void> => {
    if (cmd.verb === "status" || !firstResult.ok) return;
    const a = sc.runner.start({ env: cmd.env, args: action, user });
    const rec = await sc.runner.runOf(sc.store, a).catch(() => null);
    if (rec) await post(`${title}: started, run ${rec.id}`);
    const o = await a.done;
    const ok = o.code === 0;
    const outcome = ok ? "ok" : `failed (exit ${o.code ?? o.signal})`;
    sc.log(`chat: ${plain}: ${outcome}`);
    // Success: the summary (the last lines); failure: the explanation, which the CLI writes to stderr.
    const said = ok ? tail(o.stdout || o.stderr, 12) : tail(o.stderr || o.stdout);
    await post(`${title}: ${outcome}${rec ? ` (run ${rec.id})` : ""}\n${block(clean(said))}`);
  };
  const timer = new Promise<null>((r) => setTimeout(() => r(null), firstMs).unref());
  const early = await Promise.race([first, timer]);
  if (early) {
    return { answer: inChannel(`${title}\n${early.text}`.trim()), rest: act(early).catch((e) => sc.log(`chat: ${plain}: ${(e as Error).message}`)) };
  }
  const rest = first
    .then(async (r) => {
      await post(`${title}\n${r.text}`.trim());
      await act(r);
    })
    .catch((e) => sc.log(`chat: ${plain}: ${(e as Error).message}`));
  return { answer: inChannel(`${title}: ${cmd.verb === "status" ? "reading the hosts" : "planning"}…`), rest };
}

function describe(cmd: ChatCommand, user: string): string {
  const by = `by ${user}`;
  switch (cmd.verb) {
    case "deploy":
      return `*deploy* of ${cmd.env}${cmd.ref ? ` at \`${cmd.ref}\`` : ""} ${by}${cmd.message ? ` ("${escapeSlack(cmd.message)}")` : ""}`;
    case "rollback":
      return `*rollback* of ${cmd.env}${cmd.release ? ` to \`${cmd.release}\`` : ""} ${by}`;
    case "lock":
      return `*lock* of ${cmd.env} ${by} ("${escapeSlack(cmd.reason)}")`;
    case "unlock":
      return `*unlock* of ${cmd.env} ${by}`;
    case "status":
      return `*status* of ${cmd.env}`;
  }
}

function planText(o: CliOutcome, clean: (t: string) => string): string {
  if (o.code === 0) return block(clean(o.stdout));
  return `plan failed (exit ${o.code ?? o.signal}): nothing was started\n${block(clean(tail(o.stderr || o.stdout)))}`;
}

/** The last lines of a CLI's output: where the summary and a failure's explanation are. */
function tail(s: string, lines = 20): string {
  // The log file's path is the server's business, not the channel's.
  return s
    .trimEnd()
    .split("\n")
    .filter((l) => !l.startsWith("log: "))
    .slice(-lines)
    .join("\n");
}

/** A code block, trimmed to what a chat message shows well; a fence inside cannot close it. */
function block(s: string): string {
  let t = s.trim().replace(/```/g, "`\u200b``");
  if (!t) return "";
  if (t.length > MAX_BLOCK) {
    const rest = t.slice(MAX_BLOCK).split("\n").length;
    t = `${t.slice(0, MAX_BLOCK)}\n… (${rest} more lines)`;
  }
  return `\`\`\`\n${t}\n\`\`\``;
}

/** A user-supplied word fit for one log line. */
function safe(s: string): string {
  return sanitizeTerminal(s).slice(0, 80);
}

/** POST JSON to a response_url with a time limit; a failure is logged (redacted), never thrown. */
export async function postJson(sc: ServeContext, url: string, body: SlackAnswer): Promise<void> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      redirect: "error",
    });
    if (!res.ok) sc.log(`chat: posting to the response_url answered ${res.status}`);
    await res.body?.cancel();
  } catch (e) {
    sc.log(sc.redact(`chat: posting to the response_url failed: ${(e as Error).message}`));
  }
}
