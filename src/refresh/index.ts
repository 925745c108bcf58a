export { type HostInventory, hostInventory } from "./host-inventory.js";
export { type RefreshScope, type RefreshSource, refresh, refreshScopeOf } from "./refresh.js";
