/**
 * Every subcommand, in one list. A new command is a file in this folder plus one entry here;
 * tests/unit/wire/cli.test.ts fails when a command file is not listed.
 */
import type { Command } from '../registry.ts';
import { contributeCommand } from './contribute.ts';
import { decodeCommand } from './decode.ts';
import { encodeCommand } from './encode.ts';
import { metricsCommand } from './metrics.ts';
import { nodeCommand } from './node.ts';
import { runCommand } from './run.ts';
import { submitCommand } from './submit.ts';
import { walletCommand } from './wallet.ts';

export const COMMANDS: readonly Command[] = [
  encodeCommand,
  decodeCommand,
  runCommand,
  metricsCommand,
  nodeCommand,
  walletCommand,
  contributeCommand,
  submitCommand,
];
