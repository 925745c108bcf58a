export type { Diagnostic, Severity, SourcePosition } from "./diagnostic.js";
export { didYouMean } from "./did-you-mean.js";
export { type LoadResult, loadManifests, type ManifestSource } from "./load.js";
export {
  countLine,
  formatDiagnostics,
  PLAIN,
  type Style,
  summarize,
  summaryLine,
  type ValidationReport,
  type ValidationSummary,
  validationReport,
} from "./report.js";
export { readManifestSources, STDIN_NAME } from "./sources.js";
