/** `chat`: slash commands from a chat workspace (Slack), answered by `slipway serve` at POST /chat/slack. */
import { z } from "zod";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" });
/**
 * A Slack user id (U012ABCDEF, W...): what the `users` map is keyed by. Never a user name: a name is
 * chosen by its owner (and another workspace may have the same one), so it cannot grant a role.
 */
const chatUser = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,20}$/, { error: "expected a Slack user id like U012ABCDEF (a user name can be taken by anyone; an id cannot)" });

export const CHAT_ROLES = ["deployer", "viewer"] as const;

export const chatSchema = z
  .object({
    slack: z
      .object({
        signing_secret_env: envName
          .default("SLACK_SIGNING_SECRET")
          // The secret signs every request, so it is never written in this file: only the variable's name is.
          .describe("The `slipway serve` machine's environment variable holding the Slack app's signing secret (redacted everywhere)."),
        team_id: z
          .string()
          .regex(/^T[A-Z0-9]{2,20}$/, { error: "expected a Slack workspace id like T012ABCDEF" })
          .optional()
          .describe(
            "The Slack workspace (team id) whose requests are accepted; others are refused. Set it when the app is installed in more than one workspace.",
          ),
        users: z
          .record(chatUser, z.enum(CHAT_ROLES, { error: "expected deployer or viewer" }))
          .default({})
          .describe(
            "Who may use the commands, by Slack user id (profile → Copy member ID; names are not accepted: anyone can take one): `deployer` may deploy, roll back, lock and unlock; `viewer` only `/status`. Anyone else is refused.",
          ),
      })
      .strict()
      .describe("A Slack app's slash commands (`/deploy`, `/rollback`, `/lock`, `/unlock`, `/status`) with its Request URL at `https://<serve>/chat/slack`."),
  })
  .strict()
  .optional()
  .describe("Chat commands answered by `slipway serve` (without this key, POST /chat/slack answers 404).");

export type ChatConfig = z.infer<typeof chatSchema>;
