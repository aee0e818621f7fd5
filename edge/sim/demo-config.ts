// The edge config that matches a plant simulator: every machine variable mapped to its role, under the demo
// plant's ISA-95 paths. `npm start` and `linepulse sim --config-out` use it.
import type { EdgeConfigInput } from '../config.ts';
import type { OpcUaEndpointInput } from '../opcua/config.ts';
import type { MqttConnectionInput } from '../mqtt/config.ts';
import type { ScannerInput } from '../barcode/config.ts';
import { simNodeId } from './opcua-server.ts';

export interface DemoConfigOptions {
  endpointUrl: string;
  /** Machine ids (e.g. sim.machines.map((m) => m.id)) or a count (M01..Mnn). */
  machines: readonly string[] | number;
  /** Equipment path prefix enterprise/site/area/line; machines become `<prefix>/cell<n>/<id>`. */
  linePath?: string;
  /** Counter rollover of the simulator (default UInt32). */
  counterMax?: number;
  publishingIntervalMs?: number;
  /** The simulator's MQTT broker (Sparkplug B sensor nodes), if any. */
  mqttUrl?: string;
  /** The simulator's scanner stations (sim.scanners.stations), if any. */
  scannerStations?: ReadonlyArray<{ station: string; machineId: string; port: number }>;
}

export const demoLinePath = 'demo/plant1/assembly/line1';

export function demoEquipmentPath(machineId: string, index: number, linePath = demoLinePath): string {
  return `${linePath}/cell${index + 1}/${machineId}`;
}

export function demoOpcUaEndpoint(options: DemoConfigOptions): OpcUaEndpointInput {
  const ids = machineIds(options.machines);
  const counterMax = options.counterMax ?? 4294967295;
  return {
    id: 'sim',
    endpoint: options.endpointUrl,
    securityMode: 'None',
    subscription: { publishingIntervalMs: options.publishingIntervalMs ?? 500 },
    defaults: { samplingIntervalMs: 100, queueSize: 100 },
    tags: ids.flatMap((id, i) => {
      const equipment = demoEquipmentPath(id, i, options.linePath);
      return [
        { node: simNodeId(id, 'State'), equipment, role: 'state' as const, tag: 'State' },
        { node: simNodeId(id, 'ReasonCode'), equipment, role: 'stateReason' as const, tag: 'ReasonCode' },
        { node: simNodeId(id, 'GoodCount'), equipment, role: 'goodCounter' as const, tag: 'GoodCount', counterMax },
        { node: simNodeId(id, 'RejectCount'), equipment, role: 'rejectCounter' as const, tag: 'RejectCount', counterMax },
        { node: simNodeId(id, 'CycleTime'), equipment, role: 'sensor' as const, tag: 'CycleTime', unit: 's' },
        { node: simNodeId(id, 'Measurement'), equipment, role: 'processValue' as const, tag: 'Diameter', unit: 'mm', characteristic: `${id}-diameter` },
        { node: simNodeId(id, 'Temperature'), equipment, role: 'sensor' as const, tag: 'Temperature', unit: 'degC', range: { low: 0, high: 80 }, deadband: { type: 'absolute' as const, value: 0.1 } },
      ];
    }),
  };
}

/** The Sparkplug B sensor node of the simulator: group plant1, one device per machine (`<id>-env`). */
export function demoMqttConnection(url: string, linePath = demoLinePath): MqttConnectionInput {
  return {
    id: 'sim-sensors',
    url,
    sparkplug: {
      groups: ['plant1'],
      equipment: `${linePath}/sensors/{device}`,
      metrics: [{ name: 'Vibration', role: 'sensor', unit: 'mm/s', range: { low: 0, high: 8 } }],
    },
  };
}

function machineIds(machines: DemoConfigOptions['machines']): readonly string[] {
  return typeof machines === 'number' ? Array.from({ length: machines }, (_, i) => `M${String(i + 1).padStart(2, '0')}`) : machines;
}

/** The whole edge config for a simulator. */
export function demoEdgeConfig(options: DemoConfigOptions): EdgeConfigInput {
  const ids = machineIds(options.machines);
  const scanners: ScannerInput[] = (options.scannerStations ?? []).map((s) => ({
    station: s.station,
    equipment: demoEquipmentPath(s.machineId, Math.max(0, ids.indexOf(s.machineId)), options.linePath),
    tcp: { host: '127.0.0.1', port: s.port },
    workOrderPattern: '^WO-',
  }));
  return {
    opcua: [demoOpcUaEndpoint(options)],
    ...(options.mqttUrl ? { mqtt: [demoMqttConnection(options.mqttUrl, options.linePath)] } : {}),
    ...(scanners.length > 0 ? { scanners } : {}),
  };
}
