/** --listen parsing and the loopback-or-TLS rule. */
import { describe, expect, it } from "vitest";
import { isLoopback, listenRefusal, parseListen } from "../../../src/serve/listen.js";

describe("--listen", () => {
  it("parses host:port, [v6]:port and names", () => {
    expect(parseListen("127.0.0.1:7777")).toEqual({ host: "127.0.0.1", port: 7777 });
    expect(parseListen("[::1]:80")).toEqual({ host: "::1", port: 80 });
    expect(parseListen("localhost:0")).toEqual({ host: "localhost", port: 0 });
    for (const bad of ["7777", "127.0.0.1", "1.2.3.4:99999", "::1:80", "[nothost]:80", "a:b"]) expect(() => parseListen(bad)).toThrow(/--listen/);
  });

  it("only loopback addresses count as loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "127.example.com"]) expect(isLoopback(h)).toBe(false);
  });

  it("refuses a non-loopback address without TLS or --insecure-listen, saying why and what to do", () => {
    const addr = { host: "0.0.0.0", port: 7777 };
    expect(listenRefusal(addr, { tls: false, insecure: false })).toMatch(
      /^refusing to listen on 0\.0\.0\.0:7777 without TLS: .*--tls-cert and --tls-key, or --insecure-listen/,
    );
    expect(listenRefusal(addr, { tls: true, insecure: false })).toBeNull();
    expect(listenRefusal(addr, { tls: false, insecure: true })).toBeNull();
    expect(listenRefusal({ host: "127.0.0.1", port: 1 }, { tls: false, insecure: false })).toBeNull();
  });
});
