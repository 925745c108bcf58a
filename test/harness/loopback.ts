/**
 * Loopback helpers for tests: a TCP port free on 127.0.0.1, and a raw request to one. Tests only
 * ever talk to 127.0.0.1 from the host.
 */
import { connect, createServer } from "node:net";

/** A TCP port nothing listens on at 127.0.0.1 right now (bound to port 0, then closed). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/**
 * Connects to 127.0.0.1:`port`, sends `request` (nothing when empty) and returns what the server
 * sent before closing, or "refused" / "timeout".
 */
export function fetchLoopback(port: number, request = "GET / HTTP/1.0\r\n\r\n"): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let d = "";
    s.setTimeout(2000, () => {
      s.destroy();
      resolve("timeout");
    });
    s.on("connect", () => {
      if (request !== "") s.write(request);
    });
    s.on("data", (b) => {
      d += b;
    });
    s.on("end", () => resolve(d));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED" ? "refused" : String(e.code)));
  });
}
