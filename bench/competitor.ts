// The child side of the protocol in child.ts, for Node competitors: read
// parameters from stdin, run with an AbortSignal that SIGINT/SIGTERM fire,
// announce leftovers, print the result as the last line.

/** Tells the driver about a private directory (and the QEMU in it) to reclaim if this process dies. */
export function announce(dir: string): void {
  process.stdout.write(JSON.stringify({ leftover: { dir } }) + '\n');
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

export function competitorMain<P, R>(run: (params: P, signal: AbortSignal) => Promise<R>): void {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void (async () => {
    try {
      const text = await readStdin();
      const params = (text.trim() ? JSON.parse(text) : {}) as P;
      const result = await run(params, controller.signal);
      process.stdout.write(JSON.stringify({ result }) + '\n');
      process.exitCode = 0;
    } catch (e) {
      process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
    // Everything run() opened is closed by now; a stray handle (a socket
    // a library keeps) must not hold the driver's round hostage.
    setTimeout(() => process.exit(), 2000).unref();
  })();
}
