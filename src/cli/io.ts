/**
 * What a subcommand may touch of the outside world. Tests pass an in-memory implementation; `main`
 * passes the process's streams. Keeping stdin as bytes matters: frames are binary.
 */
export interface CliIo {
  readStdin(): Promise<Uint8Array>;
  writeStdout(data: Uint8Array | string): void;
  writeStderr(text: string): void;
}

export function processIo(): CliIo {
  return {
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin)
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      const all = Buffer.concat(chunks);
      return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
    },
    writeStdout(data) {
      process.stdout.write(data);
    },
    writeStderr(text) {
      process.stderr.write(text);
    },
  };
}

/** In-memory IO for tests: feed stdin, read back what was written. */
export function memoryIo(stdin: Uint8Array | string = new Uint8Array(0)): CliIo & {
  stdout(): Uint8Array;
  stdoutText(): string;
  stderr(): string;
} {
  const out: Uint8Array[] = [];
  let err = '';
  const input = typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin;
  return {
    readStdin: () => Promise.resolve(input),
    writeStdout(data) {
      out.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    },
    writeStderr(text) {
      err += text;
    },
    stdout() {
      const total = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of out) {
        total.set(c, at);
        at += c.length;
      }
      return total;
    },
    stdoutText() {
      return new TextDecoder().decode(this.stdout());
    },
    stderr: () => err,
  };
}
