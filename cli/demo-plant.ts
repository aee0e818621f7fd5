// The plant config `linepulse start` uses when no config file is given: derived from the simulator's own machine
// specs, so ideal cycle times, SPC characteristics and sensor limits match the machines that are simulated.
import type { MachineSpec } from '../edge/sim/index.ts';
import { demoEquipmentPath } from '../edge/sim/demo-config.ts';
import type { PlantConfigForProcessors } from '../processors/registry.ts';

/** Three 8-hour shifts with breaks, in the plant's time zone. */
export function demoCalendars(timeZone: string): unknown {
  return {
    default: {
      timeZone,
      shifts: [
        { name: 'early', start: '06:00', end: '14:00', breaks: [{ name: 'breakfast', start: '09:00', end: '09:15' }, { name: 'lunch', start: '11:30', end: '12:00' }] },
        { name: 'late', start: '14:00', end: '22:00', breaks: [{ name: 'break', start: '17:00', end: '17:15' }, { name: 'dinner', start: '19:30', end: '20:00' }] },
        { name: 'night', start: '22:00', end: '06:00', breaks: [{ name: 'break', start: '01:00', end: '01:15' }, { name: 'meal', start: '03:30', end: '04:00' }] },
      ],
    },
  };
}

export function demoPlantConfig(machines: readonly MachineSpec[], timeZone: string): PlantConfigForProcessors {
  const equipment = machines.map((m, i) => ({ spec: m, path: demoEquipmentPath(m.id, i) }));
  return {
    calendars: demoCalendars(timeZone),
    processors: {
      oee: {
        idealCycleTime: {
          equipment: Object.fromEntries(equipment.map(({ spec, path }) => [path, { defaultMs: spec.idealCycleTimeMs }])),
        },
      },
      alerts: {
        downtime: { thresholdMs: 120_000 },
        sensors: [{ id: 'over-temperature', tag: 'Temperature', above: 75, deadband: 2, raiseAfterMs: 30_000, clearAfterMs: 30_000, severity: 'CRITICAL' }],
      },
      spc: {
        characteristics: equipment.map(({ spec, path }) => ({
          id: `${spec.id}-${spec.characteristic.name}`,
          name: `${spec.id} ${spec.characteristic.name}`,
          equipment: path,
          unit: spec.characteristic.unit,
          nominal: spec.characteristic.nominal,
          lsl: spec.characteristic.lsl,
          usl: spec.characteristic.usl,
          chart: 'XBAR_R',
          subgroupSize: 5,
          subgroups: { mode: 'CONSECUTIVE' },
        })),
      },
    },
  };
}
