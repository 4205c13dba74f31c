/**
 * A real nginx run as a fleet host's user, everything (pid, logs, temp paths) under ~/<name>, in
 * front of the app: either a fixed port (in-place restarts) or the upstream file Slipway writes
 * (cutover). `testCmd`/`reloadCmd`/`pidFile` are what goes into `cutover.nginx`.
 */
import { execFileSync } from "node:child_process";
import type { Fleet } from "./fleet.js";
import { freePort } from "./fleet.js";

export const NGINX_BIN = "/usr/sbin/nginx";

export interface NginxOptions {
  /** Absolute path of the upstream file Slipway writes (included in `http`); proxies to `http://<upstreamName>`. */
  upstreamInclude?: string;
  upstreamName?: string;
  /** Proxy to 127.0.0.1:<staticPort> instead (the in-place restart setup). */
  staticPort?: number;
  /** Extra directives in the `http` block. */
  extraHttp?: string;
  /** Directory under the host's home (default "nginx"): two nginx on one host need two names. */
  name?: string;
  /** Listen port (default: a free one). */
  port?: number;
}

export interface Nginx {
  port: number;
  /** The prefix directory (absolute) holding nginx.conf, nginx.pid and the logs. */
  dir: string;
  pidFile: string;
  testCmd: string;
  reloadCmd: string;
  /** Start the master (daemonised); throws with nginx's message when it fails. */
  start(): void;
  /** Stop it quickly (SIGTERM to the master); a no-op when it is not running. */
  stop(): void;
}

/** nginx.conf text: non-root safe (every path under `dir`), access log off so it costs nothing under load. */
export function nginxConf(dir: string, port: number, opts: NginxOptions): string {
  if (!opts.staticPort === !opts.upstreamInclude) throw new Error("startNginx: give exactly one of staticPort or upstreamInclude");
  if (opts.upstreamInclude && !opts.upstreamName) throw new Error("startNginx: upstreamInclude needs upstreamName");
  const target = opts.staticPort ? `http://127.0.0.1:${opts.staticPort}` : `http://${opts.upstreamName}`;
  return `pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp-body; proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fcgi; uwsgi_temp_path ${dir}/tmp-uwsgi; scgi_temp_path ${dir}/tmp-scgi;
${opts.upstreamInclude ? `  include ${opts.upstreamInclude};\n` : ""}${opts.extraHttp ? `  ${opts.extraHttp}\n` : ""}  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass ${target}; }
  }
}
`;
}

/** Write the config for `host` without starting nginx (start it after the first deploy wrote the upstream file). */
export async function prepareNginx(fleet: Fleet, host: string, opts: NginxOptions): Promise<Nginx> {
  const h = fleet.host(host);
  const port = opts.port ?? (await freePort());
  const dir = `${h.home}/${opts.name ?? "nginx"}`;
  const conf = nginxConf(dir, port, opts);
  // -e: nginx opens its error log before reading the config; the default (/var/log/nginx) is root's.
  const base = `${NGINX_BIN} -e ${dir}/error.log -p ${dir} -c ${dir}/nginx.conf`;
  fleet.asUser(host, `mkdir -p ${dir} && cat > ${dir}/nginx.conf <<'NGX'\n${conf}NGX`);
  const pidFile = `${dir}/nginx.pid`;
  return {
    port,
    dir,
    pidFile,
    testCmd: `${base} -t`,
    reloadCmd: `${base} -s reload`,
    start() {
      fleet.asUser(host, `${base} 2>&1`);
    },
    stop() {
      try {
        fleet.asUser(host, `test -f ${pidFile} && kill $(cat ${pidFile}) 2>/dev/null; true`);
      } catch {
        // the host is gone already
      }
    },
  };
}

/** Write the config and start nginx now. */
export async function startNginx(fleet: Fleet, host: string, opts: NginxOptions): Promise<Nginx> {
  const n = await prepareNginx(fleet, host, opts);
  n.start();
  return n;
}

/** GET through nginx with a fresh connection (curl): "<body>\n<status>". */
export function curlNginx(n: Nginx, urlPath = "/"): string {
  return execFileSync("curl", ["-s", "-w", "\\n%{http_code}", `http://127.0.0.1:${n.port}${urlPath}`], { encoding: "utf8" });
}
