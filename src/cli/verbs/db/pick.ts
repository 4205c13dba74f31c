/** Which of the environment's databases a `db` action works on (`--db`, or the only one). */
import type { Database, Environment } from "../../../config/resolve.js";
import { UsageError } from "../../../errors.js";
import { didYouMean } from "../../suggest.js";

export function pickDatabase(env: Environment, name?: string): Database {
  const all = env.databases;
  if (!all.length) throw new UsageError(`environment ${env.name} has no databases (add environments.${env.name}.databases to slipway.yml)`);
  if (name === undefined) {
    if (all.length > 1) throw new UsageError(`environment ${env.name} has ${all.length} databases: pass --db ${all.map((d) => d.key).join(" | ")}`);
    return all[0]!;
  }
  const db = all.find((d) => d.key === name);
  if (!db)
    throw new UsageError(
      `--db: no database ${JSON.stringify(name)} in ${env.name}${didYouMean(
        name,
        all.map((d) => d.key),
      )}; expected one of: ${all.map((d) => d.key).join(", ")}`,
    );
  return db;
}
