/**
 * The realm, space and stack documents that open a test's (or a benchmark's) manifest, so that a
 * test spells out only the cells it is about. The text ends with a newline and no `---`: the next
 * document (a cell) starts with its own separator.
 */
export function stackHeader(realm: string, space = "net", stack = "st"): string {
  return `kind: Realm
metadata: {name: ${realm}}
---
kind: Space
metadata: {name: ${space}}
spec: {realmId: ${realm}}
---
kind: Stack
metadata: {name: ${stack}}
spec: {realmId: ${realm}, spaceId: ${space}}
`;
}
