import { IMAGE_PULL_POLICIES, RESTART_POLICIES, type ResourceKind } from "../model/index.js";
import { ignorablePaths, isIgnorablePath } from "../planner/field-effects.js";
import { didYouMean } from "./did-you-mean.js";
import type { Shape, StringCheck } from "./schema.js";
import {
  checkAbsolutePath,
  checkArgument,
  checkCapability,
  checkCidr,
  checkEnv,
  checkHostName,
  checkImage,
  checkName,
  checkNamespace,
  checkNonEmpty,
  checkPort,
  checkSecurityOpt,
  ENV_KEY,
} from "./value-rules.js";

/**
 * The v1beta1 document shapes (DESIGN §2): which fields exist where, their types and the value
 * rules that apply to each. Cross-field rules (roots, egress targets, ids) live in resource-rules.ts.
 */

/** kukeon fields kuke accepts with a warning and ignores, so kukeon manifests load unchanged. */
export const KUKEON_IGNORED = ["ports", "networks", "networksAliases", "attachable", "containerdId", "cniConfigPath"];
/** A container's `ports` are read (docker's short syntax), so only the other kukeon fields are ignored there. */
const CONTAINER_IGNORED = KUKEON_IGNORED.filter((f) => f !== "ports");

const str: Shape = { type: "string" };
const checked = (check: StringCheck): Shape => ({ type: "string", check });
const listOf = (of: Shape): Shape => ({ type: "list", of });
const bool: Shape = { type: "bool" };
const size: Shape = { type: "int", min: 0 };
const name = checked(checkName);
const absPath = checked(checkAbsolutePath);

export const ENV_NAME: StringCheck = (v) =>
  ENV_KEY.test(v)
    ? undefined
    : {
        code: "invalid-env",
        message: `'${v.slice(0, 80)}' is not an environment variable name`,
        remedy: "use letters, digits and '_', not starting with a digit",
      };

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
export const SECRET_NAME: StringCheck = (v) =>
  SECRET_NAME_PATTERN.test(v)
    ? undefined
    : {
        code: "invalid-name",
        message: `'${v.slice(0, 80)}' is not a valid secret name`,
        remedy: "use letters, digits, '_', '.' and '-' (at most 253 characters)",
      };

const capabilities: Shape = {
  type: "object",
  fields: { add: listOf(checked(checkCapability)), drop: listOf(checked(checkCapability)) },
};

const tmpfs: Shape = listOf({
  type: "object",
  fields: { path: absPath, sizeBytes: size, options: listOf(str) },
  required: { path: "add path: /absolute/mount/point" },
});

const resources: Shape = {
  type: "object",
  fields: { memoryLimitBytes: size, cpuShares: size, pidsLimit: size },
};

const securityOpts = listOf(checked(checkSecurityOpt));

/**
 * An `ignoreChanges` path must name a field of the planner's table for this kind (see
 * `ignorablePaths`), so a typo cannot silently ignore nothing.
 */
const ignorePath = (kind: ResourceKind): StringCheck =>
  Object.assign(
    (v: string) => {
      if (isIgnorablePath(kind, v)) return undefined;
      const known = ignorablePaths(kind);
      const whole = v.split("[")[0]!;
      const near = [whole, `spec.${v}`].find((p) => p !== v && isIgnorablePath(kind, p)) ?? didYouMean(v, known);
      return {
        code: "unknown-field",
        message: `'${v.slice(0, 80)}' is not a field a ${kind} can ignore${near !== undefined ? ` (did you mean '${near}'?)` : ""}`,
        remedy:
          near !== undefined
            ? `write '${near}'`
            : `name a field as plans show it (whole lists, no [index]): ${known.length <= 8 ? known.join(", ") : `${known.slice(0, 4).join(", ")}, …`}, or labels.<key>`,
      };
    },
    // For editors (kuke schema manifest): the same paths as a list, and any label.
    { schema: { anyOf: [{ enum: ignorablePaths(kind) }, { pattern: "^labels\\..+" }] } },
  );

/** kuke's `lifecycle` block, allowed on every kind (Terraform's meaning). */
const lifecycle = (kind: ResourceKind): Shape => ({
  type: "object",
  fields: { preventDestroy: bool, ignoreChanges: listOf(checked(ignorePath(kind))) },
});

/** Fields a space may default for its containers (`spec.defaults.container`). */
const defaultableFields: Record<string, Shape> = {
  user: checked(checkNonEmpty),
  readOnlyRootFilesystem: bool,
  capabilities,
  securityOpts,
  tmpfs,
  resources,
  logMaxBytes: size,
};

