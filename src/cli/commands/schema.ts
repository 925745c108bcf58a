import { Command, Option } from "clipanion";
import { manifestJsonSchema } from "../../manifest/manifest-schema.js";
import { KukeError } from "../../model/index.js";
import { planJsonSchema } from "../../render/plan-schema.js";
import { KukeCommand } from "../kuke-command.js";

/** What `kuke schema` can print, by name. */
export const SCHEMAS = { manifest: manifestJsonSchema, plan: planJsonSchema } as const;

export class SchemaCommand extends KukeCommand {
  static override paths = [["schema"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print the JSON Schema of the manifests or of the JSON plan",
    details: `
      \`kuke schema manifest\` prints a JSON Schema (draft 2020-12) of every kind of manifest, made from
      the same field definitions \`kuke validate\` checks, for editor completion: save it and point the
      \`yaml-language-server\` modeline at it (\`# yaml-language-server: $schema=kuke.schema.json\` as
      the first line of a manifest). \`kuke validate\` still checks what a schema cannot say (one root
      per cell, egress targets, ids).

      \`kuke schema plan\` prints the JSON Schema of the versioned plan that \`kuke plan -o json\` and
      \`kuke show PLANFILE -o json\` print (\`format_version\` 1), for programs that read plans.
    `,
    examples: [
      ["Save the manifest schema for your editor", "$0 schema manifest > kuke.schema.json"],
      ["Save the plan schema", "$0 schema plan > kuke-plan.schema.json"],
    ],
  });

  which = Option.String({ name: "SCHEMA" });

  async run(): Promise<number> {
    const make = Object.hasOwn(SCHEMAS, this.which) ? SCHEMAS[this.which as keyof typeof SCHEMAS] : undefined;
    if (make === undefined) {
      throw new KukeError("usage", `no schema named '${this.which}'`, {
        remedy: `use one of: ${Object.keys(SCHEMAS).join(", ")} (kuke schema manifest)`,
      });
    }
    this.context.stdout.write(`${JSON.stringify(make(), null, 2)}\n`);
    return 0;
  }
}
