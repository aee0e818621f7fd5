// Work orders, dispatch and genealogy in PostgreSQL: sink writers (one per topic, for sinks/routes.ts) and the
// traceability queries.
export { writeWorkOrders, writeDispatches, listWorkOrders, currentDispatch, type WorkOrderView, type DispatchView } from './work-orders.ts';
export { writeGenealogyLinks, listGenealogyRejections, cyclePath, cycleCheckDepth, type GenealogyRejectionView } from './links.ts';
export {
  traceBackward,
  traceForward,
  traceForwardMany,
  asBuiltTree,
  lotTimeline,
  workOrderTimeline,
  type MaterialRef,
  type Trace,
  type TraceLink,
  type TraceOptions,
  type AsBuiltNode,
  type TimelineEntry,
} from './trace.ts';
