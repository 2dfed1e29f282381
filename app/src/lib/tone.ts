/**
 * A short generated tune as a WAV file, for tracks whose metadata names no playable media: the player still plays
 * real audio through an <audio> element (so play, pause, seek and end behave as with any media), built in the page.
 * 8 kHz, 8-bit mono: 45 s are 360 kB, long enough to pass the 20 s a play needs to count.
 */

const RATE = 8_000;

/** A pentatonic phrase chosen by the track id, so each track sounds like itself. */
function notesFor(seed: number): number[] {
  const scale = [261.63, 293.66, 329.63, 392.0, 440.0, 523.25, 587.33, 659.25];
  const notes: number[] = [];
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < 8; index++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    notes.push(scale[state % scale.length]!);
  }
  return notes;
}

/** A WAV (RIFF, PCM u8) of `seconds` of the track's tune. */
export function toneWav(trackId: bigint | number | string, seconds = 45): Blob {
  const samples = RATE * seconds;
  const buffer = new ArrayBuffer(44 + samples);
  const view = new DataView(buffer);
  const ascii = (offset: number, text: string) => [...text].forEach((char, index) => view.setUint8(offset + index, char.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, RATE, true);
  view.setUint32(28, RATE, true); // bytes per second
  view.setUint16(32, 1, true);
  view.setUint16(34, 8, true);
  ascii(36, "data");
  view.setUint32(40, samples, true);
  const notes = notesFor(Number(BigInt(trackId) % 1_000_003n));
  const noteLength = RATE / 2;
  for (let index = 0; index < samples; index++) {
    const frequency = notes[Math.floor(index / noteLength) % notes.length]!;
    const within = (index % noteLength) / noteLength;
    // A soft attack and decay per note, so the tune does not click.
    const envelope = Math.min(1, within * 20) * (1 - within) * 0.35;
    view.setUint8(44 + index, Math.round(128 + 127 * envelope * Math.sin((2 * Math.PI * frequency * index) / RATE)));
  }
  return new Blob([buffer], { type: "audio/wav" });
}
