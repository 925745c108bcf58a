export { type HumanRenderOptions, renderPlanHuman } from "./plan-human.js";
export { parsePlanJson, renderPlanJson } from "./plan-json.js";
export { renderPlanMarkdown } from "./plan-markdown.js";
