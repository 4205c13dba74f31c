/** Building blocks shared by the config schema's parts: names, ports, environment variables. */
import { z } from "zod";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A name (host, role, service, ...) that is safe in paths, unit names and output. */
export const name = (what: string) =>
  z.string({ error: `expected a valid ${what} name (letters, digits, "_", ".", "-")` }).regex(NAME, {
    error: `expected a valid ${what} name (letters, digits, "_", ".", "-")`,
  });

const portMsg = "expected an integer 1-65535";
/** A TCP port number. */
export const port = z.number({ error: portMsg }).int({ error: portMsg }).min(1, { error: portMsg }).max(65535, { error: portMsg });

/** `env`: variables exported to every command (top level, environment, component). */
export const envVars = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }),
    z.string({ error: "expected a string value (quote numbers)" }),
  )
  .describe("Environment variables exported to every command on the hosts.");

/** `secret_env`: names of control-machine variables passed to commands, redacted. */
export const secretEnv = z
  .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }))
  .describe("Names of variables taken from the control machine's environment and passed to commands; their values are redacted everywhere.");
