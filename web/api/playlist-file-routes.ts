// GET /api/playlists/:id/export: any playlist (a clustering's or a saved one) as a .m3u8 or JSPF download, its
// paths relative to the music root the user gives or the media server's own.
import { libraryMapScope } from '../../queries/library-map.ts';
import { exportPlaylist, PLAYLIST_FORMATS, type PlaylistFormat } from '../../queries/playlist-files.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';

export function playlistFileRoutes(deps: ApiDeps): ApiRoute[] {
  const source = libraryMapScope(deps.config).source;
  return [
    {
      method: 'get',
      path: '/api/playlists/:id/export',
      operationId: 'exportPlaylist',
      tag: 'library',
      params: {
        id: {
          type: 'string',
          minLength: 1,
          maxLength: 500,
          description: 'Our playlist id (from /api/playlists or /api/saved_playlists) or its server playlist id',
        },
      },
      query: {
        format: { type: 'string', enum: Object.keys(PLAYLIST_FORMATS), default: 'm3u8' },
        root: {
          type: 'string',
          maxLength: 4096,
          description:
            "The music folder as the media server sees it: paths under it are written relative to it; without it, the server's own paths",
        },
      },
      summary:
        'A playlist as a file: .m3u8 (#EXTINF lines and paths) or JSPF (XSPF as JSON); headers count the tracks outside the root or without a path',
      produces: Object.values(PLAYLIST_FORMATS).map((f) => f.contentType),
      responses: { 200: 'The file, as an attachment', 404: 'Unknown playlist' },
      async handler(ctx, { params, query }) {
        const file = await exportPlaylist(deps.pool, source, params.id, {
          format: (query.format as PlaylistFormat | undefined) ?? 'm3u8',
          root: query.root as string | undefined,
        });
        if (!file) throw new ApiError(404, `no such playlist: ${params.id}`, 'id');
        ctx.attachment(file.fileName);
        ctx.set('Content-Type', file.contentType);
        ctx.set('AudioMuse-Tracks', String(file.tracks));
        ctx.set('AudioMuse-Outside-Root', String(file.outsideRoot));
        ctx.set('AudioMuse-Without-Path', String(file.withoutPath));
        return file.body;
      },
    },
  ];
}
