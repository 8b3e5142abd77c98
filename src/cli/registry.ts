/**
 * Subcommands are values registered by name, not arms of a switch: adding `inos run` means one new
 * file in commands/ and one entry in commands/index.ts (a test fails if the entry is missing).
 */
import type { CliIo } from './io.ts';

export interface Command {
  /** The word after `inos`, e.g. "encode". */
  readonly name: string;
  /** One line for `inos help`. */
  readonly summary: string;
  /** Full usage text for `inos <name> --help`. */
  readonly usage: string;
  /** Returns the exit status; throws CliInputError (exit 2) for input the user can fix. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export class CommandRegistry {
  private readonly commands = new Map<string, Command>();

  constructor(commands: readonly Command[] = []) {
    for (const c of commands) this.register(c);
  }

  register(command: Command): void {
    if (!/^[a-z][a-z0-9-]*$/.test(command.name))
      throw new Error(`bad command name ${JSON.stringify(command.name)}`);
    if (this.commands.has(command.name)) throw new Error(`command ${command.name} registered twice`);
    this.commands.set(command.name, command);
  }

  get(name: string): Command | undefined {
    return this.commands.get(name);
  }

  list(): Command[] {
    return [...this.commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
