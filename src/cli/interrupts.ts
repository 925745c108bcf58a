/**
 * Where Ctrl-C comes from. The real CLI listens for SIGINT on the process (which also stops Node
 * from exiting at once); tests put an `interrupts` source into the context instead, because a
 * process-wide SIGINT would reach the test runner too.
 */
export interface InterruptSource {
  on(listener: () => void): void;
  off(listener: () => void): void;
}

const processInterrupts: InterruptSource = {
  on: (l) => process.on("SIGINT", l),
  off: (l) => process.off("SIGINT", l),
};

/** The context's `interrupts` if it has one, else the process's SIGINT. */
export function interruptsOf(context: { interrupts?: InterruptSource | undefined }): InterruptSource {
  return context.interrupts ?? processInterrupts;
}
