/** The preset registry: `preset: django | rails | node` in slipway.yml. */
import { django } from "./django.js";
import { node } from "./node.js";
import { rails } from "./rails.js";
import { PRESET_NAMES, type Preset, type PresetAlias, type PresetName } from "./types.js";

export { PRESET_NAMES, type Preset, type PresetAlias, type PresetName } from "./types.js";

export const PRESETS: Readonly<Record<PresetName, Preset>> = Object.freeze({ django, rails, node });

export const isPresetName = (v: unknown): v is PresetName => typeof v === "string" && (PRESET_NAMES as readonly string[]).includes(v);

/** The command aliases a preset defines (`manage`, `rails`, `rake`, `npm`); the user's `aliases:` win by name. */
export function presetAliases(name: PresetName): Record<string, PresetAlias> {
  return structuredClone(PRESETS[name].aliases);
}
