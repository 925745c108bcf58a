import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command, Option } from "clipanion";
import { WORKLOAD_KINDS, type WorkloadKind } from "../../export/types.js";
import { formatDiagnostics } from "../../manifest/report.js";
import { KukeError } from "../../model/index.js";
import { readManifests } from "../../runner/manifests.js";
import { KukeCommand } from "../kuke-command.js";
import { diagnosticStyle } from "../output-style.js";
import { writeValidation } from "../validation-output.js";

export class ExportCommand extends KukeCommand {
  static override paths = [["export", "kubernetes"]];
  static synopsis = "-f FILE...";
  static override usage = Command.Usage({
    description: "write Kubernetes YAML for what the manifests declare",
    details: `
      Reads and validates the files as \`kuke validate\` does (exit 65 with every problem when they
      are invalid) and prints Kubernetes objects for them, one YAML document each, in a fixed
      order: a Namespace per realm and space, a NetworkPolicy for a space's egress policy, and per
      cell its Secret and a Pod (\`--as deployment\`: a Deployment of one replica). Nothing on the
      host is read or changed.

      What Kubernetes cannot say exactly is printed on stderr as a warning with the resource's
      address; nothing is left out silently. Secret values are read (files, kuke's environment)
      only with \`--include-secrets\`; otherwise each Secret key is empty, with a comment saying
      what to fill in. The README's "Outgrowing one host" has the whole mapping.
    `,
    examples: [
      ["Print the objects", "$0 export kubernetes -f stack.yaml"],
      ["One file per object, as Deployments", "$0 export kubernetes -f stack.yaml -o k8s/ --as deployment"],
      ["Run the cells with podman", "$0 export kubernetes -f stack.yaml > pods.yaml && podman kube play pods.yaml"],
    ],
  });

  files = Option.Array("-f,--file", {
    required: true,
    description: "Manifest file, or - for standard input (repeatable)",
  });
  outDir = Option.String("-o,--output-dir", {
    description: "Write one file per object into this directory (created if missing) instead of stdout",
  });
  as = Option.String("--as", "pod", { description: "What each cell becomes: pod or deployment" });
  includeSecrets = Option.Boolean("--include-secrets", false, {
    description: "Read secret values now and put them into the Secrets (default: empty keys to fill in)",
  });

  async run(): Promise<number> {
    this.globals();
    if (!(WORKLOAD_KINDS as readonly string[]).includes(this.as)) {
      throw new KukeError("usage", `--as must be pod or deployment, got '${this.as}'`, {
        remedy: "pass --as pod (the default) or --as deployment",
      });
    }
    const { load } = await readManifests(this.files, this.context.stdin);
    const style = diagnosticStyle(this.colored(this.context.stderr));
    if (load.errorCount > 0) {
      return writeValidation(load, { stdout: this.context.stdout, stderr: this.context.stderr, json: false, style });
    }
    // The exporter and its YAML writer are loaded by this command only (the yaml package is a
    // large part of every command's start-up).
    const { exportKubernetes, objectFileName, renderAll, renderObject } = await import("../../export/index.js");
    const result = exportKubernetes(load.state, {
      as: this.as as WorkloadKind,
      includeSecrets: this.includeSecrets,
      env: this.context.env,
    });
    // The manifest's own warnings, except that apply does not publish ports: the export does map them.
    const listing = formatDiagnostics(
      load.diagnostics.filter((d) => d.code !== "ports-not-published"),
      style,
    );
    if (listing !== "") this.context.stderr.write(listing);
    for (const w of result.warnings) {
      this.context.stderr.write(`${style.warning("warning:")} [${w.address}] ${w.message}\n`);
    }
    if (this.outDir === undefined) {
      this.context.stdout.write(renderAll(result.objects));
      return 0;
    }
    await mkdir(this.outDir, { recursive: true });
    const names = result.objects.map((o, i) => objectFileName(o, i));
    await Promise.all(result.objects.map((o, i) => writeFile(join(this.outDir!, names[i]!), renderObject(o))));
    this.context.stdout.write(`wrote ${names.length} objects to ${this.outDir}\n`);
    return 0;
  }
}
