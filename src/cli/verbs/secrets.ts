/** `slipway secrets keygen | encrypt <plain.yml> <out> | decrypt <file>`: the encrypted secrets file kept in the repository. */
import { readFileSync, writeFileSync } from "node:fs";
import { decrypt, encrypt, generateKey } from "../../config/secrets.js";
import { UsageError } from "../../errors.js";
import type { Globals } from "../registry.js";
import { parseVerb, verbCommand } from "../verb-command.js";

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "secrets",
    "keygen: print a new key (keep it outside the repository: $SLIPWAY_SECRETS_KEY or ~/.config/slipway/secrets.key); encrypt <plain.yml> <out>: encrypt a NAME: value map; decrypt <file>: print it.",
    "slipway secrets encrypt secrets.yml secrets.enc && rm secrets.yml",
  )
    .argument("<action>", "keygen | encrypt | decrypt")
    .argument("[files...]", "input (and output) files");
  const parsed = parseVerb(cmd, args, globals);
  if (!parsed) return 0;
  const [action, ...files] = parsed.args as [string, ...string[]];
  const key = () => {
    const k = process.env.SLIPWAY_SECRETS_KEY;
    if (!k) throw new UsageError("set SLIPWAY_SECRETS_KEY (make one with `slipway secrets keygen`)");
    return k;
  };
  if (action === "keygen") process.stdout.write(generateKey() + "\n");
  else if (action === "encrypt" && files.length === 2) {
    writeFileSync(files[1]!, encrypt(readFileSync(files[0]!, "utf8"), key()));
    process.stderr.write(`wrote ${files[1]}\n`);
  } else if (action === "decrypt" && files.length === 1) process.stdout.write(decrypt(files[0]!, readFileSync(files[0]!, "utf8"), key()));
  else throw new UsageError("secrets: expected keygen, encrypt <plain.yml> <out>, or decrypt <file>");
  return 0;
}
