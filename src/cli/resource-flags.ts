/**
 * What the imperative verbs share: the resource kind argument, the scope flags that place a name
 * (`--realm --space --stack --cell`), the Runner built from the global options, and how a change
 * is reported (progress lines, a one-line result, or the partial-failure report with exit 3).
 */
import { Chalk } from "chalk";
import { Option } from "clipanion";
import {
  type Address,
  cellAddress,
  containerAddress,
  KINDS,
  KukeError,
  nameProblem,
  type ResourceKind,
  realmAddress,
  spaceAddress,
  stackAddress,
  suggestName,
} from "../model/index.js";
import type { ChangeResult, PipelineOptions } from "../runner/pipeline.js";
import { Runner } from "../runner/runner.js";
import { failureReport, progressPrinter } from "./apply-output.js";
import { interruptGraceMs, interruptsOf, listenForInterrupts } from "./interrupts.js";
import { KukeCommand } from "./kuke-command.js";
import { lockTakeoverWriter } from "./lock-messages.js";
import type { OutputStream } from "./output-style.js";

/** `realm` / `realms` → `realm`; anything else is a usage error listing the kinds. */
export function parseKind(text: string, allowed: readonly ResourceKind[] = KINDS): ResourceKind {
  const k = text.toLowerCase().replace(/s$/, "") as ResourceKind;
  if (!allowed.includes(k)) {
    throw new KukeError("usage", `'${text}' is not a kind this command takes`, {
      remedy: `use one of: ${allowed.join(", ")}`,
    });
  }
  return k;
}

/** Base of the commands that name a resource by kind, NAME and scope flags. */
export abstract class ResourceCommand extends KukeCommand {
  realm = Option.String("--realm", "default", { description: "Realm of the resource" });
  space = Option.String("--space", { description: "Space of the resource (stacks, cells, containers)" });
  stack = Option.String("--stack", { description: "Stack of the resource (cells, containers)" });
  cell = Option.String("--cell", { description: "Cell of the container" });

  /** The address of `kind` NAME inside the scope flags. @throws KukeError `usage` naming the missing flag. */
  addressFor(kind: ResourceKind, name: string): Address {
    const need = (flag: "space" | "stack" | "cell"): string => {
      const v = this[flag];
      if (v === undefined || v === "") {
        throw new KukeError("usage", `a ${kind} needs --${flag}`, {
          remedy: `pass the enclosing names, e.g. kuke … ${kind} ${name} --realm ${this.realm} --space S${kind === "space" ? "" : " --stack T"}${kind === "container" ? " --cell C" : ""}`,
        });
      }
      return v;
    };
    const address = this.buildAddress(kind, name, need);
    // Checked here, before any host is opened, so a bad name is a usage error and not a host error.
    for (const [flag, value] of Object.entries(address)) {
      if (flag === "kind") continue;
      const problem = nameProblem(value);
      if (problem === undefined) continue;
      const what = flag === kind ? `${kind} name` : `--${flag}`;
      throw new KukeError("usage", `${what} '${value}' is not a valid name: ${problem}`, {
        remedy: `use lower-case letters, digits and '-' (at most 63), e.g. '${suggestName(value)}'`,
      });
    }
    return address;
  }

  private buildAddress(kind: ResourceKind, name: string, need: (flag: "space" | "stack" | "cell") => string): Address {
    switch (kind) {
      case "realm":
        return realmAddress(name);
      case "space":
        return spaceAddress(this.realm, name);
      case "stack":
        return stackAddress(this.realm, need("space"), name);
      case "cell":
        return cellAddress(this.realm, need("space"), need("stack"), name);
      case "container":
        return containerAddress(this.realm, need("space"), need("stack"), need("cell"), name);
    }
  }

  /**
   * Runs `fn` with a Runner whose steps stop starting at Ctrl-C (running ones finish; the result
   * is then `cancelled`, exit 8).
   */
  async withRunner<T>(fn: (runner: Runner) => Promise<T>): Promise<T> {
    const cancel = listenForInterrupts(
      interruptsOf(this.context),
      this.context.stderr as OutputStream,
      interruptGraceMs(this.context.env),
    );
    try {
      return await fn(this.runner({ signal: cancel.signal, abortSteps: cancel.abortSteps }));
    } finally {
      cancel.dispose();
    }
  }

  /** A Runner over the global options, printing step progress to stdout. */
  runner(extra: Partial<PipelineOptions> = {}): Runner {
    return new Runner({
      ...this.hostPaths(),
      onEvent: progressPrinter(this.context.stdout as OutputStream, this.colored(this.context.stdout as OutputStream)),
      onWarning: (e) => this.context.stderr.write(`Warning: ${e.message}\n`),
      onLockTakeover: lockTakeoverWriter(this.context.stderr as OutputStream),
      // Where `fromEnv` secrets are read, as apply reads them (a task started later needs them again).
      env: this.context.env,
      ...extra,
    });
  }

  /** Prints the outcome of a change: `done` on success, the failure report (exit 3, 8 if cancelled) otherwise. */
  reportChange(r: ChangeResult, done: string, nothing = "Nothing to do."): number {
    if (r.result === undefined) {
      this.context.stdout.write(`${nothing}\n`);
      return 0;
    }
    if (r.result.status === "succeeded") {
      this.context.stdout.write(`${done}\n`);
      return 0;
    }
    const c = new Chalk({ level: this.colored(this.context.stderr as OutputStream) ? 1 : 0 });
    this.context.stderr.write(`\n${failureReport(r.result, c)}`);
    return r.result.cancelled ? 8 : 3;
  }
}
