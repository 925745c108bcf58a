import type { CommandClass } from "clipanion";
import { ApplyCommand } from "./apply.js";
import { DestroyCommand } from "./destroy.js";
import { GraphCommand } from "./graph.js";
import { ImageLoadCommand } from "./image-load.js";
import { ImageListCommand } from "./image-ls.js";
import { ImagePullCommand } from "./image-pull.js";
import { ImageRemoveCommand } from "./image-rm.js";
import { InitCommand } from "./init.js";
import { PlanCommand } from "./plan.js";
import { ShowCommand } from "./show.js";
import { ValidateCommand } from "./validate.js";
import { VersionCommand } from "./version.js";

/**
 * Every kuke command, in the order `kuke --help` lists them. To add one: write
 * `commands/<name>.ts` (a KukeCommand subclass), import it here and add it to this list.
 */
export const COMMANDS: CommandClass[] = [
  ValidateCommand,
  PlanCommand,
  ApplyCommand,
  DestroyCommand,
  ShowCommand,
  GraphCommand,
  InitCommand,
  ImageLoadCommand,
  ImagePullCommand,
  ImageListCommand,
  ImageRemoveCommand,
  VersionCommand,
];
