// Tags for the tiny WAV files tests write by hand: an ID3v2.4 tag in an "id3 " RIFF chunk, the form mutagen
// (Supysonic, beets) and music-metadata read, so real servers group those files into the intended albums.
import fs from 'node:fs';

export interface WavTags {
  title: string;
  artist: string;
  album: string;
  track: number;
}

const synchsafe = (n: number) => Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);

function textFrame(id: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from([3]), Buffer.from(text, 'utf8')]); // 3 = UTF-8
  return Buffer.concat([Buffer.from(id, 'latin1'), synchsafe(data.length), Buffer.alloc(2), data]);
}

/** Appends the tag chunk to a RIFF/WAVE file and fixes the RIFF size. */
export function tagWav(file: string, tags: WavTags): void {
  const frames = Buffer.concat([
    textFrame('TIT2', tags.title),
    textFrame('TPE1', tags.artist),
    textFrame('TPE2', tags.artist),
    textFrame('TALB', tags.album),
    textFrame('TRCK', String(tags.track)),
  ]);
  const id3 = Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([4, 0, 0]), synchsafe(frames.length), frames]);
  const header = Buffer.alloc(8);
  header.write('id3 ', 0, 'latin1');
  header.writeUInt32LE(id3.length, 4);
  const wav = fs.readFileSync(file);
  if (wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE')
    throw new Error(`${file} is not a WAV file`);
  const out = Buffer.concat([wav, header, id3, Buffer.alloc(id3.length % 2)]); // chunks are word-aligned
  out.writeUInt32LE(out.length - 8, 4);
  fs.writeFileSync(file, out);
}
