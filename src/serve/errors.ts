/** The API's errors: a status code and a message the JSON body carries as `{ error }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The environment named in a path, or 404 naming the ones that exist. */
export function knownEnvironment(names: string[], env: string): string {
  if (!names.includes(env)) throw new ApiError(404, `unknown environment ${JSON.stringify(env)}; environments in slipway.yml: ${names.join(", ")}`);
  return env;
}
