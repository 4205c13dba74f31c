/** `--listen host:port` parsed, and the rule that only loopback may be served without TLS unless asked. */
import { isIP } from "node:net";
import { UsageError } from "../errors.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = "127.0.0.1:7777";

/** `127.0.0.1:7777`, `[::1]:7777`, `localhost:8080`, `0.0.0.0:443`. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--listen: expected host:port such as 127.0.0.1:7777 or [::1]:7777, got ${JSON.stringify(text)}`);
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) throw new UsageError(`--listen: ${host} is not an IPv6 address`);
  return { host, port };
}

/** Addresses only this machine can reach. A name other than `localhost` may resolve anywhere, so it is not one. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * Why a listen address is refused, or null. Tokens travel in every request: off this machine they
 * need TLS, or the operator's explicit word that something else (a TLS proxy, a private network) protects them.
 */
export function listenRefusal(addr: ListenAddress, o: { tls: boolean; insecure: boolean }): string | null {
  if (isLoopback(addr.host) || o.tls || o.insecure) return null;
  return `refusing to listen on ${addr.host}:${addr.port} without TLS: API tokens would cross the network in clear text. Give --tls-cert and --tls-key, or --insecure-listen if a TLS proxy or a private network protects this port`;
}
