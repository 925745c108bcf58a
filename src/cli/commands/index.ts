import type { CommandClass } from "clipanion";
import { ApplyCommand } from "./apply.js";
import { CompleteCommand } from "./complete.js";
import { CompletionCommand } from "./completion.js";
import { CreateCommand } from "./create.js";
import { DeleteCommand } from "./delete.js";
import { DestroyCommand } from "./destroy.js";
import { ExecCommand } from "./exec.js";
import { ExportCommand } from "./export.js";
import { GetCommand } from "./get.js";
import { GraphCommand } from "./graph.js";
import { ImageLoadCommand } from "./image-load.js";
import { ImageListCommand } from "./image-ls.js";
import { ImagePullCommand } from "./image-pull.js";
import { ImageRemoveCommand } from "./image-rm.js";
import { InitCommand } from "./init.js";
import { KillCommand } from "./kill.js";
import { LogsCommand } from "./logs.js";
import { PlanCommand } from "./plan.js";
import { PurgeCommand } from "./purge.js";
import { RefreshCommand } from "./refresh.js";
import { SchemaCommand } from "./schema.js";
import { ShowCommand } from "./show.js";
import { StartCommand } from "./start.js";
import { StopCommand } from "./stop.js";
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
  SchemaCommand,
  GraphCommand,
  ExportCommand,
  InitCommand,
  CreateCommand,
  GetCommand,
  DeleteCommand,
  PurgeCommand,
  StartCommand,
  StopCommand,
  KillCommand,
  RefreshCommand,
  LogsCommand,
  ExecCommand,
  ImageLoadCommand,
  ImagePullCommand,
  ImageListCommand,
  ImageRemoveCommand,
  CompletionCommand,
  VersionCommand,
  CompleteCommand,
];
