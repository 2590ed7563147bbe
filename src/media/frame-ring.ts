// Audio between legs without messages: every media session owns shared rings of 20 ms L16 frames. The worker that
// owns a session writes what it received into its `rx` ring; whoever needs that audio — the other leg of a bridge,
// a conference mixer, possibly in another worker — reads it from the ring. A mixer writes what a participant
// should hear into the participant's `tx` ring. Single writer per ring; readers keep their own cursor.

export const FRAME_SAMPLES = 160;
const SLOTS = 8;
const HEADER_BYTES = 8;

export class FrameRing {
  static readonly BYTES = HEADER_BYTES + SLOTS * FRAME_SAMPLES * 2;
  private readonly count: Int32Array;
  private readonly slots: Int16Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.count = new Int32Array(buffer, 0, 2);
    this.slots = new Int16Array(buffer, HEADER_BYTES, SLOTS * FRAME_SAMPLES);
  }

  static create(): FrameRing {
    return new FrameRing(new SharedArrayBuffer(FrameRing.BYTES));
  }

  /** Frames written so far. */
  get written(): number {
    return Atomics.load(this.count, 0);
  }

  /** Publish one frame (copied). */
  write(frame: Int16Array): void {
    const n = Atomics.load(this.count, 0);
    // Plain loops, not subarray(): this runs every 20 ms per session and must not allocate.
    const base = (n % SLOTS) * FRAME_SAMPLES;
    for (let i = 0; i < FRAME_SAMPLES; i++) this.slots[base + i] = frame[i];
    Atomics.store(this.count, 0, n + 1);
  }

  /**
   * Copy the next frame after `cursor` into `out` and advance the cursor. A reader that fell more than half the
   * ring behind skips ahead (latency beats completeness for live audio). False when no new frame is there.
   */
  read(cursor: { pos: number }, out: Int16Array): boolean {
    const n = Atomics.load(this.count, 0);
    if (cursor.pos >= n) return false;
    if (n - cursor.pos > SLOTS / 2) cursor.pos = n - 2;
    const base = (cursor.pos % SLOTS) * FRAME_SAMPLES;
    for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = this.slots[base + i];
    cursor.pos++;
    return true;
  }

  /** A cursor that starts at the newest frame (a reader joining late does not replay old audio). */
  cursor(): { pos: number } {
    return { pos: Math.max(0, Atomics.load(this.count, 0) - 1) };
  }
}
