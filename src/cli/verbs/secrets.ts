/** `slipway secrets keygen | encrypt <plain.yml> <out> | decrypt <file>`: the encrypted secrets file kept in the repository. */
import { plainOutput } from "../../render/output.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/load.js";
import { decrypt, encrypt, generateKey, readKey } from "../../config/secrets.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { configPath, parseVerb, verbCommand } from "../verb-command.js";

/** The key the way deploys find it: $SLIPWAY_SECRETS_KEY, else slipway.yml's secrets_key_file, else the default key file. */
function findKey(globals: Globals): string {
  const file = configPath(globals);
  // Without a slipway.yml (encrypting before writing one) the default key file still applies.
  const loaded = existsSync(file) ? loadConfig(file) : null;
  const key = readKey(loaded?.raw.secrets_key_file, loaded?.dir ?? path.dirname(file), (k) => process.env[k] || undefined);
  if (!key)
    throw new UsageError(
      `no secrets key: set SLIPWAY_SECRETS_KEY or write it to ${loaded?.raw.secrets_key_file ? "secrets_key_file" : "~/.config/slipway/secrets.key"} (make one with \`slipway secrets keygen\`)`,
    );
  return key;
}

/** A file the user named; missing is their mistake (exit 2), not a crash. */
function readInput(file: string): string {
  if (!existsSync(file)) throw new UsageError(`${file}: file not found`);
  return readFileSync(file, "utf8");
}

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "secrets",
    "keygen: print a new key (keep it outside the repository: $SLIPWAY_SECRETS_KEY, secrets_key_file or ~/.config/slipway/secrets.key); encrypt <plain.yml> <out>: encrypt a NAME: value map; decrypt <file>: print it.",
    "slipway secrets encrypt secrets.yml secrets.enc && rm secrets.yml",
  )
    .argument("<action>", "keygen | encrypt | decrypt")
    .argument("[files...]", "input (and output) files");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const [action, ...files] = parsed.args as [string, ...string[]];
  if (action === "keygen") plainOutput().text(generateKey() + "\n");
  else if (action === "encrypt" && files.length === 2) {
    const plain = readInput(files[0]!);
    writeFileSync(files[1]!, encrypt(plain, findKey(parsed.opts)));
    process.stderr.write(`wrote ${files[1]}\n`);
  } else if (action === "decrypt" && files.length === 1) {
    const box = readInput(files[0]!);
    // The plaintext exactly as stored (it is what you asked for): not redacted, not rewritten.
    process.stdout.write(decrypt(files[0]!, box, findKey(parsed.opts)));
  } else throw new UsageError("secrets: expected keygen, encrypt <plain.yml> <out>, or decrypt <file>");
  return 0;
}
