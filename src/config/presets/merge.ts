/**
 * Presets merge into the raw YAML object before the schema sees it: objects merge recursively (the
 * user wins key by key), arrays and scalars are replaced whole by the user's, `services.<name>: null`
 * (or `false`) removes a preset service, and environment-level keys are left alone except that every
 * database without `schema_status` gets the preset's. What the preset supplied is recorded by key path.
 */
import { PRESET_NAMES, PRESETS, isPresetName, type PresetName, presetAliases } from "./index.js";
import { type Preset, PresetValueError } from "./types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** A problem found while merging, at a path of the user's config. */
export interface MergeProblem {
  path: string[];
  message: string;
}

export interface PresetMerge {
  /** The merged raw config (the input itself when there is no preset). */
  config: unknown;
  preset: PresetName | null;
  /** Key paths whose whole value came from the preset (the coarsest such path). */
  fromPreset: string[][];
  problems: MergeProblem[];
}

/** Own-property write: a YAML key named `__proto__` stays a plain key. */
function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const has = (o: Obj, k: string) => Object.hasOwn(o, k) && o[k] !== undefined;

/** `user` over `preset` at `at`; paths taken whole from the preset go to `from`. */
function merge(preset: unknown, user: unknown, at: string[], from: string[][]): unknown {
  if (user === undefined) {
    from.push(at);
    return structuredClone(preset);
  }
  if (!isObj(preset) || !isObj(user)) return user;
  const out: Obj = {};
  for (const k of Object.keys(preset)) put(out, k, merge(preset[k], has(user, k) ? user[k] : undefined, [...at, k], from));
  for (const k of Object.keys(user)) if (!Object.hasOwn(preset, k)) put(out, k, user[k]);
  return out;
}

/** The user's services with `null`/`false` entries taken out (they remove the preset's service of that name). */
function withoutRemoved(p: Preset, user: Obj, problems: MergeProblem[]): { user: Obj; removed: string[] } {
  const services = user.services;
  if (!isObj(services)) return { user, removed: [] };
  const presetServices = (p.defaults.services ?? {}) as Obj;
  const kept: Obj = {};
  const removed: string[] = [];
  for (const [k, v] of Object.entries(services)) {
    if (v === null || v === false) {
      if (Object.hasOwn(presetServices, k)) removed.push(k);
      else
        problems.push({
          path: ["services", k],
          message: `${v} removes a preset service, but preset ${p.name} has no service "${k}" (it has: ${Object.keys(presetServices).join(", ") || "none"})`,
        });
    } else put(kept, k, v);
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(user)) put(out, k, k === "services" ? kept : v);
  return { user: out, removed };
}

/** Read `path` in `o` (undefined when any step is missing). */
function getIn(o: unknown, path: string[]): unknown {
  let v = o;
  for (const k of path) {
    if (!isObj(v) || !Object.hasOwn(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

/** Apply the `preset:` named in a raw config (YAML's toJS output). */
export function applyPreset(input: unknown): PresetMerge {
  if (!isObj(input) || input.preset === undefined) return { config: input, preset: null, fromPreset: [], problems: [] };
  const name = input.preset;
  if (!isPresetName(name)) {
    return {
      config: input,
      preset: null,
      fromPreset: [],
      problems: [{ path: ["preset"], message: `expected ${PRESET_NAMES.join(" | ")}, got ${JSON.stringify(name)}` }],
    };
  }
  const p = PRESETS[name];
  const problems: MergeProblem[] = [];
  const { user, removed } = withoutRemoved(p, input, problems);
  const fromPreset: string[][] = [];
  // The preset's aliases (manage, rails, rake, npm) merge like any other key: the user's win name by name.
  const defaults: Obj = { ...structuredClone(p.defaults), aliases: presetAliases(name) };
  if (isObj(defaults.services)) for (const k of removed) delete defaults.services[k];
  // The user's keys keep their order; keys only the preset sets go after them.
  const merged = merge(defaults, user, [], fromPreset) as Obj;
  const config: Obj = {};
  for (const k of Object.keys(user)) put(config, k, merged[k]);
  for (const k of Object.keys(merged)) if (!Object.hasOwn(config, k)) put(config, k, merged[k]);

  for (const [key, c] of Object.entries(p.computed ?? {})) {
    const path = key.split(".");
    const parent = getIn(config, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (!isObj(parent) || has(parent, last)) continue;
    try {
      put(parent, last, c.value({ app: typeof config.app === "string" ? config.app : "app", vars: isObj(config.vars) ? config.vars : {} }));
      if (!fromPreset.some((f) => path.slice(0, f.length).join("\0") === f.join("\0"))) fromPreset.push(path);
    } catch (e) {
      if (!(e instanceof PresetValueError)) throw e;
      problems.push({ path: e.path, message: e.message });
    }
  }

  if (p.schemaStatus) {
    const envs = config.environments;
    for (const [envName, env] of isObj(envs) ? Object.entries(envs) : []) {
      const dbs = isObj(env) ? env.databases : undefined;
      for (const [key, db] of isObj(dbs) ? Object.entries(dbs) : []) {
        if (!isObj(db) || has(db, "schema_status")) continue;
        put(db, "schema_status", p.schemaStatus);
        fromPreset.push(["environments", envName, "databases", key, "schema_status"]);
      }
    }
  }
  return { config, preset: name, fromPreset, problems };
}

/** Whether `path` (a problem's, or a printed value's) lies inside something the preset supplied. */
export function isFromPreset(fromPreset: readonly string[][], path: readonly PropertyKey[]): boolean {
  return fromPreset.some((f) => f.length <= path.length && f.every((k, i) => String(path[i]) === k));
}
