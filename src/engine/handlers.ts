import { cgroupEnsure, cgroupRemove, cgroupUpdate } from "./cgroup-steps.js";
import {
  containerCreate,
  containerDelete,
  containerUpdate,
  namespaceDelete,
  namespaceEnsure,
  orphanRemove,
  taskStart,
  taskStop,
} from "./containerd-steps.js";
import { filesRemove } from "./files-steps.js";
import { imageEnsure } from "./image-steps.js";
import {
  cniAttach,
  cniDetach,
  cniPorts,
  egressApply,
  egressRemove,
  netnsPin,
  netnsUnpin,
  networkEnsure,
  networkRemove,
} from "./network-steps.js";
import { recordDelete, recordWrite } from "./record-steps.js";
import type { HandlerTable } from "./step-handler.js";
import { recordRunState, taskKill } from "./task-control-steps.js";

/** Step kind → handler. The mapped type makes a step kind without a handler a compile error. */
export const HANDLERS: HandlerTable = {
  "namespace.ensure": namespaceEnsure,
  "namespace.delete": namespaceDelete,
  "image.ensure": imageEnsure,
  "container.create": containerCreate,
  "container.update": containerUpdate,
  "container.delete": containerDelete,
  "task.start": taskStart,
  "task.stop": taskStop,
  "task.kill": taskKill,
  "cgroup.ensure": cgroupEnsure,
  "cgroup.update": cgroupUpdate,
  "cgroup.remove": cgroupRemove,
  "network.ensure": networkEnsure,
  "network.remove": networkRemove,
  "egress.apply": egressApply,
  "egress.remove": egressRemove,
  "netns.pin": netnsPin,
  "netns.unpin": netnsUnpin,
  "cni.attach": cniAttach,
  "cni.detach": cniDetach,
  "cni.ports": cniPorts,
  "record.write": recordWrite,
  "record.delete": recordDelete,
  "record.run-state": recordRunState,
  "files.remove": filesRemove,
  "orphan.remove": orphanRemove,
};
