-- schema.sql — the tables build/imgsearch keeps in an image database.
--
-- The shell (shell/db.c) compiles this file in.  Everything above the line
-- "-- ==== image_vectors" runs on every open; every statement there is
-- idempotent.  The part from that line on is the annoy index of global
-- vectors, created when the codebook is trained, because its dimension
-- comes from the trained model (see there).
--
-- image_vectors.rowid = images.id.  score = 1 - distance = cosine
-- similarity of the two VLAD vectors.
--
-- Format version 1 (shell_meta.schema_version).

PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS shell_meta(
  key   TEXT PRIMARY KEY,
  value ANY
) WITHOUT ROWID;
INSERT OR IGNORE INTO shell_meta(key, value) VALUES ('schema_version', 1);

-- One row per file seen by `imgsearch index`, including files that failed.
CREATE TABLE IF NOT EXISTS images(
  id        INTEGER PRIMARY KEY,
  path      TEXT NOT NULL UNIQUE,   -- absolute, symlinks resolved
  size      INTEGER NOT NULL,       -- bytes
  mtime     INTEGER NOT NULL,       -- nanoseconds since 1970 (st_mtim)
  hash      TEXT,                   -- 64-bit FNV-1a of the bytes, 16 hex digits
  width     INTEGER,                -- from img_info
  height    INTEGER,
  features  INTEGER,                -- sift_count(features.sift)
  status    TEXT NOT NULL CHECK (status IN ('ok', 'error')),
  error     TEXT,                   -- why it failed, when status = 'error'
  vector    INTEGER NOT NULL DEFAULT 0,  -- 1 when image_vectors and image_words have its rows
  indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS images_hash ON images(hash);

-- The sift blob (img_sift, at most 1000 features) of every image with
-- status 'ok'.  Kept to train the codebook and for img_match (--verify).
CREATE TABLE IF NOT EXISTS features(
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  sift     BLOB NOT NULL
);

-- The thumbnails of featureless images (fewer than 100 SIFT features:
-- skies, gradients, flat scans; shell/thumbs.c): img_thumb of the image and
-- of its mirror image (float32[256], zero mean, unit norm).  search and
-- dups compare them by correlation instead of visual words.
CREATE TABLE IF NOT EXISTS thumbs(
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  thumb    BLOB NOT NULL,
  mirror   BLOB NOT NULL
);

-- The one codebook (img_codebook_train over features.sift) that every
-- vector in image_vectors was computed with.
CREATE TABLE IF NOT EXISTS codebook(
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  codebook   BLOB NOT NULL,
  clusters   INTEGER NOT NULL,      -- k; img_vlad gives 128 x k dims
  images     INTEGER NOT NULL,      -- how many images it was trained on
  trained_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- The PCA-whitening (img_pca_train) of the vectors, trained with the
-- codebook on up to 1000 of the same images: every vector in
-- image_vectors is img_vlad(sift, codebook, pca).  No row: vectors are the
-- full 128 x clusters dims (collections of under 1000 images, or
-- `index --dims 0`).  Scores of reduced vectors run higher than those of
-- full ones, so `dups` has a default --min-score for each.
CREATE TABLE IF NOT EXISTS projection(
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  pca        BLOB NOT NULL,
  dims       INTEGER NOT NULL,      -- output dims of the PCA
  images     INTEGER NOT NULL       -- how many vectors it was trained on
);

-- The visual vocabulary (img_vocab_train over features.sift, trained with
-- the codebook on the same images): 32^depth words, depth 2 below 1000
-- images and 3 from then on.  Every row of image_words was made with it:
-- image_words.words = img_words(sift, vocab).
CREATE TABLE IF NOT EXISTS vocabulary(
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  vocab      BLOB NOT NULL,
  depth      INTEGER NOT NULL,
  images     INTEGER NOT NULL       -- how many images it was trained on
);

-- The annoy index of the global vectors, image_vectors(rowid, vlad), with
-- metric=angular: img_vlad vectors have unit norm, so distance gives the
-- cosine.  Its DIM is the length of img_vlad's vectors under the stored
-- codebook and projection: the projection's output dims, or without a
-- projection 128 x codebook.clusters.  `imgsearch index` runs the part
-- below when it trains the codebook, in the same transaction, as an
-- sqlite3_mprintf format whose one conversion is DIM (so no other percent
-- sign may appear below the marker line), and every vector is computed
-- again.  image_words (a wordindex table: ext/wordindex/) is the inverted
-- file of every image's visual words, the first stage of `search` and
-- `dups`; images.vector = 1 means the image has both rows.
-- ==== image_vectors
DROP TABLE IF EXISTS image_vectors;
CREATE VIRTUAL TABLE image_vectors USING annoy(vlad float32[%d], metric=angular);
DROP TABLE IF EXISTS image_words;
CREATE VIRTUAL TABLE image_words USING wordindex;
UPDATE images SET vector=0 WHERE vector<>0;
