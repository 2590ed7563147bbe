// What the benchmark peers measure of the RTP they receive: a histogram of the gaps between packets of a leg
// (0.1 ms steps up to 200 ms, no allocation per packet) and the sequence distance that tells lost from reordered.

/** A leg's last in-order packet. */
export interface Arrivals {
  lastArrival: number;
  lastSeq: number;
}

export class ReceiveGaps {
  private readonly bins = new Uint32Array(2000);
  /** Gaps of 200 ms or more. */
  overflow = 0;

  /**
   * Notes a packet of `leg` arriving at `now` (ms). Returns the signed distance from the expected sequence number:
   * ahead (> 0) is that many packets lost, behind (< 0) a reordered packet, which leaves the leg's state alone.
   */
  arrive(leg: Arrivals, seq: number, now: number): number {
    let d = 0;
    if (leg.lastArrival) {
      const bin = Math.round((now - leg.lastArrival) * 10);
      if (bin < this.bins.length) this.bins[bin]++;
      else this.overflow++;
      d = ((seq - ((leg.lastSeq + 1) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
      if (d < 0) return d;
    }
    leg.lastArrival = now;
    leg.lastSeq = seq;
    return d;
  }

  reset(): void {
    this.bins.fill(0);
    this.overflow = 0;
  }

  percentile(p: number): number {
    const total = this.bins.reduce((a, b) => a + b, 0) + this.overflow;
    let acc = 0;
    for (let i = 0; i < this.bins.length; i++) {
      acc += this.bins[i];
      if (acc >= total * p) return i / 10;
    }
    return 200;
  }

  /** The figures the peers print. */
  summary(): { p50: number; p99: number; p999: number; over200: number } {
    return {
      p50: this.percentile(0.5),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      over200: this.overflow,
    };
  }
}
