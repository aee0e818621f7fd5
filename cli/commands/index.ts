// Every CLI command, registered in one list. Adding a process means one file in this folder plus one line here.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
