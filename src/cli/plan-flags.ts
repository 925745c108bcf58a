import { Option } from "clipanion";
import { type ImagePullPolicy, KukeError } from "../model/index.js";
import { PULL_FLAG } from "../runner/image-digests.js";
import type { PlanRequest } from "../runner/planning.js";
import { KukeCommand } from "./kuke-command.js";

/**
 * The planning flags `plan`, `apply`, `destroy` and `graph` share (DESIGN §5), declared once so
 * they mean the same thing everywhere.
 */
export abstract class PlanFlagsCommand extends KukeCommand {
  files = Option.Array("-f,--file", [], { description: "Manifest file, or - for standard input (repeatable)" });
  targets = Option.Array("--target", [], {
    description: "Limit the plan to this address, what it contains and the parents it needs (repeatable)",
  });
  replaces = Option.Array("--replace", [], { description: "Force this address to be replaced (repeatable)" });
  prune = Option.Boolean("--prune", false, {
    description: "Delete what this project applied earlier and the files no longer declare",
  });
  project = Option.String("--project", {
    description: "Owner recorded for what is applied (default: the realms the files touch, sorted, joined with +)",
  });
  refreshFlag = Option.String("--refresh", {
    tolerateBoolean: true,
    description: "--refresh=false plans against an empty host without reading it (default true)",
  });

  /** The flags as a runner request. @throws KukeError `usage` for a bad `--refresh` value. */
  planRequest(extra: { destroy?: boolean } = {}): PlanRequest {
    return {
      ...(this.project !== undefined ? { project: this.project } : {}),
      prune: this.prune,
      targets: this.targets,
      replace: this.replaces,
      destroy: extra.destroy ?? false,
      refresh: this.refreshEnabled(),
    };
  }

  refreshEnabled(): boolean {
    const v: unknown = this.refreshFlag;
    if (v === undefined || v === true || v === "true") return true;
    if (v === "false") return false;
    throw new KukeError("usage", `--refresh must be true or false, got '${String(v)}'`, {
      remedy: "pass --refresh=false to plan without reading the host",
    });
  }

  /** `-f` is required by every planning command that reads manifests. */
  requireFiles(): string[] {
    if (this.files.length === 0) {
      throw new KukeError("usage", "no manifest given", {
        remedy: "pass one or more files with -f FILE (or -f - for stdin)",
      });
    }
    return this.files;
  }
}

/** `--parallelism`: a positive integer. @throws KukeError `usage` otherwise. */
export function parseParallelism(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new KukeError("usage", `--parallelism must be a positive integer, got '${text}'`, {
      remedy: "pass e.g. --parallelism 10",
    });
  }
  return n;
}

/** `--pull` of plan and apply. */
export const PULL_DESCRIPTION =
  "How images are looked up, for every container: missing (IfNotPresent), always (Always) or never (Never)";

/** `--pull missing|always|never` as a pull policy. @throws KukeError `usage` otherwise. */
export function parsePull(text: string | undefined): ImagePullPolicy | undefined {
  if (text === undefined) return undefined;
  const policy = PULL_FLAG[text];
  if (policy === undefined) {
    throw new KukeError("usage", `--pull must be missing, always or never, got '${text}'`, {
      remedy: "pass e.g. --pull always to ask the registry what each tag names now",
    });
  }
  return policy;
}
