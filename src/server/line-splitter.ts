/**
 * Splits a byte stream into lines of at most `maxBytes` bytes (newline excluded). A longer
 * line is reported once through `onOverflow` and skipped up to its newline; nothing longer
 * than `maxBytes` is ever buffered.
 */
export interface LineSplitter {
  /** Feed the next chunk. */
  push(chunk: Buffer): void;
  /** The end of the stream: the unterminated rest, if any, is a last line. */
  end(): void;
}

export function createLineSplitter(options: {
  maxBytes: number;
  onLine: (line: Buffer) => void;
  onOverflow: () => void;
}): LineSplitter {
  const { maxBytes, onLine, onOverflow } = options;
  let chunks: Buffer[] = [];
  let size = 0;
  let skipping = false;

  const take = (piece: Buffer) => {
    if (skipping || piece.length === 0) return;
    if (size + piece.length > maxBytes) {
      chunks = [];
      size = 0;
      skipping = true;
      onOverflow();
      return;
    }
    chunks.push(piece);
    size += piece.length;
  };
  const flush = () => {
    const line = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    chunks = [];
    size = 0;
    onLine(line);
  };

  return {
    push(chunk) {
      let start = 0;
      while (start <= chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline === -1) {
          take(chunk.subarray(start));
          return;
        }
        take(chunk.subarray(start, newline));
        if (skipping) skipping = false;
        else flush();
        start = newline + 1;
      }
    },
    end() {
      if (!skipping && size > 0) flush();
      chunks = [];
      size = 0;
      skipping = false;
    },
  };
}
