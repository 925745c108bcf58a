import type { CommandClass } from "clipanion";
import { ValidateCommand } from "./validate.js";
import { VersionCommand } from "./version.js";

/**
 * Every kuke command, in the order `kuke --help` lists them. To add one: write
 * `commands/<name>.ts` (a KukeCommand subclass), import it here and add it to this list.
 */
export const COMMANDS: CommandClass[] = [ValidateCommand, VersionCommand];
