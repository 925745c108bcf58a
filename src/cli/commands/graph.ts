import { Command, Option } from "clipanion";
import { readManifests } from "../../runner/manifests.js";
import { stepGraph } from "../../runner/operations/graph.js";
import { diagnosticStyle, type OutputStream } from "../output-style.js";
import { PlanFlagsCommand } from "../plan-flags.js";
import { warningWriter } from "../plan-output.js";
import { writeValidation } from "../validation-output.js";

export class GraphCommand extends PlanFlagsCommand {
  static override paths = [["graph"]];
  /** The required arguments, for the help\'s usage line. */
  static synopsis = "-f FILE...";
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print the steps apply would run, as a Graphviz DOT graph",
    details: `
      Plans the files as \`kuke plan\` does and prints the resulting step graph: one box per step
      (its kind and address), an arrow from each step to the steps that wait for it. Implied
      edges are left out. Nothing on the host changes; \`--refresh=false\` plans against an empty
      host without reading it (the graph of a first apply).
    `,
    examples: [
      ["Render the graph of a first apply", "$0 graph -f stack.yaml --refresh=false | dot -Tsvg > steps.svg"],
      ["The graph of a destroy", "$0 graph -f stack.yaml --destroy"],
    ],
  });

  destroy = Option.Boolean("--destroy", false, { description: "Graph the steps of a destroy" });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    const request = this.planRequest({ destroy: this.destroy });
    const { load, sources } = await readManifests(this.requireFiles(), this.context.stdin);
    const colorErr = this.colored(this.context.stderr as OutputStream);
    const outcome = await stepGraph({
      ...paths,
      ...request,
      load,
      sources,
      onWarning: warningWriter({ stdout: this.context.stdout, stderr: this.context.stderr, colorOut: false, colorErr }),
    });
    if (outcome.kind === "invalid") {
      return writeValidation(load, {
        stdout: this.context.stdout,
        stderr: this.context.stderr,
        json: false,
        style: diagnosticStyle(colorErr),
      });
    }
    this.context.stdout.write(outcome.dot);
    return 0;
  }
}
