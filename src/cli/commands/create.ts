import { Command, Option } from "clipanion";
import { formatAddress, KukeError } from "../../model/index.js";
import type { ResourceInput } from "../../runner/imperative/resources.js";
import { readManifests } from "../../runner/manifests.js";
import { diagnosticStyle, type OutputStream } from "../output-style.js";
import { parseKind, ResourceCommand } from "../resource-flags.js";
import { writeValidation } from "../validation-output.js";

export class CreateCommand extends ResourceCommand {
  static override paths = [["create"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "create a realm, space, stack, cell or container",
    details: `
      Builds a small plan (the resource, planned against what kuke recorded) and runs it through
      the same engine as \`kuke apply\`. Parents must exist already (or be in the file): kuke never
      creates one silently. \`create cell\` makes a cell whose only container is the synthesized
      root; add containers with \`create container … --cell C --image IMG\`.

      With \`-f FILE\`, every resource of the file is created when missing; those that exist are
      left as recorded. Exits 1 when the resource exists or a parent is missing (with a remedy),
      3 when a step failed.
    `,
    examples: [
      ["Create a realm", "$0 create realm shop"],
      [
        "Create a container running busybox",
        "$0 create container app --realm shop --space apps --stack front --cell web --image busybox --command /bin/sleep --arg 3600",
      ],
      ["Create what a file declares", "$0 create -f stack.yaml"],
    ],
  });

  kind = Option.String({ name: "KIND", required: false });
  name = Option.String({ name: "NAME", required: false });
  files = Option.Array("-f,--file", [], { description: "Create the resources of these manifests" });
  image = Option.String("--image", { description: "Container image (containers)" });
  commandFlag = Option.String("--command", { description: "Entrypoint override (containers)" });
  args = Option.Array("--arg", [], { description: "Argument (repeatable, containers)" });
  envs = Option.Array("--env", [], { description: "K=V environment entry (repeatable, containers)" });
  labels = Option.Array("--label", [], { description: "K=V label (repeatable)" });

  async run(): Promise<number> {
    if (this.files.length > 0) return this.fromFiles();
    if (this.kind === undefined || this.name === undefined) {
      throw new KukeError("usage", "create needs KIND and NAME, or -f FILE", {
        remedy: "kuke create realm|space|stack|cell|container NAME [--realm R --space S --stack T --cell C]",
      });
    }
    const kind = parseKind(this.kind);
    const address = this.addressFor(kind, this.name);
    const labels = keyValues("--label", this.labels);
    let input: ResourceInput;
    if (address.kind === "container") {
      if (this.image === undefined) {
        throw new KukeError("usage", "a container needs --image", {
          remedy: "pass --image IMG (e.g. --image busybox)",
        });
      }
      for (const e of this.envs) keyValues("--env", [e]);
      input = {
        ...address,
        kind: "container",
        name: address.container,
        labels,
        spec: {
          image: this.image,
          ...(this.commandFlag !== undefined ? { command: this.commandFlag } : {}),
          ...(this.args.length > 0 ? { args: this.args } : {}),
          ...(this.envs.length > 0 ? { env: this.envs } : {}),
        },
      };
    } else {
      if (this.image !== undefined || this.commandFlag !== undefined || this.args.length > 0 || this.envs.length > 0) {
        throw new KukeError("usage", "--image, --command, --arg and --env are for containers", {
          remedy: `create the ${kind} without them, then kuke create container … --cell C`,
        });
      }
      input = inputOf(address, labels);
    }
    const r = await this.withRunner((runner) => runner.create(input));
    return this.reportChange(r, `Created ${formatAddress(address)}.`);
  }

  private async fromFiles(): Promise<number> {
    if (this.kind !== undefined) {
      throw new KukeError("usage", "give either KIND NAME or -f FILE, not both", { remedy: "kuke create -f FILE" });
    }
    const { load } = await readManifests(this.files, this.context.stdin);
    if (load.errorCount > 0) {
      return writeValidation(load, {
        stdout: this.context.stdout,
        stderr: this.context.stderr,
        json: false,
        style: diagnosticStyle(this.colored(this.context.stderr as OutputStream)),
      });
    }
    const r = await this.withRunner((runner) => runner.changeDesired(load.state, "ensure"));
    return this.reportChange(r, `Created what ${this.files.join(", ")} declares.`, "Everything already exists.");
  }
}

function inputOf(
  a: Exclude<ReturnType<ResourceCommand["addressFor"]>, { kind: "container" }>,
  labels: Record<string, string>,
): ResourceInput {
  switch (a.kind) {
    case "realm":
      return { kind: "realm", name: a.realm, labels };
    case "space":
      return { kind: "space", realm: a.realm, name: a.space, labels };
    case "stack":
      return { kind: "stack", realm: a.realm, space: a.space, name: a.stack, labels };
    case "cell":
      return { kind: "cell", realm: a.realm, space: a.space, stack: a.stack, name: a.cell, labels };
  }
}

/** `K=V` flags as a map. @throws KukeError `usage` for an entry without `=`. */
function keyValues(flag: string, entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf("=");
    if (i <= 0) throw new KukeError("usage", `${flag} '${e}' is not K=V`, { remedy: `pass ${flag} KEY=VALUE` });
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}
