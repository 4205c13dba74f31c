/** A component's config is the app's with the component's own keys laid over it; commands and hooks from either. */
import type { CommandSpec, RawConfig } from "./schema/index.js";
import type { Command } from "./resolve.js";
import { NO_VERIFY } from "./schema/verify.js";

/** One entry of `components`. */
export type ComponentSpec = RawConfig["components"][string];

/** The app's config as `comp` sees it (the app's own when `comp` is null). */
export function overlayComponent(raw: RawConfig, comp: ComponentSpec | null | undefined): RawConfig {
  return comp
    ? {
        ...raw,
        source: comp.source ?? raw.source,
        keep_releases: comp.keep_releases ?? raw.keep_releases,
        shared: comp.shared ?? { dirs: [], files: [] },
        dependencies: comp.dependencies ?? [],
        build: comp.build ?? [],
        migrate: comp.migrate ?? [],
        restart: comp.restart ?? [],
        verify: comp.verify ?? NO_VERIFY,
        hooks: comp.hooks ?? {},
        env: { ...raw.env, ...(comp.env ?? {}) },
      }
    : raw;
}

const toCommand = (c: CommandSpec): Command => (typeof c === "string" ? { run: c, local: false } : { run: c.run, local: c.local, roles: c.roles });

/** A command list in its one shape (a bare string runs on every host). */
export const toCommands = (cs: CommandSpec[] | undefined): Command[] => (cs ?? []).map(toCommand);

/** `before`/`after` hooks keyed by phase. */
export const mapHooks = (h: Record<string, CommandSpec[] | undefined> | undefined) =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, toCommands(v)]));
