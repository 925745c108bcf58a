/**
 * JSON Schema validation for tests, by a library (ajv, draft 2020-12) rather than by hand: the
 * schemas kuke prints must mean to a real validator what they are meant to. Strict mode, so a
 * misspelt keyword in a schema is an error instead of being silently ignored.
 */
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";

export interface SchemaCheck {
  /** True when `value` is valid. */
  (value: unknown): boolean;
  /** The errors of the last call, one line each. */
  errors(): string[];
}

export function compileSchema(schema: object): SchemaCheck {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  const check = ((value: unknown) => validate(value) === true) as SchemaCheck;
  check.errors = () =>
    (validate.errors ?? []).map(
      (e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
    );
  return check;
}
