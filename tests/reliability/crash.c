/*
** crash.c — crash safety: a process writing the database is killed with
** SIGKILL at a random moment, then the file is reopened and checked
** (issue 5, item 1).
**
**   crash EXTENSION [--full] [--seed N]
**   crash EXTENSION --child DB SEED SYNC (part 1's writer, started by part 1)
**
** 1.x  annoy table. A child process (this program with --child) applies
**      numbered batches of INSERT, UPDATE, INSERT OR REPLACE and DELETE to
**      an annoy table t and, in the same transaction, to a plain table
**      mirror; it tells the driver over a pipe when it begins batch n,
**      starts its COMMIT and returns from it. Batch n depends only on SEED,
**      n and the rows batches 1..n-1 left, so the driver recomputes the
**      expected rows from the batch number stored in the file. After a
**      random delay the driver freezes the child (SIGSTOP), notes where it
**      was, kills it (SIGKILL), reopens the file and checks: integrity_check
**      and annoy_check are ok; the stored batch number is the last one
**      reported committed, or the one whose COMMIT was under way; t and
**      mirror hold exactly the rows of that batch number; every row is
**      found at distance 0 by an exact k = 1 query of its own vector and by
**      the table's default (forest) search. The next child carries on with
**      the same file. Two files take turns: rollback journal and WAL; on
**      each, every other writer runs with PRAGMA synchronous=OFF (a killed
**      process loses nothing the OS has been given), which makes COMMIT
**      short and sends more kills into the transaction and the tree flush.
** 2.x  imgsearch index. The tool (next to EXTENSION) indexes copies of
**      samples/ and is killed at a random moment, up to twice in a row;
**      after each kill the file passes integrity_check and annoy_check and
**      its tables agree with each other. A last run to completion must then
**      leave the same images, features, codebook and vectors as one
**      uninterrupted run, and a search for a sample finds a copy of itself
**      first.
**
** Kills: 100 per journal mode and 100 of the tool with --full, 3 + 3 and 2
** without. Where the kills landed is printed as "# " lines. The delays come
** from SEED (printed); the moments they hit also depend on the machine.
*/
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "testlib.h"

/* ---- shared: time, tallies, locks of a frozen process ------------------------ */

static double now_seconds(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec*1e-9;
}

/* How many times each label was seen, in order of first appearance. */
typedef struct Tally { const char *label[12]; int count[12]; int n; } Tally;

static void tally_add(Tally *t, const char *label){
  int i;
  for(i=0; i<t->n && strcmp(t->label[i], label)!=0; i++){}
  if( i==t->n ){
    if( t->n==12 ) return;
    t->label[t->n++] = label;
  }
  t->count[i]++;
}

static void tally_print(const Tally *t, const char *title){
  int i;
  printf("# %s:\n", title);
  for(i=0; i<t->n; i++) printf("#   %4d  %s\n", t->count[i], t->label[i]);
}

/* 1 when another process holds a lock on bytes [offset, offset+len) of
** path that conflicts with one of type `type`: F_WRLCK asks "is any lock
** held", F_RDLCK asks "is a write lock held". Byte offsets are those of
** SQLite's unix VFS: the database file's PENDING byte is 0x40000000,
** RESERVED the next, then 510 SHARED bytes; a WAL database's -shm file has
** its locks from byte 120 (WAL_WRITE_LOCK, then WAL_CKPT_LOCK). */
static int locked_by_other(const char *path, off_t offset, off_t len, short type){
  struct flock lock;
  int fd = open(path, O_RDWR), held;
  if( fd<0 ) return 0;
  memset(&lock, 0, sizeof(lock));
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = offset;
  lock.l_len = len;
  held = fcntl(fd, F_GETLK, &lock)==0 && lock.l_type!=F_UNLCK;
  close(fd);
  return held;
}

/* What a frozen writer of database `path` holds, as a label. */
static const char *writer_lock_state(const char *path, int wal){
  char shm[600];
  if( wal ){
    snprintf(shm, sizeof(shm), "%s-shm", path);
    if( locked_by_other(shm, 121, 1, F_RDLCK) ) return "WAL checkpoint lock held (checkpointing)";
    if( locked_by_other(shm, 120, 1, F_RDLCK) ) return "WAL write lock held (in a write transaction)";
    return "no WAL write lock (between write transactions)";
  }
  if( locked_by_other(path, 0x40000002, 510, F_RDLCK) ) return "EXCLUSIVE lock (writing the database file at COMMIT)";
  if( locked_by_other(path, 0x40000001, 1, F_WRLCK) ) return "RESERVED lock (in a write transaction)";
  return "no write lock (between write transactions)";
}

