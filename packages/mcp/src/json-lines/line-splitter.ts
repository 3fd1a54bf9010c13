/**
 * Splits a byte stream into lines without ever buffering more than `maxLineBytes`: an oversize
 * line is reported once (so the peer gets an error) and skipped up to its newline, which keeps a
 * misbehaving client from growing the daemon's memory.
 */
export class LineSplitter {
  private chunks: Buffer[] = []
  private buffered = 0
  private discarding = false

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void,
  ) {}

  push(data: Buffer): void {
    let start = 0
    for (;;) {
      const nl = data.indexOf(0x0a, start)
      if (nl === -1) {
        this.append(data.subarray(start))
        return
      }
      this.append(data.subarray(start, nl))
      if (this.discarding) {
        this.discarding = false
      } else {
        const line = Buffer.concat(this.chunks, this.buffered).toString('utf8')
        if (line.trim() !== '') this.onLine(line)
      }
      this.chunks = []
      this.buffered = 0
      start = nl + 1
    }
  }

  private append(part: Buffer): void {
    if (this.discarding || part.length === 0) return
    if (this.buffered + part.length > this.maxLineBytes) {
      this.chunks = []
      this.buffered = 0
      this.discarding = true
      this.onOversize()
      return
    }
    this.chunks.push(part)
    this.buffered += part.length
  }
}
