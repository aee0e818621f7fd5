// Every CLI command, registered in one list. Adding a process means one file in this folder plus one line here.
import type { Command } from 'commander';
import { registerStart } from './start.ts';
import { registerStack } from './stack.ts';
import { registerEdge } from './edge.ts';
import { registerSim } from './sim.ts';
import { registerProcessors } from './processors.ts';
import { registerReplay } from './replay.ts';
import { registerSinks } from './sinks.ts';
import { registerDashboard } from './dashboard.ts';
import { registerSpc } from './spc.ts';
import { registerBench } from './bench.ts';
import { registerErp } from './erp.ts';
import { registerUsers } from './users.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerStart, registerStack, registerEdge, registerSim, registerProcessors, registerReplay, registerSinks, registerDashboard, registerSpc, registerBench, registerErp, registerUsers];