/* Freeze pid with SIGSTOP so it can be looked at where it is. 0 if it had
** already exited (it is then reaped). */
static int freeze(pid_t pid){
  int status;
  kill(pid, SIGSTOP);
  if( waitpid(pid, &status, WUNTRACED)!=pid ) return 0;
  return WIFSTOPPED(status);
}

/* SIGKILL a frozen process: it dies at the instruction it was stopped at. */
static void kill_frozen(pid_t pid){
  int status;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

static sqlite3_int64 query_int(sqlite3 *db, const char *sql){
  char *text = query_text(db, "%s", sql);
  sqlite3_int64 v = text ? strtoll(text, 0, 10) : -1;
  sqlite3_free(text);
  return v;
}

static const char *file_suffixed(char *buf, const char *path, const char *suffix){
  snprintf(buf, 600, "%s%s", path, suffix);
  return buf;
}

static void remove_database(const char *path){
  char buf[600];
  remove(path);
  remove(file_suffixed(buf, path, "-journal"));
  remove(file_suffixed(buf, path, "-wal"));
  remove(file_suffixed(buf, path, "-shm"));
}

/* ---- part 1: the batches ------------------------------------------------------ */

#define DIM 12
#define ROWID_SPACE 4000       /* rowids 1..4000; about 3000 are live */
#define FIRST_BATCH_OPS 2500
#define MAX_BATCH_OPS 100

typedef struct Rows {
  unsigned char present[ROWID_SPACE+1];
  float v[ROWID_SPACE+1][DIM];
  int count;
} Rows;

typedef enum Op { OP_INSERT, OP_UPDATE, OP_REPLACE, OP_DELETE, N_OPS } Op;

/* Each operation on t, then on mirror; ?1 rowid, ?2 float32 BLOB. */
static const char *const op_sql[N_OPS][2] = {
  { "INSERT INTO t(rowid, v) VALUES(?1, ?2)", "INSERT INTO mirror(id, v) VALUES(?1, ?2)" },
  { "UPDATE t SET v=?2 WHERE rowid=?1", "UPDATE mirror SET v=?2 WHERE id=?1" },
  { "INSERT OR REPLACE INTO t(rowid, v) VALUES(?1, ?2)",
    "INSERT OR REPLACE INTO mirror(id, v) VALUES(?1, ?2)" },
  { "DELETE FROM t WHERE rowid=?1 AND ?2 IS NULL", "DELETE FROM mirror WHERE id=?1 AND ?2 IS NULL" },
};

typedef struct Writer { sqlite3 *db; sqlite3_stmt *op[N_OPS][2]; sqlite3_stmt *progress; } Writer;

static const char annoy_schema[] =
  "CREATE VIRTUAL TABLE t USING annoy(v float32[12], trees=4, leaf_size=8, search_k=40);"
  "CREATE TABLE mirror(id INTEGER PRIMARY KEY, v BLOB NOT NULL);"
  "CREATE TABLE progress(batch INTEGER NOT NULL);"
  "INSERT INTO progress VALUES(0);";

static int op_run(Writer *w, Op op, int rowid, const float *v){
  int i, rc = SQLITE_OK;
  for(i=0; i<2 && rc==SQLITE_OK; i++){
    sqlite3_stmt *st = w->op[op][i];
    sqlite3_bind_int(st, 1, rowid);
    if( op==OP_DELETE ) sqlite3_bind_null(st, 2);
    else sqlite3_bind_blob(st, 2, v, DIM*(int)sizeof(float), SQLITE_STATIC);
    rc = sqlite3_step(st)==SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(w->db);
    sqlite3_reset(st);
  }
  return rc;
}

/* Apply batch n to rows and, when w is not NULL, to its database (inside
** the caller's transaction). Batch 1 loads FIRST_BATCH_OPS rows; later ones
** do 1..MAX_BATCH_OPS operations on random rowids: an absent rowid is
** inserted, a live one updated, replaced or deleted. Vectors are random in
** [-1000, 1000) to 0.001, so no two rows tie. */
static int batch_apply(Rows *rows, uint64_t seed, int n, Writer *w){
  uint64_t saved = test_rng;
  int ops, i, e, rc = SQLITE_OK;
  test_rng = (seed*0x9E3779B97F4A7C15ull) ^ ((uint64_t)n<<24) ^ 1;
  ops = n==1 ? FIRST_BATCH_OPS : 1 + (int)(rnd()%MAX_BATCH_OPS);
  for(i=0; i<ops && rc==SQLITE_OK; i++){
    int r = 1 + (int)(rnd()%ROWID_SPACE);
    Op op = rows->present[r] ? (Op)(OP_UPDATE + rnd()%3) : OP_INSERT;
    if( op==OP_DELETE ){
      rows->present[r] = 0;
      rows->count--;
    }else{
      for(e=0; e<DIM; e++) rows->v[r][e] = (float)(rnd()%2000000)/1000.0f - 1000.0f;
      if( !rows->present[r] ) rows->count++;
      rows->present[r] = 1;
    }
    if( w ) rc = op_run(w, op, r, rows->v[r]);
  }
  if( w && rc==SQLITE_OK ){
    sqlite3_bind_int(w->progress, 1, n);
    rc = sqlite3_step(w->progress)==SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(w->db);
    sqlite3_reset(w->progress);
  }
  test_rng = saved;
  return rc;
}

/* What the child tells the driver: phase 'B' (batch n begun), 'C' (its
** COMMIT starts) or 'D' (COMMIT returned). */
typedef struct Report { int phase, batch; } Report;

static void child_report(int phase, int batch){
  Report r;
  r.phase = phase;
  r.batch = batch;
  if( write(1, &r, sizeof(r))!=(ssize_t)sizeof(r) ) exit(3);
}

static void child_fail(Writer *w, const char *what){
  fprintf(stderr, "crash child: %s: %s\n", what, sqlite3_errmsg(w->db));
  exit(3);
}

/* The writer: carries on from the batch the file holds until it is killed. */
_Noreturn static void child_main(const char *path, uint64_t seed, const char *synchronous){
  Writer w;
  Rows *rows = calloc(1, sizeof(Rows));
  int n, batch, op, i;
  prctl(PR_SET_PDEATHSIG, SIGKILL);     /* never outlive the driver */
  w.db = open_db(path);
  if( exec(w.db, "PRAGMA synchronous=%s", synchronous) ) child_fail(&w, "PRAGMA synchronous");
  batch = (int)query_int(w.db, "SELECT batch FROM progress");
  if( rows==0 || batch<0 ) child_fail(&w, "cannot start");
  for(n=1; n<=batch; n++) batch_apply(rows, seed, n, 0);
  for(op=0; op<N_OPS; op++){
    for(i=0; i<2; i++){
      if( sqlite3_prepare_v2(w.db, op_sql[op][i], -1, &w.op[op][i], 0) ) child_fail(&w, op_sql[op][i]);
    }
  }
  if( sqlite3_prepare_v2(w.db, "UPDATE progress SET batch=?1", -1, &w.progress, 0) ){
    child_fail(&w, "prepare progress");
  }
  for(n=batch+1; ; n++){
    child_report('B', n);
    if( exec(w.db, "BEGIN") ) child_fail(&w, "BEGIN");
    if( batch_apply(rows, seed, n, &w) ) child_fail(&w, "batch");
    child_report('C', n);
    if( exec(w.db, "COMMIT") ) child_fail(&w, "COMMIT");
    child_report('D', n);
  }
}

/* ---- part 1: the driver -------------------------------------------------------- */

typedef struct CrashFile {
  const char *journal;        /* "delete" or "wal" */
  char path[512];
  uint64_t seed;              /* the child's batches */
  Rows *rows;                 /* the rows after `batch` */
  int batch;                  /* the batch the file held at the last check */
} CrashFile;

typedef struct AnnoyStats {
  int kills, rows_checked, commit_kept, commit_undone;
  Tally phase, lock;
} AnnoyStats;

static const char *phase_label(const Report *last, int synchronous_off){
  static const char *const label[2][4] = {
    { "synchronous=FULL: starting up (before its first BEGIN)",
      "synchronous=FULL: inside a transaction, before COMMIT",
      "synchronous=FULL: inside COMMIT",
      "synchronous=FULL: between transactions (after COMMIT returned)" },
    { "synchronous=OFF:  starting up (before its first BEGIN)",
      "synchronous=OFF:  inside a transaction, before COMMIT",
      "synchronous=OFF:  inside COMMIT",
      "synchronous=OFF:  between transactions (after COMMIT returned)" },
  };
  int i = last->phase=='B' ? 1 : last->phase=='C' ? 2 : last->phase=='D' ? 3 : 0;
  return label[synchronous_off][i];
}

/* Rows of `sql` (rowid, float32 BLOB, in rowid order) that differ from
** rows, plus rows missing. */
static int rows_differences(sqlite3 *db, const char *sql, const Rows *rows){
  sqlite3_stmt *st;
  int seen = 0, bad = 0;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0) ) return rows->count + 1;
  while( sqlite3_step(st)==SQLITE_ROW ){
    sqlite3_int64 r = sqlite3_column_int64(st, 0);
    const void *v = sqlite3_column_blob(st, 1);
    seen++;
    if( r<1 || r>ROWID_SPACE || !rows->present[r]
     || sqlite3_column_bytes(st, 1)!=DIM*(int)sizeof(float) || memcmp(v, rows->v[r], DIM*sizeof(float)) ){
      bad++;
    }
  }
  if( sqlite3_errcode(db)!=SQLITE_DONE ) bad++;
  sqlite3_finalize(st);
  return bad + (seen>rows->count ? seen-rows->count : rows->count-seen);
}

