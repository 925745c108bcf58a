import { Command, Option } from "clipanion";
import { KukeError, tryParseAddress } from "../../model/index.js";
import { execInContainer } from "../../runner/imperative/exec.js";
import { KukeCommand } from "../kuke-command.js";

/** The terminal kuke runs on, as Node exposes it (a tty.ReadStream / tty.WriteStream). */
interface TerminalIn extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): void;
}
interface TerminalOut extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  on(event: "resize", listener: () => void): this;
  off(event: "resize", listener: () => void): this;
}

export class ExecCommand extends KukeCommand {
  static override paths = [["exec"]];
  static synopsis = "[-i] [-t] ADDR -- CMD [ARG...]";
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "Run a command in a running container",
    details: `
      Runs CMD with ARGS in the container's running task, with the container's user, capabilities,
      environment and working directory, in its namespaces and cgroup (containerd's Tasks.Exec).
      stdout and stderr are streamed; kuke exits with the command's exit code (126 when it cannot
      be started). \`-i\` passes stdin; \`-t\` runs it on a terminal when kuke itself runs on one
      (resized with kuke's). Everything after \`--\` is the command.
    `,
    examples: [
      ["List a container's root directory", "$0 exec container/shop/apps/front/web/app -- ls -l /"],
      ["Pipe a file in", "$0 exec -i container/shop/apps/front/web/app -- sh -c 'cat > /tmp/x' < x"],
      ["An interactive shell", "$0 exec -it container/shop/apps/front/web/app -- sh"],
    ],
  });

  interactive = Option.Boolean("-i,--interactive", false, { description: "Pass stdin to the command" });
  tty = Option.Boolean("-t,--tty", false, { description: "Allocate a terminal (when kuke runs on one)" });
  address = Option.String({ name: "ADDR" });
  command = Option.Rest({ name: "CMD", required: 1 });

  async run(): Promise<number> {
    const parsed = tryParseAddress(this.address);
    if (!parsed.ok || parsed.address.kind !== "container") {
      throw new KukeError("usage", `'${this.address}' is not a container address`, {
        remedy: "pass container/<realm>/<space>/<stack>/<cell>/<container> -- CMD [ARG...]",
      });
    }
    const stdin = this.context.stdin as TerminalIn;
    const stdout = this.context.stdout as TerminalOut;
    const tty = this.tty && stdin.isTTY === true && stdout.isTTY === true;
    if (this.tty && !tty) this.context.stderr.write("kuke exec: not on a terminal, running without -t\n");
    const size = () => ({ columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
    try {
      return await execInContainer(
        this.hostPaths(),
        parsed.address,
        { args: this.command, stdin: this.interactive, tty, ...(tty ? { size: size() } : {}) },
        (session) => {
          session.stdout.pipe(this.context.stdout, { end: false });
          session.stderr?.pipe(this.context.stderr, { end: false });
          if (session.stdin) stdin.pipe(session.stdin);
          if (!tty) return () => (session.stdin ? stdin.unpipe(session.stdin) : undefined);
          // On a terminal: keys go to the process as typed (Ctrl-C included), and it follows resizes.
          stdin.setRawMode?.(true);
          const resize = () => {
            const s = size();
            session.resize(s.columns, s.rows).catch(() => undefined);
          };
          stdout.on("resize", resize);
          return () => {
            stdout.off("resize", resize);
            stdin.setRawMode?.(false);
            if (session.stdin) stdin.unpipe(session.stdin);
          };
        },
      );
    } catch (e) {
      // The runtime could not start the command (not found, not executable): docker's and podman's 126.
      if (e instanceof KukeError && e.code === "runtime") {
        this.context.stderr.write(`kuke exec: ${e.message}\n`);
        return 126;
      }
      throw e;
    } finally {
      // stdin stays paused-but-referenced after piping; let the process end.
      if (this.interactive) (stdin as { pause?: () => void }).pause?.();
    }
  }
}
