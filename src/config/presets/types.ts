/** The shape of a framework preset: plain data, so docs/presets.md is generated from it. */

/** The presets `preset:` accepts, in docs order. */
export const PRESET_NAMES = ["django", "rails", "node"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** A value read from the user's config (after the merge) to compute a default, e.g. the app name. */
export interface PresetContext {
  app: string;
  /** The merged top-level `vars`. */
  vars: Record<string, unknown>;
}

/** A default computed from the user's config; `doc` is what docs/presets.md shows for it. */
export interface ComputedDefault {
  doc: string;
  /** The value, or a PresetValueError naming the key the user got wrong. */
  value: (c: PresetContext) => unknown;
}

/** A command alias a preset defines (`slipway <env> manage shell`); wired once `aliases:` exists. */
export interface PresetAlias {
  command: string;
  role?: string;
  interactive?: boolean;
}

export interface Preset {
  name: PresetName;
  /** One line for docs and `init`. */
  summary: string;
  /** Partial raw config, written as in slipway.yml; the user's config wins key by key. */
  defaults: Record<string, unknown>;
  /** Defaults computed from the user's config, by key path (applied after `defaults`, in this order). */
  computed?: Record<string, ComputedDefault>;
  /** `schema_status` given to every database (any environment) that has none. */
  schemaStatus?: string;
  /** Why each default is what it is, by key path (docs/presets.md). */
  notes: Record<string, string>;
  aliases: Record<string, PresetAlias>;
}

/** A computed default cannot be made from what the user wrote: a config problem at `path`. */
export class PresetValueError extends Error {
  constructor(
    readonly path: string[],
    message: string,
  ) {
    super(message);
  }
}
