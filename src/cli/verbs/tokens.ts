/** `slipway tokens create --name ci --role deployer|viewer | list | revoke <name>`: API tokens for `slipway serve`. */
import { whoAmI } from "../../apply/context.js";
import { loadConfig } from "../../config/load.js";
import { stateSecrets } from "../../config/state.js";
import { UsageError } from "../../errors.js";
import { makeRedactor } from "../../events/redact.js";
import { makeOutput } from "../../render/output.js";
import { table } from "../../render/table.js";
import { TOKEN_ROLES, type TokenRole } from "../../store/store.js";
import type { Globals } from "../registry.js";
import { stateDirOf } from "../session.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

interface Opts {
  name?: string;
  role?: string;
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "tokens",
    "API tokens for `slipway serve`, kept in the state store (`state`): create prints a new token once (only its SHA-256 hash is stored); list shows names, roles and who made them; revoke stops a token at once.",
    "slipway tokens create --name ci --role viewer",
  )
    .argument("<action>", "create | list | revoke")
    .argument("[name]", "revoke: the token's name")
    .option("--name <name>", "create: a name for the token (letters, digits, . _ -)")
    .option("--role <role>", "create: deployer (may act, later) or viewer (reads only)");
  const parsed = parseVerb<Opts>(cmd, args, globals);
  if (!parsed) return 0;
  const [action, name] = parsed.args as [string, string | undefined];
  if (!["create", "list", "revoke"].includes(action)) throw new UsageError(`tokens: expected create, list or revoke, got ${JSON.stringify(action)}`);
  const o = parsed.opts;
  const loaded = loadConfig(configPath(o));
  const out = makeOutput(makeRedactor(stateSecrets(loaded.raw)));
  const { openStateStore } = await import("../../store/open.js");
  const { TOKEN_NAME, generateToken, hashToken } = await import("../../serve/tokens.js");
  const checkName = (n: string | undefined, what: string): string => {
    if (!n) throw new UsageError(`tokens ${action}: ${what}`);
    if (!TOKEN_NAME.test(n))
      throw new UsageError(`token name ${JSON.stringify(n)}: use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    return n;
  };
  // Checked before the store opens, so a usage error never waits on a remote store.
  if (action === "create") {
    checkName(o.name, "--name is required");
    if (!TOKEN_ROLES.includes(o.role as TokenRole)) throw new UsageError(`--role: expected ${TOKEN_ROLES.join(" or ")}, got ${JSON.stringify(o.role ?? "")}`);
  }
  if (action === "revoke") checkName(name, "which token? slipway tokens revoke <name>");
  const store = await openStateStore(loaded, stateDirOf(loaded.dir));
  try {
    if (action === "create") {
      const token = generateToken();
      const rec = { name: o.name!, role: o.role as TokenRole, hash: hashToken(token), createdAt: new Date().toISOString(), createdBy: whoAmI() };
      await store.createToken(rec);
      // The token goes to stdout (for `$(slipway tokens create ...)`), never through the redacting
      // output (it is not a config secret) and never into a log; the note goes to stderr.
      if (o.json) process.stdout.write(`${JSON.stringify({ name: rec.name, role: rec.role, token })}\n`);
      else process.stdout.write(`${token}\n`);
      process.stderr.write(`token "${rec.name}" (${rec.role}) created in ${store.label}; it is shown only now: store it where it will be used\n`);
    } else if (action === "list") {
      const tokens = (await store.listTokens()).map((t) => ({
        name: t.name,
        role: t.role,
        createdAt: t.createdAt,
        createdBy: t.createdBy,
        revokedAt: t.revokedAt,
      }));
      if (o.json) out.data(tokens);
      else if (!tokens.length) out.text(`no tokens in ${store.label} (slipway tokens create --name NAME --role viewer)\n`);
      else
        out.text(
          table(
            ["NAME", "ROLE", "CREATED", "BY", "REVOKED"],
            tokens.map((t) => [t.name, t.role, t.createdAt, t.createdBy, t.revokedAt ?? "-"]),
          ),
        );
    } else {
      if (!(await store.revokeToken(name!, new Date().toISOString())))
        throw new UsageError(`no unrevoked token named ${JSON.stringify(name)} in ${store.label}`);
      out.text(`revoked token "${name}"\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
