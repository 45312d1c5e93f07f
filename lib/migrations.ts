// Versioned schema. Append new migrations; never edit an applied one. Applied under an advisory lock so
// the web server and the worker may start at the same moment.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tracks, features, runs, playlists',
    sql: `
      -- One row per track per media source. (source, item_id) is the server's identity of the track.
      CREATE TABLE tracks (
        id              BIGSERIAL PRIMARY KEY,
        source          TEXT NOT NULL,
        item_id         TEXT NOT NULL,
        album_id        TEXT,
        title           TEXT,
        artist          TEXT,
        album           TEXT,
        duration_sec    REAL,
        analysis_status TEXT NOT NULL DEFAULT 'pending' CHECK (analysis_status IN ('pending', 'analyzed', 'failed')),
        failure_code    TEXT,
        failure_reason  TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (source, item_id)
      );
      CREATE INDEX tracks_album ON tracks (source, album_id);
      CREATE INDEX tracks_status ON tracks (analysis_status);

      -- Analysis results. embedding = 200 float32 little-endian (800 bytes); tags = the 50 MSD scores in label order.
      CREATE TABLE track_features (
        track_id      BIGINT PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
        embedding     BYTEA NOT NULL CHECK (octet_length(embedding) = 800),
        tags          REAL[] NOT NULL CHECK (array_length(tags, 1) = 50),
        danceable     REAL NOT NULL,
        aggressive    REAL NOT NULL,
        happy         REAL NOT NULL,
        party         REAL NOT NULL,
        relaxed       REAL NOT NULL,
        sad           REAL NOT NULL,
        tempo         REAL NOT NULL,
        musical_key   TEXT NOT NULL,
        scale         TEXT NOT NULL CHECK (scale IN ('major', 'minor')),
        key_strength  REAL,
        energy        REAL NOT NULL,
        patches       INTEGER NOT NULL,
        model_version TEXT NOT NULL,
        analyzed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      );

      CREATE TABLE analysis_runs (
        id            BIGSERIAL PRIMARY KEY,
        workflow_id   TEXT NOT NULL UNIQUE,
        source        TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        params        JSONB NOT NULL DEFAULT '{}',
        albums_total  INTEGER,
        albums_done   INTEGER NOT NULL DEFAULT 0,
        tracks_done   INTEGER NOT NULL DEFAULT 0,
        tracks_failed INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        finished_at   TIMESTAMPTZ
      );

      CREATE TABLE clustering_runs (
        id           BIGSERIAL PRIMARY KEY,
        workflow_id  TEXT NOT NULL UNIQUE,
        status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        params       JSONB NOT NULL DEFAULT '{}',
        search_state JSONB,
        generation   INTEGER NOT NULL DEFAULT 0,
        best_score   DOUBLE PRECISION,
        best_params  JSONB,
        error        TEXT,
        started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        finished_at  TIMESTAMPTZ
      );

      CREATE TABLE playlists (
        id                 BIGSERIAL PRIMARY KEY,
        clustering_run_id  BIGINT REFERENCES clustering_runs (id) ON DELETE SET NULL,
        source             TEXT NOT NULL,
        name               TEXT NOT NULL,
        tag_name           TEXT,
        server_playlist_id TEXT,
        profile            JSONB,
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at       TIMESTAMPTZ
      );

      CREATE TABLE playlist_tracks (
        playlist_id BIGINT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        track_id    BIGINT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
        PRIMARY KEY (playlist_id, position)
      );

      -- Written by the round-trip workflow: proof that client -> server -> worker -> activity -> Postgres works.
      CREATE TABLE round_trips (
        token       TEXT PRIMARY KEY,
        worker      TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'durable library analysis',
    sql: `
      -- The server's change marker of the file (Jellyfin Etag, size+mtime of a local file ...): a track whose
      -- marker differs from the one it was analysed with is analysed again.
      ALTER TABLE tracks ADD COLUMN change_marker TEXT;
      ALTER TABLE tracks ADD COLUMN analyzed_marker TEXT;
      -- Version of the analysis a failure was recorded with: a new model or DSP revision retries failed tracks.
      ALTER TABLE tracks ADD COLUMN failure_version TEXT;
      -- How many times features were written for the track (1 unless it was re-analysed on purpose).
      ALTER TABLE track_features ADD COLUMN writes INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE track_features RENAME COLUMN model_version TO analysis_version;
      -- A few seconds of audio give embeddings and tags but may give no tempo, key or energy.
      ALTER TABLE track_features ALTER COLUMN tempo DROP NOT NULL, ALTER COLUMN musical_key DROP NOT NULL,
        ALTER COLUMN scale DROP NOT NULL, ALTER COLUMN energy DROP NOT NULL;
      CREATE INDEX track_features_version ON track_features (analysis_version);

      -- A workflow id is reused by later runs (\`analyze-library\`): a run is its id plus its first run id.
      ALTER TABLE analysis_runs DROP CONSTRAINT analysis_runs_workflow_id_key;
      ALTER TABLE analysis_runs ADD COLUMN first_run_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE analysis_runs ADD UNIQUE (workflow_id, first_run_id);
      ALTER TABLE analysis_runs ADD COLUMN albums_failed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE analysis_runs ADD COLUMN tracks_skipped INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE analysis_runs ADD COLUMN progress JSONB;
      ALTER TABLE analysis_runs ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
      -- One library analysis at a time, whoever started it (web, CLI, temporal CLI with its own id).
      CREATE UNIQUE INDEX analysis_runs_one_running ON analysis_runs ((true)) WHERE status = 'running';
    `,
  },
  {
    version: 3,
    name: 'clustering runs, snapshots and published playlists',
    sql: `
      -- A run is its workflow id plus its first run id (the id \`cluster-library\` is reused by later runs).
      ALTER TABLE clustering_runs DROP CONSTRAINT clustering_runs_workflow_id_key;
      ALTER TABLE clustering_runs ADD COLUMN first_run_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE clustering_runs ADD UNIQUE (workflow_id, first_run_id);
      -- The library snapshot: the tracks (in the search's row order) and analysis version the run clusters,
      -- fixed at its start so an analysis adding tracks meanwhile never changes what the run sees.
      ALTER TABLE clustering_runs ADD COLUMN source TEXT NOT NULL DEFAULT '';
      ALTER TABLE clustering_runs ADD COLUMN analysis_version TEXT;
      ALTER TABLE clustering_runs ADD COLUMN snapshot_track_ids BIGINT[];
      ALTER TABLE clustering_runs ADD COLUMN progress JSONB;
      ALTER TABLE clustering_runs ADD COLUMN outcome JSONB;
      -- Server playlist ids that existed when the run first published (see activities/publishing.ts).
      ALTER TABLE clustering_runs ADD COLUMN publish_baseline TEXT[];
      ALTER TABLE clustering_runs ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
      CREATE UNIQUE INDEX clustering_runs_one_running ON clustering_runs ((true)) WHERE status = 'running';

      -- draft: stored by a run, not on the server (yet, or never with publish=false);
      -- published: on the server under server_playlist_id; superseded: a later run replaced it.
      ALTER TABLE playlists ADD COLUMN position INTEGER;
      ALTER TABLE playlists ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'published', 'superseded'));
      ALTER TABLE playlists ADD COLUMN name_source TEXT NOT NULL DEFAULT 'tag' CHECK (name_source IN ('tag', 'ai', 'kept'));
      ALTER TABLE playlists ADD COLUMN name_note TEXT;
      ALTER TABLE playlists ADD COLUMN part INTEGER;
      ALTER TABLE playlists ADD COLUMN parts INTEGER;
      ALTER TABLE playlists ADD COLUMN missing_tracks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE playlists ADD COLUMN publish_started_at TIMESTAMPTZ;
      CREATE UNIQUE INDEX playlists_run_position ON playlists (clustering_run_id, position);
      CREATE INDEX playlists_server_id ON playlists (source, server_playlist_id);
    `,
  },
  {
    version: 4,
    name: 'library map cache',
    sql: `
      -- The 2-D projection of the library for the web map, one row per library snapshot (analysis version,
      -- track count, last analysis time): computed once, reused until an analysis changes the library.
      CREATE TABLE library_maps (
        snapshot    TEXT PRIMARY KEY,
        points      JSONB NOT NULL,
        computed_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 5,
    name: 'track paths',
    sql: `
      -- Where the server says the file is: a local folder's analysis process opens it directly instead of
      -- scanning the whole folder to map an id to a file.
      ALTER TABLE tracks ADD COLUMN path TEXT;
    `,
  },
  {
    version: 6,
    name: 'artist and library ids',
    sql: `
      -- The server's id of the track's artist (the Navidrome plugin asks for similar artists by it) and of the
      -- library (Jellyfin collection, Subsonic music folder) that holds it, so a query can stay in one library.
      ALTER TABLE tracks ADD COLUMN artist_id TEXT, ADD COLUMN library_id TEXT;
      CREATE INDEX tracks_artist_id ON tracks (source, artist_id);
    `,
  },
  {
    version: 7,
    name: 'vector index log and checkpoints',
    sql: `
      -- Every change to the set of analysed embeddings, written by triggers in the transaction that makes it
      -- (features stored, replaced, deleted; a track leaving or entering 'analyzed'), so the log is exactly-once
      -- with the features. Web processes apply it to their in-memory index; a checkpoint covers it up to a seq.
      CREATE TABLE vector_index_changes (
        seq              BIGSERIAL PRIMARY KEY,
        source           TEXT NOT NULL,
        analysis_version TEXT NOT NULL,
        track_id         BIGINT NOT NULL,
        op               TEXT NOT NULL CHECK (op IN ('add', 'remove')),
        at               TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX vector_index_changes_scope ON vector_index_changes (source, analysis_version, seq);

      CREATE FUNCTION log_vector_change(p_track BIGINT, p_version TEXT, p_op TEXT) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        -- One logging transaction at a time from here to its commit: seq order is commit order, so a reader
        -- that has applied everything up to seq n never sees a smaller seq appear later.
        PERFORM pg_advisory_xact_lock(2107);
        INSERT INTO vector_index_changes (source, analysis_version, track_id, op)
        SELECT t.source, p_version, p_track, p_op FROM tracks t WHERE t.id = p_track;
      END $$;

      CREATE FUNCTION track_features_logged() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.analysis_version <> NEW.analysis_version) THEN
          PERFORM log_vector_change(OLD.track_id, OLD.analysis_version, 'remove');
        END IF;
        IF TG_OP <> 'DELETE' THEN
          PERFORM log_vector_change(NEW.track_id, NEW.analysis_version, 'add');
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER track_features_log AFTER INSERT OR UPDATE OF embedding, analysis_version OR DELETE
        ON track_features FOR EACH ROW EXECUTE FUNCTION track_features_logged();

      CREATE FUNCTION tracks_logged() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- A deleted track is logged before its features cascade away (they could not find its source then).
        PERFORM log_vector_change(OLD.id, f.analysis_version,
                  CASE WHEN TG_OP = 'UPDATE' AND NEW.analysis_status = 'analyzed' THEN 'add' ELSE 'remove' END)
           FROM track_features f WHERE f.track_id = OLD.id;
        RETURN OLD; -- a BEFORE DELETE trigger returning NULL would cancel the delete
      END $$;
      CREATE TRIGGER tracks_status_log AFTER UPDATE OF analysis_status ON tracks FOR EACH ROW
        WHEN ((OLD.analysis_status = 'analyzed') IS DISTINCT FROM (NEW.analysis_status = 'analyzed'))
        EXECUTE FUNCTION tracks_logged();
      CREATE TRIGGER tracks_delete_log BEFORE DELETE ON tracks FOR EACH ROW EXECUTE FUNCTION tracks_logged();

      -- A serialised index of one scope, covering the log up to seq, stored in chunks; written with its chunks
      -- in one transaction, so a half-written checkpoint is never seen. sha256 finds a corrupt one.
      CREATE TABLE vector_index_checkpoints (
        id               BIGSERIAL PRIMARY KEY,
        source           TEXT NOT NULL,
        analysis_version TEXT NOT NULL,
        seq              BIGINT NOT NULL,
        vectors          INTEGER NOT NULL,
        quantization     TEXT NOT NULL,
        bytes            BIGINT NOT NULL,
        sha256           TEXT NOT NULL,
        created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX vector_index_checkpoints_scope ON vector_index_checkpoints (source, analysis_version, id);
      CREATE TABLE vector_index_chunks (
        checkpoint_id BIGINT NOT NULL REFERENCES vector_index_checkpoints (id) ON DELETE CASCADE,
        n             INTEGER NOT NULL,
        data          BYTEA NOT NULL,
        PRIMARY KEY (checkpoint_id, n)
      );
      ALTER TABLE vector_index_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 8,
    name: 'saved playlists',
    sql: `
      -- clustering: made by a clustering run, replaced by the next one; saved: a listening result the user saved
      -- (POST /api/create_playlist), never replaced or deleted by a clustering publish.
      ALTER TABLE playlists ADD COLUMN origin TEXT NOT NULL DEFAULT 'clustering' CHECK (origin IN ('clustering', 'saved'));
    `,
  },
  {
    version: 10,
    name: 'songs left out of a clustering run',
    sql: `
      -- Every analysed song of a run's snapshot in none of its playlists, and why (the run result and the UI
      -- explain each one). Written with the run's draft playlists, in their transaction.
      CREATE TABLE clustering_left_out (
        clustering_run_id BIGINT NOT NULL REFERENCES clustering_runs (id) ON DELETE CASCADE,
        track_id          BIGINT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
        reason            TEXT NOT NULL CHECK (reason IN ('noise', 'distance', 'artistCap', 'duplicate', 'smallCluster')),
        PRIMARY KEY (clustering_run_id, track_id)
      );
    `,
  },
  {
    version: 11,
    name: 'people and their listening history',
    sql: `
      -- A person whose fingerprints and radios are made from their own listening: a user of the media server
      -- (server_user_id: Jellyfin's user id, the Subsonic user name), or of a local folder with a scrobble export.
      -- credentials: their own Subsonic login, encrypted at rest (never needed for Jellyfin, whose admin token
      -- reads every user's data).
      CREATE TABLE users (
        id             BIGSERIAL PRIMARY KEY,
        source         TEXT NOT NULL,
        server_user_id TEXT,
        name           TEXT NOT NULL,
        credentials    BYTEA,
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (source, name)
      );
      -- What each person played: the server's counts, last play and favourite, or a scrobble file's, per track.
      CREATE TABLE listening_history (
        user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        track_id    BIGINT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
        play_count  INTEGER NOT NULL DEFAULT 0 CHECK (play_count >= 0),
        last_played TIMESTAMPTZ,
        favourite   BOOLEAN NOT NULL DEFAULT false,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, track_id)
      );
    `,
  },
  {
    version: 12,
    name: 'radios',
    sql: `
      -- A radio: a saved recipe (songs like seeds, an alchemy blend, a person's fingerprint, a path from one song
      -- to another) re-run into the same server playlist. publish_started_at: a create was asked for and its id
      -- not stored yet, so a retry looks the name up instead of creating a second playlist; publish_baseline: the
      -- ids of playlists of that name before the create (a person's own), which a retry never adopts.
      CREATE TABLE radios (
        id                 BIGSERIAL PRIMARY KEY,
        source             TEXT NOT NULL,
        name               TEXT NOT NULL,
        user_id            BIGINT REFERENCES users (id) ON DELETE CASCADE,
        recipe             JSONB NOT NULL,
        size               INTEGER NOT NULL CHECK (size > 0),
        server_playlist_id TEXT,
        publish_started_at TIMESTAMPTZ,
        publish_baseline   TEXT[],
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (source, name)
      );
      -- One refresh: what it changed on the server (or why it published nothing: status skipped and a reason).
      -- run_key (the workflow run) makes a retried recording a no-op.
      CREATE TABLE radio_runs (
        id          BIGSERIAL PRIMARY KEY,
        radio_id    BIGINT NOT NULL REFERENCES radios (id) ON DELETE CASCADE,
        run_key     TEXT NOT NULL,
        started_at  TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        status      TEXT NOT NULL CHECK (status IN ('published', 'skipped')),
        added       INTEGER NOT NULL DEFAULT 0,
        removed     INTEGER NOT NULL DEFAULT 0,
        kept        INTEGER NOT NULL DEFAULT 0,
        track_ids   TEXT[] NOT NULL DEFAULT '{}',
        reason      TEXT,
        UNIQUE (radio_id, run_key)
      );
    `,
  },
  {
    version: 13,
    name: 'indexes for big libraries',
    sql: `
      -- The track list's order (GET /api/tracks): a page is an index walk instead of a sort of every track.
      CREATE INDEX tracks_listing ON tracks (artist, album, title, id);
      -- Its search: ILIKE '%part%' on title, artist or album through trigrams instead of a scan of every track
      -- (pg_trgm ships with PostgreSQL and is trusted: a database owner may create it).
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX tracks_title_trgm ON tracks USING gin (title gin_trgm_ops);
      CREATE INDEX tracks_artist_trgm ON tracks USING gin (artist gin_trgm_ops);
      CREATE INDEX tracks_album_trgm ON tracks USING gin (album gin_trgm_ops);
    `,
  },
];