const containerFields: Record<string, Shape> = {
  id: name,
  root: bool,
  image: checked(checkImage),
  command: checked(checkArgument),
  args: listOf(checked(checkArgument)),
  workingDir: absPath,
  env: listOf(checked(checkEnv)),
  volumes: listOf({
    type: "object",
    fields: { source: absPath, target: absPath, readOnly: bool },
    required: { source: "add source: /absolute/host/path", target: "add target: /absolute/path/in/container" },
  }),
  privileged: bool,
  hostNetwork: bool,
  hostPID: bool,
  ...defaultableFields,
  secrets: listOf({
    type: "object",
    fields: { name: checked(SECRET_NAME), fromFile: absPath, fromEnv: checked(ENV_NAME), mountPath: absPath },
    required: { name: "add name: the variable or file name the secret is known by" },
  }),
  restartPolicy: { type: "string", oneOf: RESTART_POLICIES },
  imagePullPolicy: { type: "string", oneOf: IMAGE_PULL_POLICIES },
  ports: listOf(checked(checkPort)),
  lifecycle: lifecycle("container"),
};

const IMAGE_REMEDY = "add image: docker.io/library/busybox:latest (or the image to run)";

/** A container inside a cell's `spec.containers`. */
export const CELL_CONTAINER: Shape = {
  type: "object",
  fields: containerFields,
  required: { id: "add id: <name> (the container's name inside the cell)", image: IMAGE_REMEDY },
  ignored: CONTAINER_IGNORED,
};

const parent = (kind: string) => `add ${kind}Id: <name of the ${kind}>`;

const SPECS: Record<string, Extract<Shape, { type: "object" }>> = {
  Realm: {
    type: "object",
    fields: {
      namespace: checked(checkNamespace),
      registryCredentials: listOf({
        type: "object",
        fields: {
          username: checked(checkNonEmpty),
          password: { type: "string", sensitive: true },
          serverAddress: str,
        },
        required: { username: "add username", password: "add password (or remove the credential)" },
      }),
      lifecycle: lifecycle("realm"),
    },
    ignored: KUKEON_IGNORED,
  },
  Space: {
    type: "object",
    fields: {
      realmId: name,
      network: {
        type: "object",
        fields: {
          egress: {
            type: "object",
            fields: {
              default: { type: "string", oneOf: ["allow", "deny"] },
              allow: listOf({
                type: "object",
                fields: {
                  host: checked(checkHostName),
                  cidr: checked(checkCidr),
                  ports: listOf({ type: "int", min: 1, max: 65535 }),
                },
              }),
            },
          },
        },
        ignored: KUKEON_IGNORED,
      },
      defaults: {
        type: "object",
        fields: { container: { type: "object", fields: defaultableFields } },
      },
      lifecycle: lifecycle("space"),
    },
    required: { realmId: parent("realm") },
    ignored: KUKEON_IGNORED,
  },
  Stack: {
    type: "object",
    fields: { id: name, realmId: name, spaceId: name, lifecycle: lifecycle("stack") },
    required: { realmId: parent("realm"), spaceId: parent("space") },
    ignored: KUKEON_IGNORED,
  },
  Cell: {
    type: "object",
    fields: {
      id: name,
      realmId: name,
      spaceId: name,
      stackId: name,
      rootContainerId: name,
      // Containers are converted one by one by the cell rule, each under its own address.
      containers: { type: "deferred", shape: listOf(CELL_CONTAINER) },
      lifecycle: lifecycle("cell"),
    },
    required: { realmId: parent("realm"), spaceId: parent("space"), stackId: parent("stack") },
    ignored: KUKEON_IGNORED,
  },
  Container: {
    type: "object",
    fields: { ...containerFields, realmId: name, spaceId: name, stackId: name, cellId: name },
    required: {
      realmId: parent("realm"),
      spaceId: parent("space"),
      stackId: parent("stack"),
      cellId: parent("cell"),
      image: IMAGE_REMEDY,
    },
    ignored: CONTAINER_IGNORED,
  },
};

const PARENTS: Record<KindName, string> = {
  Realm: "",
  Space: "realmId",
  Stack: "realmId, spaceId",
  Cell: "realmId, spaceId, stackId",
  Container: "realmId, spaceId, stackId, cellId",
};

export const KIND_NAMES = ["Realm", "Space", "Stack", "Cell", "Container"] as const;
export type KindName = (typeof KIND_NAMES)[number];

/** Checked by the loader before the kind, so a document of an unknown kind still hears about it. */
export const API_VERSION: StringCheck = (v) =>
  v === "v1beta1"
    ? undefined
    : {
        code: "unsupported-api-version",
        message: `'${v.slice(0, 80)}' is not supported (kuke reads v1beta1)`,
        remedy: "write apiVersion: v1beta1, or leave it out",
      };

/** The whole document of `kind`, except `spec.containers` items of a cell (see CELL_CONTAINER). */
export function documentShape(kind: KindName): Extract<Shape, { type: "object" }> {
  return {
    type: "object",
    fields: {
      apiVersion: str,
      kind: str,
      metadata: {
        type: "object",
        fields: { name, labels: { type: "labels" } },
        // A Container document may name itself by spec.id instead; its rule checks that.
        required: kind === "Container" ? {} : { name: "add metadata.name: <name>" },
      },
      spec: SPECS[kind]!,
    },
    required: {
      ...(kind === "Container" ? {} : { metadata: "add metadata: {name: <name>}" }),
      ...(kind === "Realm" ? {} : { spec: `add spec with the parent ids (${PARENTS[kind]})` }),
    },
    ignored: ["status"],
  };
}
