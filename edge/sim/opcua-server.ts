// The simulator's OPC-UA server (node-opcua): one object per machine under Objects/Plant, variables in the
// server's own namespace with string node ids `ns=1;s=<machine>.<Variable>`.
import { mkdir } from 'node:fs/promises';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type Namespace,
  type UAVariable,
} from 'node-opcua';
import type { Logger } from '../../platform/log.ts';
import type { MachineSnapshot, MachineSpec } from './machine.ts';
import { freePort } from '../../platform/net/ports.ts';

/** Variables of every machine: name, OPC-UA data type, unit. */
export const machineVariables = {
  State: { dataType: DataType.String, unit: null },
  StateCode: { dataType: DataType.Int32, unit: null },
  ReasonCode: { dataType: DataType.String, unit: null },
  GoodCount: { dataType: DataType.UInt32, unit: null },
  RejectCount: { dataType: DataType.UInt32, unit: null },
  CycleTime: { dataType: DataType.Double, unit: 's' },
  Measurement: { dataType: DataType.Double, unit: 'mm' },
  Temperature: { dataType: DataType.Double, unit: 'degC' },
} as const;

export type MachineVariable = keyof typeof machineVariables;

/** The node id of a machine variable on the simulator. */
export function simNodeId(machineId: string, variable: MachineVariable): string {
  return `ns=1;s=${machineId}.${variable}`;
}

export interface SimServerSecurity {
  /** Accept user name / password tokens for these users (anonymous stays allowed unless `allowAnonymous` is false). */
  users?: Array<{ user: string; password: string }>;
  allowAnonymous?: boolean;
  /** Default: None, Sign and SignAndEncrypt with Basic256Sha256. */
  modes?: Array<'None' | 'Sign' | 'SignAndEncrypt'>;
}

export interface SimServerOptions {
  host: string;
  port: number;
  pkiDir: string;
  machines: MachineSpec[];
  security?: SimServerSecurity;
  /** Additional Double variables for load tests: `ns=1;s=Load.<i>`. */
  loadVariables?: number;
  logger: Logger;
}

export interface SimServer {
  endpointUrl: string;
  port: number;
  write(snapshot: MachineSnapshot, previous: MachineSnapshot | null, sourceTime: Date): void;
  writeLoad(index: number, value: number, sourceTime: Date): void;
  stop(): Promise<void>;
}


export async function startSimServer(options: SimServerOptions): Promise<SimServer> {
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  await mkdir(options.pkiDir, { recursive: true });
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: options.pkiDir,
    automaticallyAcceptUnknownCertificate: true,
  });
  const users = options.security?.users ?? [];
  const modes = options.security?.modes ?? ['None', 'Sign', 'SignAndEncrypt'];
  const modeMap = { None: MessageSecurityMode.None, Sign: MessageSecurityMode.Sign, SignAndEncrypt: MessageSecurityMode.SignAndEncrypt };
  const securityModes = modes.map((m) => modeMap[m]);
  const securityPolicies = [
    ...(modes.includes('None') ? [SecurityPolicy.None] : []),
    ...(modes.some((m) => m !== 'None') ? [SecurityPolicy.Basic256Sha256] : []),
  ];
  const server = new OPCUAServer({
    port,
    host: options.host,
    hostname: options.host,
    serverCertificateManager,
    securityModes,
    securityPolicies,
    allowAnonymous: options.security?.allowAnonymous ?? true,
    userManager: {
      isValidUser: (user: string, password: string) => users.some((u) => u.user === user && u.password === password),
    },
    buildInfo: { productName: 'linepulse plant simulator', manufacturerName: 'linepulse', softwareVersion: '1' },
    maxConnectionsPerEndpoint: 100,
    serverCapabilities: { maxSessions: 100 },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('OPC-UA address space missing after initialize');
  const ns: Namespace = addressSpace.getOwnNamespace();
  const plant = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: 's=Plant' });
  const variables = new Map<string, UAVariable>();
  for (const machine of options.machines) {
    const obj = ns.addObject({ organizedBy: plant, browseName: machine.id, nodeId: `s=${machine.id}` });
    for (const [name, def] of Object.entries(machineVariables)) {
      const variable = ns.addVariable({
        componentOf: obj,
        browseName: name,
        nodeId: `s=${machine.id}.${name}`,
        dataType: DataType[def.dataType],
        minimumSamplingInterval: 50,
      });
      variables.set(`${machine.id}.${name}`, variable);
    }
  }
  const load: UAVariable[] = [];
  if (options.loadVariables && options.loadVariables > 0) {
    const folder = ns.addFolder(plant, { browseName: 'Load', nodeId: 's=Load' });
    for (let i = 0; i < options.loadVariables; i += 1) {
      const variable = ns.addVariable({
        componentOf: folder,
        browseName: `L${i}`,
        nodeId: `s=Load.${i}`,
        dataType: 'Double',
        minimumSamplingInterval: 50,
      });
      variable.setValueFromSource({ dataType: DataType.Double, value: 0 }, StatusCodes.Good, new Date());
      load.push(variable);
    }
  }
  await server.start();
  const endpointUrl = `opc.tcp://${options.host}:${port}`;
  options.logger.info({ endpointUrl, machines: options.machines.length }, 'OPC-UA simulator listening');

  const set = (machineId: string, name: MachineVariable, value: number | string | null, sourceTime: Date): void => {
    const variable = variables.get(`${machineId}.${name}`);
    if (!variable) return;
    const dataType = machineVariables[name].dataType;
    variable.setValueFromSource(
      { dataType: value === null ? DataType.Null : dataType, value: value ?? undefined },
      StatusCodes.Good,
      sourceTime,
    );
  };

  return {
    endpointUrl,
    port,
    write(s, p, sourceTime) {
      // The reason code is written before the state so a client sees both in one publish cycle.
      if (!p || p.reasonCode !== s.reasonCode) set(s.id, 'ReasonCode', s.reasonCode ?? '', sourceTime);
      if (!p || p.state !== s.state) {
        set(s.id, 'State', s.state, sourceTime);
        set(s.id, 'StateCode', s.stateCode, sourceTime);
      }
      if (!p || p.goodCount !== s.goodCount) set(s.id, 'GoodCount', s.goodCount, sourceTime);
      if (!p || p.rejectCount !== s.rejectCount) set(s.id, 'RejectCount', s.rejectCount, sourceTime);
      if (!p || p.partsMade !== s.partsMade) {
        set(s.id, 'CycleTime', s.cycleTimeS, sourceTime);
        set(s.id, 'Measurement', s.measurement, sourceTime);
      }
      if (!p || Math.abs(p.temperatureC - s.temperatureC) >= 0.05) set(s.id, 'Temperature', s.temperatureC, sourceTime);
    },
    writeLoad(index, value, sourceTime) {
      load[index]?.setValueFromSource({ dataType: DataType.Double, value }, StatusCodes.Good, sourceTime);
    },
    async stop() {
      await server.shutdown(0);
      options.logger.info({ endpointUrl }, 'OPC-UA simulator stopped');
    },
  };
}
