// What every media provider shares about the wire: the file extension of an audio MIME type (for the
// downloaded file ffmpeg opens) and how many track ids go into one playlist call.

/** Track ids per playlist create/add call, as AudioMuse does (keeps query strings short). */
export const PLAYLIST_BATCH = 100;

const EXTENSION_BY_MIME: Record<string, string> = {
  'audio/mpeg': '.mp3',
  'audio/mp3': '.mp3',
  'audio/flac': '.flac',
  'audio/x-flac': '.flac',
  'audio/ogg': '.ogg',
  'application/ogg': '.ogg',
  'audio/opus': '.opus',
  'audio/mp4': '.m4a',
  'audio/x-m4a': '.m4a',
  'audio/m4a': '.m4a',
  'audio/aac': '.aac',
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/wave': '.wav',
  'audio/x-ms-wma': '.wma',
  'audio/aiff': '.aiff',
  'audio/x-aiff': '.aiff',
  'audio/x-ape': '.ape',
  'audio/x-wavpack': '.wv',
  'audio/dsf': '.dsf',
  'audio/x-dsf': '.dsf',
  'audio/vnd.wave': '.wav',
};

/** `.mp3` for `audio/mpeg`, …; undefined for a type we do not know (e.g. application/octet-stream). */
export function extensionOfMime(mime: string): string | undefined {
  return EXTENSION_BY_MIME[mime.split(';')[0].trim().toLowerCase()];
}
