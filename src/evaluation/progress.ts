// A progress bar on stderr: done/total, images per second and ETA; plain lines every few seconds off a terminal.

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(): void {
    this.done++;
    const now = performance.now();
    const last = this.done === this.total;
    if (!last && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const seconds = (now - this.start) / 1000;
    const rate = this.done / Math.max(seconds, 1e-9);
    const eta = (this.total - this.done) / Math.max(rate, 1e-9);
    const width = 24;
    const filled = Math.round((width * this.done) / Math.max(this.total, 1));
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const line = `${this.label} [${bar}] ${this.done}/${this.total} ${rate.toFixed(2)} img/s ETA ${clock(eta)}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K${last ? "\n" : ""}`);
    else process.stderr.write(`${line}\n`);
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}
