// The embedded media source used when no media server is configured: a music folder on disk, read with
// music-metadata, and .m3u8 playlists written next to it. A folder that directly holds audio files is an album.
//
// Ids are hashes of paths relative to MUSIC_DIR (NFC-normalised), so they survive rescans, restarts and
// moving the library to another mount point, and are safe in URLs. The scan is shared by every provider
// instance on the same MUSIC_DIR (activities create providers freely) and is incremental: after `scanTtlMs`
// the tree is walked again but only new or changed files (by mtime and size) have their tags read.
import { createHash, randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import {
  MediaServerError,
  type Album,
  type AlbumPage,
  type AudioStream,
  type CreatePlaylistOptions,
  type MediaProvider,
  type Playlist,
  type ProviderHealth,
  type Track,
} from './provider.ts';

export interface LocalFolderOptions {
  musicDir: string;
  playlistDir: string;
  /** How long a scan is trusted before the tree is walked again (default 60 s; 0 = check on every call). */
  scanTtlMs?: number;
  /** Files whose tags are parsed at the same time (default 4). */
  parseConcurrency?: number;
  /** `contain` (default): a symlink whose target is outside musicDir is skipped, with one warning; `follow`: followed. */
  symlinks?: 'contain' | 'follow';
}

export const AUDIO_EXTENSIONS = new Set([
  '.mp3',
  '.flac',
  '.ogg',
  '.oga',
  '.opus',
  '.m4a',
  '.m4b',
  '.mp4',
  '.aac',
  '.wav',
  '.wma',
  '.aif',
  '.aiff',
  '.aifc',
  '.ape',
  '.wv',
  '.mpc',
  '.dsf',
  '.dff',
  '.mka',
  '.webm',
  '.alac',
]);

/** First header line after #EXTM3U in every playlist this app writes; only such files may be deleted. */
export const PLAYLIST_MARKER = '#AUDIOMUSE';

interface FileTags {
  title?: string;
  artist?: string;
  albumartist?: string;
  album?: string;
  track?: number;
  disc?: number;
  year?: number;
  duration?: number;
}

interface FileEntry {
  rel: string; // '/'-separated, relative to musicDir
  abs: string;
  mtimeMs: number;
  size: number;
  tags: FileTags;
}

interface LocalAlbum extends Album {
  newestMtimeMs: number;
  tracks: Track[];
}

export interface ScanStats {
  files: number;
  albums: number;
  /** Files whose tags were read during the last walk (0 when nothing changed). */
  parsed: number;
  /** Files whose tags could not be read (kept, named from the file name). */
  unreadable: number;
  /** Directories that could not be listed, relative to musicDir. */
  skippedDirs: string[];
  /** Symlinks not followed because their target is outside musicDir (`symlinks: 'contain'`), relative to it. */
  skippedLinks: string[];
  finishedAt: number;
}

interface LibrarySnapshot {
  albums: LocalAlbum[]; // newest first
  albumById: Map<string, LocalAlbum>;
  trackById: Map<string, { track: Track; abs: string }>;
  stats: ScanStats;
}

/** Shared, incremental scan of one music folder. */
class LibraryIndex {
  private files = new Map<string, FileEntry>();
  private snapshot?: LibrarySnapshot;
  private inflight?: Promise<LibrarySnapshot>;
  private readonly warnedLinks = new Set<string>();

  constructor(
    readonly musicDir: string,
    readonly symlinks: 'contain' | 'follow',
  ) {}

  get lastStats(): ScanStats | undefined {
    return this.snapshot?.stats;
  }

  async get(ttlMs: number, concurrency: number, force = false): Promise<LibrarySnapshot> {
    if (this.inflight) return this.inflight;
    if (!force && this.snapshot && Date.now() - this.snapshot.stats.finishedAt < ttlMs) return this.snapshot;
    this.inflight = this.rescan(concurrency).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async rescan(concurrency: number): Promise<LibrarySnapshot> {
    const root = await fs.stat(this.musicDir).catch((err: NodeJS.ErrnoException) => {
      throw new MediaServerError(
        `MUSIC_DIR ${this.musicDir} cannot be read (${err.code ?? err.message}); set MUSIC_DIR to your music folder`,
        'bad_config',
      );
    });
    if (!root.isDirectory()) {
      throw new MediaServerError(`MUSIC_DIR ${this.musicDir} is not a directory`, 'bad_config');
    }
    const found = new Map<string, { abs: string; mtimeMs: number; size: number }>();
    const skippedDirs: string[] = [];
    const skippedLinks: string[] = [];
    // Contained, a symlink may lead anywhere inside the real MUSIC_DIR (itself possibly reached by a symlink).
    const inside = this.symlinks === 'contain' ? await fs.realpath(this.musicDir) : undefined;
    await walk(this.musicDir, '', new Set([`${root.dev}:${root.ino}`]), found, skippedDirs, { inside, skippedLinks });
    for (const link of skippedLinks) {
      if (this.warnedLinks.has(link)) continue;
      this.warnedLinks.add(link);
      console.warn(
        `local: skipped symlink ${link} in MUSIC_DIR ${this.musicDir}: its target is outside MUSIC_DIR ` +
          '(set MUSIC_DIR_SYMLINKS=follow to follow it)',
      );
    }

    const next = new Map<string, FileEntry>();
    const toParse: FileEntry[] = [];
    for (const [rel, f] of found) {
      const old = this.files.get(rel);
      if (old && old.mtimeMs === f.mtimeMs && old.size === f.size) {
        next.set(rel, old);
      } else {
        const entry: FileEntry = { rel, ...f, tags: {} };
        next.set(rel, entry);
        toParse.push(entry);
      }
    }
    let unreadable = 0;
    await forEachBounded(toParse, concurrency, async (entry) => {
      const tags = await readTags(entry.abs);
      if (tags) entry.tags = tags;
      else unreadable++;
    });
    this.files = next;
    this.snapshot = buildSnapshot(this.musicDir, next, {
      files: next.size,
      albums: 0,
      parsed: toParse.length,
      unreadable,
      skippedDirs,
      skippedLinks,
      finishedAt: Date.now(),
    });
    return this.snapshot;
  }
}

const indexes = new Map<string, LibraryIndex>();

export class LocalFolderProvider implements MediaProvider {
  readonly type = 'local' as const;
  readonly musicDir: string;
  readonly playlistDir: string;
  private readonly ttlMs: number;
  private readonly concurrency: number;
  private readonly index: LibraryIndex;

  constructor(options: LocalFolderOptions) {
    if (!options.musicDir) throw new MediaServerError('MUSIC_DIR is empty; set it to your music folder', 'bad_config');
    if (!options.playlistDir) throw new MediaServerError('PLAYLIST_DIR is empty', 'bad_config');
    this.musicDir = path.resolve(options.musicDir);
    this.playlistDir = path.resolve(options.playlistDir);
    this.ttlMs = options.scanTtlMs ?? 60_000;
    this.concurrency = Math.max(1, options.parseConcurrency ?? 4);
    const symlinks = options.symlinks ?? 'contain';
    const key = `${symlinks}:${this.musicDir}`;
    let index = indexes.get(key);
    if (!index) indexes.set(key, (index = new LibraryIndex(this.musicDir, symlinks)));
    this.index = index;
  }

  /** Forgets every cached scan (as a process restart would). */
  static clearCache(): void {
    indexes.clear();
  }

  /** Walks the folder now, reading tags of new or changed files only. */
  async rescan(): Promise<ScanStats> {
    return (await this.index.get(0, this.concurrency, true)).stats;
  }

  async listRecentAlbums(opts: { startIndex: number; limit: number }): Promise<AlbumPage> {
    checkPaging(opts);
    const lib = await this.library();
    return {
      albums: lib.albums
        .slice(opts.startIndex, opts.startIndex + opts.limit)
        .map(({ id, name, artist, year, dateCreated }) => ({ id, name, artist, year, dateCreated })),
      total: lib.albums.length,
    };
  }

  async listAlbumTracks(albumId: string): Promise<Track[]> {
    const album = (await this.library()).albumById.get(albumId) ?? (await this.library(true)).albumById.get(albumId);
    if (!album) throw new MediaServerError(`No album with id ${albumId} in ${this.musicDir}`, 'not_found');
    return album.tracks.map((t) => ({ ...t }));
  }

  async openTrackAudio(trackId: string): Promise<AudioStream> {
    const { abs } = await this.findTrack(trackId);
    const handle = await fs.open(abs, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new MediaServerError(`Cannot open ${abs}: ${err.code ?? err.message}`, 'not_found');
    });
    const { size } = await handle.stat();
    return { stream: handle.createReadStream(), extension: path.extname(abs).toLowerCase(), size };
  }

  async existingTrackIds(trackIds: string[]): Promise<Set<string>> {
    let lib = await this.library();
    if (trackIds.some((id) => !lib.trackById.has(id))) lib = await this.library(true);
    // The scan may be up to a minute old: a file deleted since is still in it, so ask the disk.
    const present = await Promise.all(
      trackIds.map(async (id) => {
        const hit = lib.trackById.get(id);
        return (
          hit !== undefined &&
          listable(hit.abs) &&
          (await fs.access(hit.abs, fsc.R_OK).then(
            () => true,
            () => false,
          ))
        );
      }),
    );
    return new Set(trackIds.filter((_, i) => present[i]));
  }

  async localFile(trackId: string, pathHint?: string): Promise<string> {
    // A hint that still names the track's file saves an analysis process the scan of the whole folder.
    if (pathHint && (await this.namesTrack(pathHint, trackId))) return pathHint;
    return (await this.findTrack(trackId)).abs;
  }

  /** The last scan's figures; undefined while this process has not scanned the folder. */
  get lastScan(): ScanStats | undefined {
    return this.index.lastStats;
  }

  async listPlaylists(): Promise<Playlist[]> {
    return (await this.playlistFiles()).map(({ id, name, trackCount }) => ({ id, name, trackCount }));
  }

  async createPlaylist(name: string, trackIds: string[], options: CreatePlaylistOptions = {}): Promise<Playlist> {
    const title = name.replace(/[\r\n]+/g, ' ').trim();
    if (!title) throw new MediaServerError('A playlist needs a non-empty name', 'refused');
    let lib = await this.library();
    if (trackIds.some((id) => !lib.trackById.has(id))) lib = await this.library(true); // added since the scan?
    const missing = trackIds.filter((id) => !lib.trackById.has(id));
    if (missing.length) {
      throw new MediaServerError(
        `${missing.length} track id(s) are not in ${this.musicDir}: ${missing.slice(0, 5).join(', ')}`,
        'not_found',
      );
    }
    // A line break in a path would split its entry into two lines of the .m3u8 (and M3U has no escape for it):
    // such a track is left out (existingTrackIds does not list it, so the publish counts it as missing).
    const entries = trackIds.map((id) => lib.trackById.get(id)!).filter(({ abs }) => listable(abs));

    const lines = ['#EXTM3U', `${PLAYLIST_MARKER} written by AudioMuse; it may replace or delete this file`];
    lines.push(`#PLAYLIST:${title}`);
    for (const { track, abs } of entries) {
      const duration = track.duration === undefined ? -1 : Math.round(track.duration);
      const label = [track.artist, track.title]
        .filter(Boolean)
        .join(' - ')
        .replace(/[\r\n]+/g, ' ');
      let rel = path.relative(this.playlistDir, abs).split(path.sep).join('/');
      if (rel.startsWith('#')) rel = `./${rel}`; // a leading '#' would read as a comment
      lines.push(`#EXTINF:${duration},${label}`, rel);
    }
    const body = lines.join('\n') + '\n';

    await fs.mkdir(this.playlistDir, { recursive: true });
    // Written whole to a hidden temporary file first, then renamed into place: a crash or a full disk never
    // leaves a half-written playlist, and a player reading the old file sees the old or the new one.
    const base = safeFileName(title);
    const temp = path.join(this.playlistDir, `.${base}.${randomUUID()}.tmp`);
    try {
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      for (let n = 1; n <= 1000; n++) {
        const file = n === 1 ? `${base}.m3u8` : `${base} (${n}).m3u8`;
        const target = path.join(this.playlistDir, file);
        const id = playlistId(file);
        // Our own earlier playlist of this name is replaced in place, so players and shares keep the file.
        if (options.replace?.has(id) && (await this.readPlaylistFile(file))?.ours) {
          await fs.rename(temp, target);
          return { id, name: title, trackCount: entries.length };
        }
        // Any other existing file (the user's, or ours that may not be replaced) keeps its name: number ours.
        if (await linkIfAbsent(temp, target)) return { id, name: title, trackCount: entries.length };
      }
      throw new MediaServerError(`No free file name for playlist "${title}" in ${this.playlistDir}`, 'refused');
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  /** The file is written whole beside the old one and renamed over it (createPlaylist's way): old or new, never half. */
  async replacePlaylistTracks(playlistId: string, name: string, trackIds: string[]): Promise<Playlist> {
    const found = (await this.playlistFiles()).find((p) => p.id === playlistId);
    if (!found) throw new MediaServerError(`No playlist with id ${playlistId} in ${this.playlistDir}`, 'not_found');
    if (!found.ours)
      throw new MediaServerError(`Refusing to write over ${found.file}: it was not written by AudioMuse`, 'refused');
    return this.createPlaylist(name, trackIds, { replace: new Set([playlistId]) });
  }

  async deletePlaylist(playlistId: string): Promise<void> {
    const found = (await this.playlistFiles()).find((p) => p.id === playlistId);
    if (!found) throw new MediaServerError(`No playlist with id ${playlistId} in ${this.playlistDir}`, 'not_found');
    if (!found.ours) {
      throw new MediaServerError(
        `Refusing to delete ${found.file}: it was not written by AudioMuse (no ${PLAYLIST_MARKER} header line)`,
        'refused',
      );
    }
    await fs.unlink(found.file);
  }

  async health(): Promise<ProviderHealth> {
    const server = `Local folder ${this.musicDir}`;
    try {
      const st = await fs.stat(this.musicDir);
      if (!st.isDirectory()) return { ok: false, server, error: `MUSIC_DIR ${this.musicDir} is not a directory` };
      await fs.access(this.musicDir, fsc.R_OK | fsc.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return {
        ok: false,
        server,
        error: `MUSIC_DIR ${this.musicDir} ${code === 'ENOENT' ? 'does not exist' : 'is not readable'} (${code})`,
      };
    }
    // The playlist folder is created on first write, so check the closest existing ancestor.
    let dir = this.playlistDir;
    for (;;) {
      try {
        await fs.access(dir, fsc.W_OK | fsc.X_OK);
        return { ok: true, server };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const parent = path.dirname(dir);
        if (code !== 'ENOENT' || parent === dir) {
          return { ok: false, server, error: `PLAYLIST_DIR ${this.playlistDir} is not writable (${dir}: ${code})` };
        }
        dir = parent;
      }
    }
  }

  private library(force = false): Promise<LibrarySnapshot> {
    return this.index.get(this.ttlMs, this.concurrency, force);
  }

  /** True when `abs` is a file inside the music folder whose relative path gives `trackId` (ids hash paths). */
  private async namesTrack(abs: string, trackId: string): Promise<boolean> {
    const rel = path.relative(this.musicDir, abs);
    if (!path.isAbsolute(abs) || !rel || rel.startsWith('..') || path.isAbsolute(rel)) return false;
    if (hashId('t', rel.normalize('NFC')) !== trackId && hashId('t', rel) !== trackId) return false;
    // A path listed before symlinks were contained may lead out of the folder: then the scan decides.
    if (this.index.symlinks === 'contain') {
      const [root, target] = await Promise.all([fs.realpath(this.musicDir), fs.realpath(abs)]).catch(() => []);
      if (!root || !target || !isInside(root, target)) return false;
    }
    return fs.stat(abs).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Looks a track up, rescanning once when the id is unknown (the file may have been added since). */
  private async findTrack(trackId: string): Promise<{ track: Track; abs: string }> {
    const hit = (await this.library()).trackById.get(trackId) ?? (await this.library(true)).trackById.get(trackId);
    if (!hit) throw new MediaServerError(`No track with id ${trackId} in ${this.musicDir}`, 'not_found');
    return hit;
  }

  private async playlistFiles() {
    let names: string[];
    try {
      names = await fs.readdir(this.playlistDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out = [];
    for (const fileName of names.filter((n) => /\.m3u8?$/i.test(n)).sort()) {
      const found = await this.readPlaylistFile(fileName);
      if (found) out.push(found);
    }
    return out;
  }

  /** One playlist file of PLAYLIST_DIR; undefined when it is not there, not a file or unreadable. */
  private async readPlaylistFile(fileName: string) {
    const file = path.join(this.playlistDir, fileName);
    let text: string;
    try {
      if (!(await fs.stat(file)).isFile()) return undefined;
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined; // vanished or unreadable: not listable
    }
    const lines = text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.trim());
    const firstEntry = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
    const header = firstEntry < 0 ? lines : lines.slice(0, firstEntry);
    const named = header.find((l) => l.startsWith('#PLAYLIST:'));
    return {
      id: playlistId(fileName),
      file,
      name: named ? named.slice('#PLAYLIST:'.length).trim() : fileName.replace(/\.m3u8?$/i, ''),
      trackCount: lines.filter((l) => l !== '' && !l.startsWith('#')).length,
      ours: header.some((l) => l.startsWith(PLAYLIST_MARKER)),
    };
  }
}

/** Gives `temp`'s content the name `target` unless that exists (never overwrites); false when it does. */
async function linkIfAbsent(temp: string, target: string): Promise<boolean> {
  try {
    await fs.link(temp, target); // atomic create-if-absent
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some network and FUSE file systems have no hard links: check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    if (
      await fs.lstat(target).then(
        () => true,
        () => false,
      )
    )
      return false;
    await fs.rename(temp, target);
    return true;
  }
}

/** True when the real path `target` is `root` or below it. */
function isInside(root: string, target: string): boolean {
  const up = path.relative(root, target);
  return up !== '..' && !up.startsWith(`..${path.sep}`) && !path.isAbsolute(up);
}

/** False for a path a playlist line cannot hold. */
function listable(abs: string): boolean {
  return !/[\r\n]/.test(abs);
}

function checkPaging({ startIndex, limit }: { startIndex: number; limit: number }) {
  if (!Number.isInteger(startIndex) || startIndex < 0 || !Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`Paging needs non-negative integers, got startIndex=${startIndex} limit=${limit}`);
  }
}

async function walk(
  absDir: string,
  relDir: string,
  seen: Set<string>,
  found: Map<string, { abs: string; mtimeMs: number; size: number }>,
  skipped: string[],
  links: { inside?: string; skippedLinks: string[] },
): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(absDir, { withFileTypes: true });
  } catch (err) {
    skipped.push(`${relDir || '.'} (${(err as NodeJS.ErrnoException).code})`);
    return;
  }
  const subdirs: [string, string][] = [];
  await Promise.all(
    entries.map(async (e) => {
      if (e.name.startsWith('.')) return; // hidden folders, macOS "._x.mp3" resource forks
      const abs = path.join(absDir, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      const isDir = e.isDirectory() || e.isSymbolicLink();
      if (!isDir && !(e.isFile() && AUDIO_EXTENSIONS.has(path.extname(e.name).toLowerCase()))) return;
      if (e.isSymbolicLink() && links.inside) {
        const target = await fs.realpath(abs).catch(() => undefined); // broken symlink
        if (!target) return;
        if (!isInside(links.inside, target)) {
          links.skippedLinks.push(`${rel} → ${target}`);
          return;
        }
      }
      const st = await fs.stat(abs).catch(() => undefined); // broken symlink or vanished file
      if (!st) return;
      if (st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (!seen.has(key)) {
          // symlink loops
          seen.add(key);
          subdirs.push([abs, rel]);
        }
      } else if (st.isFile() && AUDIO_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        found.set(rel, { abs, mtimeMs: st.mtimeMs, size: st.size });
      }
    }),
  );
  for (const [abs, rel] of subdirs) await walk(abs, rel, seen, found, skipped, links);
}

async function readTags(file: string): Promise<FileTags | undefined> {
  try {
    const { common, format } = await parseFile(file, { duration: true, skipCovers: true });
    const text = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);
    return {
      title: text(common.title),
      artist: text(common.artist),
      albumartist: text(common.albumartist),
      album: text(common.album),
      track: common.track.no ?? undefined,
      disc: common.disk.no ?? undefined,
      year: common.year,
      duration: format.duration,
    };
  } catch {
    return undefined;
  }
}

async function forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function hashId(prefix: string, key: string): string {
  return prefix + createHash('sha1').update(key).digest('hex').slice(0, 20);
}

/** A folder has no artist ids: one derived from the name, so "AC/DC" and "ac/dc " are one artist across albums. */
function artistId(name: string): string {
  return hashId('r', name.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim());
}

function playlistId(fileName: string): string {
  return hashId('p', fileName.normalize('NFC'));
}

/** "01 - Title", "1-02 Title", "03. Title", "04_Title" → numbers and title; otherwise the stem as title. */
export function parseFileName(stem: string): { title: string; track?: number; disc?: number } {
  const m = /^(?:(\d{1,2})-)?(\d{1,3})(\s*[-._]\s*|\s+)(.+)$/.exec(stem);
  if (!m) return { title: stem };
  const [, disc, track, separator, title] = m;
  // With only a space between, "5 Years" is a title while "07 Title" (two digits) is a track number.
  if (!/[-._]/.test(separator) && track.length !== 2) return { title: stem };
  return { title: title.trim(), track: Number(track), disc: disc ? Number(disc) : undefined };
}

function mostCommon(values: (string | number | undefined)[]): string | number | undefined {
  const counts = new Map<string | number, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | number | undefined;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount) [best, bestCount] = [v, c];
  return best;
}

function buildSnapshot(musicDir: string, files: Map<string, FileEntry>, stats: ScanStats): LibrarySnapshot {
  const byDir = new Map<string, FileEntry[]>();
  for (const f of [...files.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))) {
    const dir = f.rel.includes('/') ? f.rel.slice(0, f.rel.lastIndexOf('/')) : '';
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push(f);
  }
  const albums: LocalAlbum[] = [];
  const albumById = new Map<string, LocalAlbum>();
  const trackById = new Map<string, { track: Track; abs: string }>();
  // NFC keeps ids equal when a library moves between macOS (NFD names) and Linux; two names that differ only
  // in normalisation fall back to the raw path so both stay reachable.
  const uniqueId = (prefix: string, rel: string, taken: Map<string, unknown>) => {
    const id = hashId(prefix, rel.normalize('NFC'));
    return taken.has(id) ? hashId(prefix, rel) : id;
  };

  for (const [dir, entries] of byDir) {
    const segments = dir ? dir.split('/') : [];
    const folderName = segments.at(-1) ?? path.basename(musicDir);
    const parentFolder = segments.length >= 2 ? segments.at(-2) : undefined;
    const artists = new Set(entries.map((e) => e.tags.artist).filter(Boolean));
    const albumArtist =
      (mostCommon(entries.map((e) => e.tags.albumartist)) as string | undefined) ??
      (artists.size === 1 ? [...artists][0] : artists.size > 1 ? 'Various Artists' : parentFolder);
    const albumName = (mostCommon(entries.map((e) => e.tags.album)) as string | undefined) ?? folderName;
    const newestMtimeMs = Math.max(...entries.map((e) => e.mtimeMs));
    const id = uniqueId('a', dir, albumById);

    const tracks = entries.map((e) => {
      const stem = path.basename(e.rel, path.extname(e.rel));
      const fromName = parseFileName(stem);
      const artist = e.tags.artist ?? e.tags.albumartist ?? albumArtist;
      const track: Track = {
        id: uniqueId('t', e.rel, trackById),
        albumId: id,
        title: e.tags.title ?? fromName.title,
        artist,
        artistId: artist === undefined ? undefined : artistId(artist),
        // No libraryId: the folder is the one library.
        album: albumName,
        duration: e.tags.duration,
        trackNumber: e.tags.track ?? fromName.track,
        discNumber: e.tags.disc ?? fromName.disc,
        path: e.abs,
        changeMarker: `${e.size}:${Math.round(e.mtimeMs)}`,
      };
      trackById.set(track.id, { track, abs: e.abs });
      return track;
    });
    tracks.sort(
      (a, b) =>
        (a.discNumber ?? 1) - (b.discNumber ?? 1) ||
        (a.trackNumber ?? Infinity) - (b.trackNumber ?? Infinity) ||
        (a.path! < b.path! ? -1 : 1),
    );
    const album: LocalAlbum = {
      id,
      name: albumName,
      artist: albumArtist,
      year: mostCommon(entries.map((e) => e.tags.year)) as number | undefined,
      dateCreated: new Date(newestMtimeMs).toISOString(),
      newestMtimeMs,
      tracks,
    };
    albums.push(album);
    albumById.set(id, album);
  }
  albums.sort((a, b) => b.newestMtimeMs - a.newestMtimeMs || (a.id < b.id ? -1 : 1));
  return { albums, albumById, trackById, stats: { ...stats, albums: albums.length } };
}

/** A playlist name as a file name: no path separators, reserved or control characters, at most 150 bytes. */
function safeFileName(name: string): string {
  let s = name
    .normalize('NFC')
    .replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, '_')
    .replace(/^[.\s]+|[.\s]+$/g, '');
  while (Buffer.byteLength(s) > 150) s = [...s].slice(0, -1).join('');
  return s || 'playlist';
}
