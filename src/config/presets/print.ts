/** Where preset-supplied values sit in a resolved Environment, for `config print`'s markings. */
import { Document, isCollection, isScalar, visit } from "yaml";
import type { LoadedConfig } from "../load.js";
import type { Environment } from "../resolve.js";

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The paths in `env` (as printed) whose values came from the preset. A preset's `env.X` or
 * `vars.X` that the environment overrides is not the preset's any more; services are found by name,
 * databases by key, other environments' values are left out.
 */
export function presetPaths(loaded: LoadedConfig, env: Environment): (string | number)[][] {
  const out: (string | number)[][] = [];
  const own = loaded.raw.environments[env.name];
  for (const raw of loaded.preset?.fromPreset ?? []) {
    const [top, ...rest] = raw;
    if (top === "environments") {
      const [envName, dbs, key, ...tail] = rest;
      const i = env.databases.findIndex((d) => d.key === key);
      if (envName === env.name && dbs === "databases" && i >= 0) out.push(["databases", i, ...tail.map(camel)]);
      continue;
    }
    if (top === undefined) continue;
    if (top === "env" || top === "vars") {
      const overridden = own?.[top] ?? {};
      if (rest.length === 0) for (const k of Object.keys(env[top]).filter((k) => !Object.hasOwn(overridden, k))) out.push([top, k]);
      else if (!Object.hasOwn(overridden, rest[0]!)) out.push([top, ...rest]);
      continue;
    }
    if (top === "services") {
      if (rest.length === 0) {
        // The whole map was the preset's: every printed service is one of its.
        for (let i = 0; i < env.services.length; i++) out.push(["services", i]);
        continue;
      }
      const [svc, ...tail] = rest;
      const i = env.services.findIndex((s) => s.name === svc);
      if (i >= 0) out.push(["services", i, ...tail.map(camel)]);
      continue;
    }
    // The rest are schema keys (shared.dirs, build, dependencies, ...): snake_case in the file, camelCase printed.
    out.push([camel(top), ...rest.map(camel)]);
  }
  return out;
}

/** The printed config as YAML, every scalar under a preset-supplied path ending in `# preset: <name>`. */
export function markedYaml(value: unknown, marks: (string | number)[][], comment: string): string {
  const doc = new Document(value);
  const mark = (n: unknown) => {
    if (isScalar(n)) n.comment = ` ${comment}`;
  };
  for (const path of marks) {
    const node = doc.getIn(path, true);
    if (isScalar(node)) mark(node);
    else if (isCollection(node)) visit(node, { Pair: (_, pair) => mark(pair.value), Seq: (_, seq) => seq.items.forEach(mark) });
  }
  return doc.toString();
}
