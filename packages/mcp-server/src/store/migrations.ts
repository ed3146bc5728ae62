/** Numbered schema migrations, applied in order at open, all pending ones in one write transaction. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; statements: string[] }> = [
  {
    version: 1,
    name: 'executions, episodes, steps, modules, full-text search',
    statements: [
      `CREATE TABLE episodes (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        task TEXT NOT NULL,
        domain TEXT,
        task_type TEXT,
        context TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        outcome TEXT,
        notes TEXT,
        started_at INTEGER NOT NULL,
        completed_at INTEGER,
        duration_ms INTEGER
      )`,
      'CREATE INDEX episodes_task_type ON episodes(task_type, started_at)',
      'CREATE INDEX episodes_domain ON episodes(domain, started_at)',
      'CREATE INDEX episodes_started ON episodes(started_at)',
      'CREATE INDEX episodes_outcome ON episodes(outcome)',
      `CREATE TABLE steps (
        id INTEGER PRIMARY KEY,
        episode_id TEXT NOT NULL REFERENCES episodes(id),
        seq INTEGER NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (episode_id, seq)
      )`,
      `CREATE TABLE executions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        episode_id TEXT REFERENCES episodes(id),
        language TEXT NOT NULL,
        backend TEXT NOT NULL,
        status TEXT NOT NULL,
        route_reason TEXT,
        error_kind TEXT,
        code_sha256 TEXT,
        code TEXT,
        result TEXT NOT NULL,
        total_ms REAL NOT NULL,
        fuel_used INTEGER,
        created_at INTEGER NOT NULL
      )`,
      'CREATE INDEX executions_created ON executions(created_at)',
      'CREATE INDEX executions_status ON executions(status, created_at)',
      'CREATE INDEX executions_backend ON executions(backend, created_at)',
      'CREATE INDEX executions_episode ON executions(episode_id, created_at)',
      `CREATE TABLE modules (
        id TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        engine TEXT,
        source_sha256 TEXT,
        created_at INTEGER NOT NULL
      )`,
      `CREATE VIRTUAL TABLE episodes_fts USING fts5(task, context, notes, domain, task_type, content='episodes', content_rowid='seq')`,
      `CREATE TRIGGER episodes_fts_insert AFTER INSERT ON episodes BEGIN
        INSERT INTO episodes_fts(rowid, task, context, notes, domain, task_type)
        VALUES (new.seq, new.task, new.context, new.notes, new.domain, new.task_type);
      END`,
      `CREATE TRIGGER episodes_fts_update AFTER UPDATE ON episodes BEGIN
        INSERT INTO episodes_fts(episodes_fts, rowid, task, context, notes, domain, task_type)
        VALUES ('delete', old.seq, old.task, old.context, old.notes, old.domain, old.task_type);
        INSERT INTO episodes_fts(rowid, task, context, notes, domain, task_type)
        VALUES (new.seq, new.task, new.context, new.notes, new.domain, new.task_type);
      END`,
    ],
  },
  {
    version: 2,
    name: 'store_probe: the row a writability check rewrites',
    statements: ['CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)'],
  },
  {
    version: 3,
    name: 'sessions: metadata and the lease of the call running; state bases shared by digest (a fork copies none), deltas per session',
    statements: [
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        label TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ttl_ms INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        engine TEXT,
        base_digest TEXT,
        state_bytes INTEGER NOT NULL DEFAULT 0,
        limits TEXT,
        forked_from TEXT,
        lease_owner TEXT,
        lease_until INTEGER
      )`,
      'CREATE INDEX sessions_expires ON sessions(expires_at)',
      'CREATE INDEX sessions_used ON sessions(last_used_at)',
      'CREATE INDEX sessions_base ON sessions(base_digest)',
      'CREATE TABLE session_bases (digest TEXT PRIMARY KEY, bytes BLOB NOT NULL)',
      `CREATE TABLE session_deltas (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        bytes BLOB NOT NULL
      )`,
    ],
  },
];
