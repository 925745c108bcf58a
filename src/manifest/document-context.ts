import type { DiagnosticList, Pos, SourcePosition } from "./diagnostic.js";
import type { Problem, Reporter } from "./schema.js";
import type { YNode } from "./yaml-tree.js";

/**
 * One YAML document being validated: reports go to the shared list tagged with this file,
 * document index and an address; positions of converted values are kept so rules that run after
 * conversion can still point at the right line.
 */
export class DocumentContext implements Reporter {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly root: YNode,
    private readonly diags: DiagnosticList,
    readonly address?: string,
    private readonly positions = new Map<string, Pos>(),
  ) {}

  error(pos: Pos, path: string, p: Problem): void {
    this.diags.add("error", this.place(pos), { ...p, path, address: this.address });
  }

  warning(pos: Pos, path: string, p: Problem): void {
    this.diags.add("warning", this.place(pos), { ...p, path, address: this.address });
  }

  locate(path: string, pos: Pos): void {
    this.positions.set(path, pos);
  }

  /** True when a non-null value was written at `path`. */
  has(path: string): boolean {
    return this.positions.has(path);
  }

  /** Where `path` was written, or its nearest written ancestor. */
  posAt(path: string): Pos {
    let p = path;
    for (;;) {
      const found = this.positions.get(p);
      if (found !== undefined) return found;
      if (p === "") return this.root.pos;
      const shorter = p.replace(/(\.[^.[\]]*|\[\d+\])$/, "");
      p = shorter === p ? "" : shorter;
    }
  }

  place(pos: Pos): SourcePosition {
    return { file: this.file, line: pos.line, column: pos.column, documentIndex: this.index };
  }

  at(path: string): SourcePosition {
    return this.place(this.posAt(path));
  }

  /** The same document reporting under another address (a container inside a cell). */
  withAddress(address: string | undefined): DocumentContext {
    // Shares positions: both views describe the same document.
    return new DocumentContext(this.file, this.index, this.root, this.diags, address, this.positions);
  }
}
