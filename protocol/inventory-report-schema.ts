/**
 * The inventory report as the server accepts it (inventory-report.ts is its type, which the agent
 * fills). A report that does not fit is refused whole: nothing of it is stored.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { InventoryReport } from './inventory-report.js';

const Str = (max = 512) => Type.Union([Type.String({ maxLength: max }), Type.Null()]);
const Num = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);
const List = <T extends Parameters<typeof Type.Array>[0]>(t: T) => Type.Array(t, { maxItems: 1024 });

export const InventoryReportSchema = Type.Object({
  collectedAt: Type.Number(),
  system: Type.Object({ vendor: Str(), model: Str(), serial: Str(), uuid: Str(64), machineId: Str(64), hostname: Type.String({ maxLength: 253 }) }),
  os: Type.Object({ name: Str(), version: Str(), kernel: Type.String({ maxLength: 256 }), arch: Type.String({ maxLength: 32 }) }),
  cpus: List(Type.Object({ socket: Type.String({ maxLength: 128 }), model: Str(), cores: Num, threads: Num, mhz: Num })),
  memory: Type.Object({
    totalBytes: Num,
    modules: List(
      Type.Object({
        slot: Type.String({ maxLength: 128 }),
        sizeBytes: Type.Number({ minimum: 0 }),
        type: Str(),
        speedMts: Num,
        vendor: Str(),
        serial: Str(),
        partNumber: Str(),
      }),
    ),
  }),
  disks: List(
    Type.Object({
      name: Type.String({ maxLength: 128 }),
      model: Str(),
      serial: Str(),
      sizeBytes: Type.Number({ minimum: 0 }),
      type: Type.String({ maxLength: 16 }),
      rotational: Type.Union([Type.Boolean(), Type.Null()]),
      wwn: Str(),
    }),
  ),
  nics: List(Type.Object({ name: Type.String({ maxLength: 128 }), mac: Str(64), ips: List(Type.String({ maxLength: 64 })), speedMbps: Num, driver: Str() })),
  raid: Type.Optional(
    List(
      Type.Union([
        Type.Object({
          kind: Type.Literal('software'),
          name: Type.String({ maxLength: 128 }),
          level: Str(),
          members: List(Type.String({ maxLength: 128 })),
          state: Type.String({ maxLength: 16 }),
          sizeBytes: Num,
        }),
        Type.Object({ kind: Type.Literal('hardware'), pciSlot: Type.String({ maxLength: 64 }), vendor: Str(), model: Str() }),
      ]),
    ),
  ),
  gpus: Type.Optional(List(Type.Object({ pciSlot: Type.String({ maxLength: 64 }), vendor: Str(), model: Str() }))),
  psus: Type.Optional(List(Type.Object({ name: Str(128), vendor: Str(), model: Str(), serial: Str(), maxWatts: Num, status: Str() }))),
});

const check = new Ajv({ strict: false, allErrors: false }).compile<Static<typeof InventoryReportSchema>>(InventoryReportSchema);

/** The report, or why it is not one (the server turns that into its own error). */
export function checkInventoryReport(value: unknown): { report: InventoryReport } | { problem: string } {
  if (check(value)) return { report: value as unknown as InventoryReport };
  const e = check.errors?.[0];
  return { problem: `inventory report${e ? `${e.instancePath.replace(/\//g, '.')} ${e.message}` : ' is not one'}` };
}
