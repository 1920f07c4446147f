// pyds: microphone audio at the device's rate -> 16 kHz s16le frames, in the audio thread.
//
// Browsers deliver 44.1 or 48 kHz (and Firefox refuses an AudioContext at another rate than the device's), so
// the page resamples itself. Plain decimation would fold everything above 8 kHz onto the band the model
// listens to; this is a windowed-sinc low-pass interpolator: 192 taps (Blackman window, about -74 dB stopband),
// cutoff 7.4 kHz for 16 kHz output, evaluated at the exact fractional input position of every output sample
// (a table of 1024 phases), so any input/output ratio works (3 for 48 kHz, 2.75625 for 44.1 kHz).
// Frames of `frameMs` are posted to the page as transferable Int16Array buffers; the message "flush" posts the
// partial frame (when recording stops).

const HALF = 96; // taps on each side of the output position
const PHASES = 1024;

function buildTable(inRate, outRate) {
  const cutoff = (0.925 * outRate) / 2 / inRate; // cycles per input sample (7.4 kHz for 16 kHz out)
  const taps = 2 * HALF;
  const table = new Float32Array(PHASES * taps);
  for (let p = 0; p < PHASES; p++) {
    const frac = p / PHASES;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const x = j - (HALF - 1) - frac; // distance from the output position, in input samples
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const w = (x + HALF) / (2 * HALF); // 0..1 across the window
      const blackman = 0.42 - 0.5 * Math.cos(2 * Math.PI * w) + 0.08 * Math.cos(4 * Math.PI * w);
      const h = sinc * blackman;
      table[p * taps + j] = h;
      sum += h;
    }
    for (let j = 0; j < taps; j++) table[p * taps + j] /= sum; // unit gain at DC for every phase
  }
  return table;
}

class PydsResampler extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.outRate = o.targetRate || 16000;
    this.step = sampleRate / this.outRate; // input samples per output sample
    this.table = buildTable(sampleRate, this.outRate);
    this.frameLen = Math.round((this.outRate * (o.frameMs || 160)) / 1000);
    this.frame = new Int16Array(this.frameLen);
    this.filled = 0;
    // Input history: buf[0] is input sample number `bufStart`; HALF zeros of lead-in.
    this.buf = new Float32Array(8192);
    this.bufLen = HALF;
    this.bufStart = -HALF;
    this.n = 0; // next output sample
    this.port.onmessage = (e) => {
      if (e.data === "flush") this.post(true);
    };
  }

  post(partial) {
    if (this.filled === 0 && partial) {
      this.port.postMessage({ flushed: true });
      return;
    }
    const out = partial ? this.frame.slice(0, this.filled) : this.frame;
    this.port.postMessage(out.buffer, [out.buffer]);
    this.frame = new Int16Array(this.frameLen);
    this.filled = 0;
    if (partial) this.port.postMessage({ flushed: true });
  }

  append(block) {
    if (this.bufLen + block.length > this.buf.length) {
      const bigger = new Float32Array(2 * (this.bufLen + block.length));
      bigger.set(this.buf.subarray(0, this.bufLen));
      this.buf = bigger;
    }
    this.buf.set(block, this.bufLen);
    this.bufLen += block.length;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    let mono = input[0];
    if (input.length > 1) {
      mono = new Float32Array(input[0].length);
      for (const ch of input) for (let i = 0; i < mono.length; i++) mono[i] += ch[i] / input.length;
    }
    this.append(mono);
    const taps = 2 * HALF;
    const table = this.table;
    const end = this.bufStart + this.bufLen; // first input sample not yet received
    for (;;) {
      const t = this.n * this.step;
      const i0 = Math.floor(t);
      if (i0 + HALF >= end) break; // needs input samples up to i0 + HALF
      const phase = Math.floor((t - i0) * PHASES);
      const base = i0 - (HALF - 1) - this.bufStart;
      const row = phase * taps;
      let y = 0;
      for (let j = 0; j < taps; j++) y += this.buf[base + j] * table[row + j];
      const s = Math.round(y * 32768);
      this.frame[this.filled++] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      if (this.filled === this.frameLen) this.post(false);
      this.n++;
    }
    // Drop the input no future output needs.
    const keepFrom = Math.floor(this.n * this.step) - (HALF - 1) - this.bufStart;
    if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom, this.bufLen);
      this.bufLen -= keepFrom;
      this.bufStart += keepFrom;
    }
    return true;
  }
}

registerProcessor("pyds-resampler", PydsResampler);