/* Live rows that `sql` (?1 = the row's vector) does not return first at
** distance 0. */
static int rows_not_found(sqlite3 *db, const char *sql, const Rows *rows){
  sqlite3_stmt *st;
  int r, missed = 0;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0) ) return rows->count;
  for(r=1; r<=ROWID_SPACE; r++){
    if( !rows->present[r] ) continue;
    sqlite3_bind_blob(st, 1, rows->v[r], DIM*(int)sizeof(float), SQLITE_STATIC);
    if( sqlite3_step(st)!=SQLITE_ROW || sqlite3_column_int64(st, 0)!=r || sqlite3_column_double(st, 1)!=0.0 ){
      missed++;
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return missed;
}

/* Read reports waiting in the pipe and keep the last; read()'s result. */
static ssize_t read_reports(int fd, Report *last){
  Report got[64];
  ssize_t n = read(fd, got, sizeof(got));
  if( n>=(ssize_t)sizeof(Report) ) *last = got[n/(ssize_t)sizeof(Report) - 1];
  return n;
}

/* Reopen f after a kill whose child last reported `last`, and check it. */
static void annoy_verify(CrashFile *f, const Report *last, int synchronous_off, int kill_number,
                         AnnoyStats *stats){
  sqlite3 *db = open_db(f->path);
  int integrity = query_is(db, "ok", "PRAGMA integrity_check");
  int checked = query_is(db, "ok", "SELECT annoy_check('t')");
  int batch = (int)query_int(db, "SELECT batch FROM progress");
  int low, high, differ_t, differ_mirror, missed_exact, missed_forest, n;
  /* The batch the file may hold, from what the child said last: begun
  ** (the one before), committing (either), committed (that one), nothing
  ** yet (what the file held when the child started). */
  switch( last->phase ){
    case 'B': low = high = last->batch-1; break;
    case 'C': low = last->batch-1; high = last->batch; break;
    case 'D': low = high = last->batch; break;
    default:  low = high = f->batch; break;
  }
  if( batch<f->batch ){          /* lost commits: recompute from scratch */
    memset(f->rows, 0, sizeof(Rows));
    f->batch = 0;
  }
  for(n=f->batch+1; n<=batch; n++) batch_apply(f->rows, f->seed, n, 0);
  if( batch>f->batch ) f->batch = batch;
  if( last->phase=='C' ){
    if( batch==last->batch ) stats->commit_kept++;
    else stats->commit_undone++;
  }
  differ_t = rows_differences(db, "SELECT rowid, v FROM t ORDER BY rowid", f->rows);
  differ_mirror = rows_differences(db, "SELECT id, v FROM mirror ORDER BY id", f->rows);
  missed_exact = rows_not_found(db,
    "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = 1 AND search_k = -1", f->rows);
  missed_forest = rows_not_found(db, "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = 1", f->rows);
  stats->rows_checked += f->rows->count;
  check(integrity && checked && batch>=low && batch<=high
        && !differ_t && !differ_mirror && !missed_exact && !missed_forest,
        "crash 1.%d %s, killed %s: integrity_check %s, annoy_check %s; holds batch %d "
        "(expected %d..%d); t and mirror are its %d rows (%d, %d differ); exact and forest "
        "k = 1 find each at distance 0 (%d, %d missed)",
        kill_number, f->journal, phase_label(last, synchronous_off), integrity ? "ok" : "FAILS",
        checked ? "ok" : "FAILS", batch, low, high, f->rows->count, differ_t, differ_mirror,
        missed_exact, missed_forest);
  sqlite3_close(db);
}

/* Kill a writer kills_per_journal times on each of two files, taking turns. */
static void annoy_crashes(int kills_per_journal, uint64_t seed, int max_delay_ms){
  CrashFile files[2];
  AnnoyStats stats;
  double start = now_seconds();
  int i;
  memset(&stats, 0, sizeof(stats));
  for(i=0; i<2; i++){
    CrashFile *f = &files[i];
    sqlite3 *db;
    f->journal = i ? "wal" : "delete";
    test_file(f->path, i ? "annoy_wal.db" : "annoy_delete.db");
    f->seed = seed + (uint64_t)i;
    f->rows = calloc(1, sizeof(Rows));
    f->batch = 0;
    if( f->rows==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
    remove_database(f->path);
    db = open_db(f->path);
    check(query_is(db, f->journal, i ? "PRAGMA journal_mode=wal" : "PRAGMA journal_mode=delete")
          && exec(db, "%s", annoy_schema)==SQLITE_OK,
          "crash 1.0 %s: create t (annoy float32[12], 4 trees, leaf_size 8), mirror, progress", f->journal);
    sqlite3_close(db);
  }
  for(i=0; i<2*kills_per_journal; i++){
    CrashFile *f = &files[i%2];
    int synchronous_off = (i/2)%2;
    Report last;
    char seed_text[32];
    int fd[2];
    pid_t pid;
    double delay = (double)(rnd()%(unsigned)max_delay_ms)/1000.0, deadline = now_seconds() + 60, left;
    int clock_started = 0;
    last.phase = 0;
    last.batch = f->batch;
    snprintf(seed_text, sizeof(seed_text), "%llu", (unsigned long long)f->seed);
    if( pipe(fd) ){ perror("pipe"); exit(2); }
    pid = fork();
    if( pid==0 ){
      dup2(fd[1], 1);
      close(fd[0]);
      close(fd[1]);
      execl("/proc/self/exe", "crash", test_extension, "--child", f->path, seed_text,
            synchronous_off ? "off" : "full", (char*)0);
      _exit(127);
    }
    close(fd[1]);
    /* Read reports while waiting, so that the pipe never fills up. */
    while( (left = deadline - now_seconds())>0 ){
      struct pollfd p;
      p.fd = fd[0];
      p.events = POLLIN;
      if( poll(&p, 1, (int)(left*1000)+1)>0 && read_reports(fd[0], &last)==0 ) break;
      /* The delay counts from the child's first report, or on a new file
      ** from its first COMMIT, so that slow starts (sanitizers, a busy
      ** machine) still leave rows to check. */
      if( !clock_started && last.phase && (f->batch>0 || last.phase=='D') ){
        clock_started = 1;
        deadline = now_seconds() + delay;
      }
    }
    if( !freeze(pid) ){
      check(0, "crash 1.%d the %s writer exited before it was killed", i+1, f->journal);
      close(fd[0]);
      break;
    }
    fcntl(fd[0], F_SETFL, O_NONBLOCK);
    while( read_reports(fd[0], &last)>0 ){}
    tally_add(&stats.phase, phase_label(&last, synchronous_off));
    tally_add(&stats.lock, writer_lock_state(f->path, i%2));
    kill_frozen(pid);
    close(fd[0]);
    stats.kills++;
    annoy_verify(f, &last, synchronous_off, i+1, &stats);
  }
  printf("# 1: %d kills in %.1f s (delays uniform in 0..%d ms from each writer's first report); "
         "batches committed: %d (rollback journal), %d (WAL); %d rows checked after kills\n",
         stats.kills, now_seconds()-start, max_delay_ms, files[0].batch, files[1].batch,
         stats.rows_checked);
  tally_print(&stats.phase, "1: where the writer was, by its own reports");
  tally_print(&stats.lock, "1: which lock it held");
  printf("# 1: killed inside COMMIT: %d kept the batch, %d rolled it back\n",
         stats.commit_kept, stats.commit_undone);
  for(i=0; i<2; i++) free(files[i].rows);
}

/* ---- part 2: imgsearch index killed and resumed ------------------------------ */

typedef struct IndexCrash {
  char tool[512];             /* build/imgsearch, next to the extension */
  char images[512];           /* the copies of samples/ */
  char clean[512];            /* an uninterrupted run's database */
  char db[512];               /* the database that is killed and resumed */
  int files;
  double run_seconds;         /* how long the uninterrupted run took */
  double retrain_seconds;     /* how long --retrain of a finished index took */
  int kills, finished_first, resumed;
  Tally phase, lock;
} IndexCrash;

/* The kinds of killed run, in turn: --retrain of a finished index (a new
** codebook, then every vector again), a new index with the default batch
** (32 files per transaction), and one with --batch 4 (more, smaller
** transactions). A killed run is resumed by a plain run with the same
** batch. */
typedef struct RunKind { const char *label, *option, *value; } RunKind;
static const RunKind run_kinds[3] = {
  { "--retrain of a finished index", "--retrain", 0 },
  { "new index, default batch", 0, 0 },
  { "new index, --batch 4", "--batch", "4" },
};

/* Start `imgsearch index DB IMAGES --jobs 2 --quiet [OPTION [VALUE]]`. */
static pid_t tool_start(const IndexCrash *x, const char *db, const char *option, const char *value){
  pid_t pid = fork();
  if( pid==0 ){
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    execl(x->tool, "imgsearch", "index", db, x->images, "--jobs", "2", "--quiet", option, value, (char*)0);
    _exit(127);
  }
  return pid;
}

static int tool_wait(pid_t pid){
  int status;
  if( waitpid(pid, &status, 0)!=pid ) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Queries that count inconsistencies in a database the tool was killed
** writing; each must give 0. */
static const char *const index_consistency_sql[] = {
  "SELECT count(*) FROM images WHERE (status='ok') <> (id IN (SELECT image_id FROM features))",
  "SELECT count(*) FROM features WHERE image_id NOT IN (SELECT id FROM images)",
};
static const char *const index_vector_sql[] = {
  "SELECT count(*) FROM images WHERE vector <> (id IN (SELECT rowid FROM image_vectors))",
  "SELECT count(*) FROM image_vectors WHERE rowid NOT IN (SELECT id FROM images)",
};

static int all_zero(sqlite3 *db, const char *const *sql, int n){
  int i, ok = 1;
  for(i=0; i<n; i++) ok &= query_is(db, "0", sql[i]);
  return ok;
}

static int table_exists(sqlite3 *db, const char *name){
  char *count = query_text(db, "SELECT count(*) FROM sqlite_schema WHERE name='%q'", name);
  int exists = count && strcmp(count, "0")!=0;
  sqlite3_free(count);
  return exists;
}

/* Check the database right after a kill; *phase says how far the run got. */
static int index_check_killed(const IndexCrash *x, const char **phase){
  sqlite3 *db;
  int ok;
  if( access(x->db, F_OK)!=0 ){
    *phase = "before it created the database";
    return 1;
  }
  db = open_db(x->db);
  ok = query_is(db, "ok", "PRAGMA integrity_check");
  if( !table_exists(db, "images") ){
    *phase = "before it created its tables";
  }else if( !table_exists(db, "image_vectors") ){
    *phase = "indexing files (no codebook yet)";
    ok &= all_zero(db, index_consistency_sql, 2);
  }else{
    *phase = query_int(db, "SELECT count(*) FROM images WHERE features>0 AND vector=0")>0
           ? "codebook committed, some vectors missing"
           : "every image has a vector (finished, or --retrain before its first commit)";
    ok &= all_zero(db, index_consistency_sql, 2);
    ok &= all_zero(db, index_vector_sql, 2);
    ok &= query_is(db, "ok", "SELECT annoy_check('image_vectors')");
  }
  sqlite3_close(db);
  return ok;
}

/* Differences between x->db and the uninterrupted run's database, by path;
** each query must give 0. */
static const char *const index_difference_sql[] = {
  "SELECT count(*) FROM (SELECT path, size, mtime, hash, width, height, features, status, vector"
  "  FROM main.images EXCEPT SELECT path, size, mtime, hash, width, height, features, status,"
  "  vector FROM clean.images)",
  "SELECT count(*) FROM (SELECT path FROM clean.images EXCEPT SELECT path FROM main.images)",
  "SELECT count(*) FROM main.images a JOIN clean.images b USING(path)"
  "  WHERE (SELECT sift FROM main.features WHERE image_id=a.id)"
  "    IS NOT (SELECT sift FROM clean.features WHERE image_id=b.id)",
  "SELECT (SELECT codebook FROM main.codebook) IS NOT (SELECT codebook FROM clean.codebook)",
  "SELECT count(*) FROM main.images a JOIN clean.images b USING(path)"
  "  WHERE (SELECT vlad FROM main.image_vectors WHERE rowid=a.id)"
  "    IS NOT (SELECT vlad FROM clean.image_vectors WHERE rowid=b.id)",
};

/* The first result of `imgsearch search DB IMAGES/r0_box.png -k 1` is a
** copy of box.png (the copies are identical, so they tie) at score 1. */
static int search_finds_itself(const IndexCrash *x){
  char command[2048], line[2048] = "";
  FILE *out;
  int lines = 0;
  snprintf(command, sizeof(command), "'%s' search '%s' '%s/r0_box.png' -k 1 --format csv",
           x->tool, x->db, x->images);
  out = popen(command, "r");
  if( out==0 ) return 0;
  while( lines<2 && fgets(line, sizeof(line), out) ) lines++;   /* the header, then rank 1 */
  pclose(out);
  return lines==2 && strstr(line, ",1,") && strstr(line, "_box.png,1.0000");
}

/* 1 when x->db equals the uninterrupted run's database (see above). */
static int index_same_as_clean(const IndexCrash *x){
  sqlite3 *db = open_db(x->db);
  int same;
  exec(db, "ATTACH %Q AS clean", x->clean);
  same = all_zero(db, index_difference_sql, 5)
      && query_is(db, "ok", "PRAGMA integrity_check") && query_is(db, "ok", "SELECT annoy_check('image_vectors')");
  sqlite3_close(db);
  return same;
}

/* x->db becomes a copy of the uninterrupted run's database. */
static void copy_clean(const IndexCrash *x){
  sqlite3 *db = open_db(x->clean);
  remove_database(x->db);
  if( exec(db, "VACUUM INTO %Q", x->db) ) fprintf(stderr, "# cannot copy %s: %s\n", x->clean, sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* After the kills: a plain run to completion equals the uninterrupted one. */
static void index_resume(IndexCrash *x, int kills_this_run, const RunKind *kind){
  int resumed_with_batch = kind->option && strcmp(kind->option, "--batch")==0;
  int status = tool_wait(tool_start(x, x->db, resumed_with_batch ? kind->option : 0, kind->value));
  x->resumed++;
  check(status==0 && index_same_as_clean(x) && search_finds_itself(x),
        "crash 2.%d resumed after %d kill(s) of %s: exit %d; images, features, codebook and vectors "
        "equal the uninterrupted run's; integrity_check and annoy_check ok; box.png finds itself first",
        x->resumed, kills_this_run, kind->label, status);
}

/* Kill `imgsearch index` kills_wanted times, up to twice before each resume. */
static void index_crashes(int kills_wanted, int replicas){
  IndexCrash x;
  char command[2048];
  const char *samples = getenv("SAMPLES") ? getenv("SAMPLES") : "samples";
  const char *slash = strrchr(test_extension, '/');
  double start = now_seconds();
  int r, status, cycle;
  memset(&x, 0, sizeof(x));
  snprintf(x.tool, sizeof(x.tool), "%.*s/imgsearch", slash ? (int)(slash-test_extension) : 1,
           slash ? test_extension : ".");
  test_file(x.images, "images");
  test_file(x.clean, "clean.db");
  test_file(x.db, "killed.db");
  if( access(x.tool, X_OK)!=0 ){
    check(0, "crash 2.0 the tool %s is built (make)", x.tool);
    return;
  }
  mkdir(x.images, 0755);
  for(r=0; r<replicas; r++){
    snprintf(command, sizeof(command),
             "for f in '%s'/*.jpg '%s'/*.png; do cp \"$f\" '%s'/r%d_\"$(basename \"$f\")\"; done",
             samples, samples, x.images, r);
    if( system(command)!=0 ){
      check(0, "crash 2.0 copy %s to %s", samples, x.images);
      return;
    }
  }
  x.files = replicas*18;
  remove_database(x.clean);
  status = tool_wait(tool_start(&x, x.clean, 0, 0));
  x.run_seconds = now_seconds() - start;
  {
    sqlite3 *db = open_db(x.clean);
    check(status==0 && query_int(db, "SELECT count(*) FROM images WHERE status='ok'")==x.files,
          "crash 2.0 an uninterrupted run indexes the %d copies of samples/ (exit %d, %.1f s)",
          x.files, status, x.run_seconds);
    sqlite3_close(db);
  }
  copy_clean(&x);
  {
    double retrain_start = now_seconds();
    status = tool_wait(tool_start(&x, x.db, "--retrain", 0));
    x.retrain_seconds = now_seconds() - retrain_start;
    check(status==0 && index_same_as_clean(&x),
          "crash 2.0 --retrain of a finished index gives the same codebook and vectors (exit %d, %.1f s)",
          status, x.retrain_seconds);
  }
  for(cycle=0; x.kills<kills_wanted; cycle++){
    const RunKind *kind = &run_kinds[cycle%3];
    int retrain = kind==&run_kinds[0], kills_this_run = 0;
    if( retrain ) copy_clean(&x);
    else remove_database(x.db);
    /* A new index is killed up to twice (the second time while resuming);
    ** --retrain once. */
    while( kills_this_run<(retrain ? 1 : 2) && x.kills<kills_wanted ){
      double seconds = retrain ? x.retrain_seconds : x.run_seconds;
      unsigned delay_ms = rnd()%(unsigned)(seconds*1000);
      pid_t pid = tool_start(&x, x.db, kind->option, kind->value);
      const char *phase;
      int consistent;
      usleep(delay_ms*1000);
      if( !freeze(pid) ){
        x.finished_first++;
        break;
      }
      tally_add(&x.lock, writer_lock_state(x.db, 1));
      kill_frozen(pid);
      x.kills++;
      kills_this_run++;
      consistent = index_check_killed(&x, &phase);
      check(consistent, "crash 2.%d %s killed after %.2f s, %s: integrity_check, annoy_check, tables agree",
            x.kills, kind->label, delay_ms/1000.0, phase);
      tally_add(&x.phase, phase);
    }
    index_resume(&x, kills_this_run, kind);
  }
  printf("# 2: %d kills of imgsearch index (%d files; delays uniform in 0..%.1f s, the uninterrupted "
         "run's time, or 0..%.1f s for --retrain), %d runs finished before their kill, %d resumed "
         "runs compared; %.1f s\n", x.kills, x.files, x.run_seconds, x.retrain_seconds,
         x.finished_first, x.resumed, now_seconds()-start);
  tally_print(&x.phase, "2: how far the killed run had got");
  tally_print(&x.lock, "2: which lock it held");
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv){
  uint64_t seed = (uint64_t)time(0) ^ ((uint64_t)getpid()<<16);
  int full = 0, i;
  char command[600];
  if( argc>1 ) test_extension = argv[1];
  if( argc==6 && strcmp(argv[2], "--child")==0 ) child_main(argv[3], strtoull(argv[4], 0, 10), argv[5]);
  for(i=2; i<argc; i++){
    if( strcmp(argv[i], "--full")==0 ) full = 1;
    else if( strcmp(argv[i], "--seed")==0 && i+1<argc ) seed = strtoull(argv[++i], 0, 10);
    else{
      fprintf(stderr, "usage: crash EXTENSION [--full] [--seed N]\n");
      return 2;
    }
  }
  test_rng = seed | 1;
  printf("# seed %llu (again: crash %s%s --seed %llu)\n", (unsigned long long)seed,
         test_extension, full ? " --full" : "", (unsigned long long)seed);
  annoy_crashes(full ? 100 : 3, seed, 1500);
  index_crashes(full ? 100 : 2, 1);
  if( test_failures==0 ){
    snprintf(command, sizeof(command), "rm -rf '%s'", test_dir());
    if( system(command)!=0 ) fprintf(stderr, "# could not remove %s\n", test_dir());
  }else{
    printf("# files kept in %s\n", test_dir());
  }
  return test_failures ? 1 : 0;
}
