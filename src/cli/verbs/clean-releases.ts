/** `slipway <env> clean-releases`: failed releases and expired private ones (same engine as cleanup). */
import { cleanupVerb } from "./cleanup.js";

export const run = cleanupVerb("clean-releases");
