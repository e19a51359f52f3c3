/*
** output.c — printing results: a buffered table of cells, written as an
** aligned table, CSV (RFC 4180 quoting, a header row, \n line ends), JSON
** (an array of objects, numbers as numbers) or "line" (column = value, a blank line between rows).
**
** Cells keep their SQLite type.  BLOBs are shown as X'hex' when short and
** as "<BLOB n bytes>" otherwise (a sift blob is 148 kB).  No SQLite calls
** except reading a statement's columns.
**
** May call: SQLite (column values only), stdio.
*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "output.h"

#define OUTPUT_BLOB_HEX_MAX 16   /* longer BLOBs are summarised */

typedef struct OutputCell {
  int type;          /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
  char *z;           /* malloc'd text; NULL for SQL NULL */
} OutputCell;

struct OutputTable {
  int n_column;
  char **column_names;
  OutputCell *cells;           /* n_row x n_column */
  int n_row, n_row_alloc;
};

int output_mode_parse(const char *z){
  if( strcmp(z, "table")==0 ) return OUTPUT_TABLE;
  if( strcmp(z, "csv")==0 ) return OUTPUT_CSV;
  if( strcmp(z, "json")==0 ) return OUTPUT_JSON;
  if( strcmp(z, "line")==0 ) return OUTPUT_LINE;
  return -1;
}

int output_use_color(FILE *f){
  const char *zNoColor = getenv("NO_COLOR");
  const char *zTerm = getenv("TERM");
  if( zNoColor && zNoColor[0] ) return 0;
  if( zTerm && strcmp(zTerm, "dumb")==0 ) return 0;
  return isatty(fileno(f));
}

OutputTable *output_table_new(int n_column, const char *const *column_names){
  OutputTable *t = calloc(1, sizeof(OutputTable));
  int i;
  if( t==0 ) return 0;
  t->n_column = n_column;
  t->column_names = calloc(n_column>0 ? n_column : 1, sizeof(char*));
  if( t->column_names==0 ){ free(t); return 0; }
  for(i=0; i<n_column; i++){
    t->column_names[i] = strdup(column_names[i] ? column_names[i] : "");
    if( t->column_names[i]==0 ){ output_table_free(t); return 0; }
  }
  return t;
}

void output_table_free(OutputTable *t){
  int i;
  if( t==0 ) return;
  for(i=0; i<t->n_column; i++) free(t->column_names[i]);
  for(i=0; i<t->n_row*t->n_column; i++) free(t->cells[i].z);
  free(t->column_names);
  free(t->cells);
  free(t);
}

int output_table_rows(const OutputTable *t){ return t ? t->n_row : 0; }

/* A new row of empty cells; NULL on out of memory. */
static OutputCell *output_table_row(OutputTable *t){
  OutputCell *row;
  if( t->n_row==t->n_row_alloc ){
    int n_new = t->n_row_alloc ? t->n_row_alloc*2 : 16;
    OutputCell *a = realloc(t->cells, (size_t)n_new*t->n_column*sizeof(OutputCell) + 1);
    if( a==0 ) return 0;
    t->cells = a;
    t->n_row_alloc = n_new;
  }
  row = &t->cells[t->n_row*t->n_column];
  memset(row, 0, t->n_column*sizeof(OutputCell));
  t->n_row++;
  return row;
}

int output_table_add_stmt_row(OutputTable *t, sqlite3_stmt *stmt){
  OutputCell *row = output_table_row(t);
  int i;
  if( row==0 ) return SQLITE_NOMEM;
  for(i=0; i<t->n_column; i++){
    int type = sqlite3_column_type(stmt, i);
    row[i].type = type;
    if( type==SQLITE_NULL ) continue;
    if( type==SQLITE_BLOB ){
      int n = sqlite3_column_bytes(stmt, i), j;
      const unsigned char *p = sqlite3_column_blob(stmt, i);
      char *z = malloc(3 + 2*OUTPUT_BLOB_HEX_MAX + 32);
      if( z==0 ) return SQLITE_NOMEM;
      if( n<=OUTPUT_BLOB_HEX_MAX ){
        char *q = z;
        *q++ = 'X'; *q++ = '\'';
        for(j=0; j<n; j++) q += sprintf(q, "%02X", p[j]);
        *q++ = '\''; *q = 0;
      }else{
        sprintf(z, "<BLOB %d bytes>", n);
      }
      row[i].type = SQLITE_TEXT;
      row[i].z = z;
    }else{
      row[i].z = strdup((const char*)sqlite3_column_text(stmt, i));
      if( row[i].z==0 ) return SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

int output_table_add(OutputTable *t, const char *zTypes, ...){
  OutputCell *row = output_table_row(t);
  va_list ap;
  int i;
  char zNumber[64];
  if( row==0 ) return SQLITE_NOMEM;
  va_start(ap, zTypes);
  for(i=0; i<t->n_column && zTypes[i]; i++){
    const char *z = 0;
    switch( zTypes[i] ){
      case 's':
        row[i].type = SQLITE_TEXT;
        z = va_arg(ap, const char*);
        if( z==0 ) row[i].type = SQLITE_NULL;
        break;
      case 'i':
        row[i].type = SQLITE_INTEGER;
        snprintf(zNumber, sizeof(zNumber), "%lld", (long long)va_arg(ap, sqlite3_int64));
        z = zNumber;
        break;
      case 'f':
        row[i].type = SQLITE_FLOAT;
        snprintf(zNumber, sizeof(zNumber), "%.4f", va_arg(ap, double));
        z = zNumber;
        break;
      default:
        row[i].type = SQLITE_NULL;
        break;
    }
    if( z ){
      row[i].z = strdup(z);
      if( row[i].z==0 ){ va_end(ap); return SQLITE_NOMEM; }
    }
  }
  va_end(ap);
  return SQLITE_OK;
}

/* The length of the well-formed UTF-8 sequence at z (1 to 4), or 0 if the
** byte at z does not start one (a stray continuation byte, an overlong
** form, a surrogate, beyond U+10FFFF, or cut short). */
static int utf8_sequence_len(const unsigned char *z){
  unsigned c = z[0], lo = 0x80, hi = 0xBF;
  int n, i;
  if( c<0x80 ) return 1;
  if( c>=0xC2 && c<=0xDF ) n = 2;
  else if( c>=0xE0 && c<=0xEF ){ n = 3; if( c==0xE0 ) lo = 0xA0; if( c==0xED ) hi = 0x9F; }
  else if( c>=0xF0 && c<=0xF4 ){ n = 4; if( c==0xF0 ) lo = 0x90; if( c==0xF4 ) hi = 0x8F; }
  else return 0;
  for(i=1; i<n; i++){
    if( z[i]<lo || z[i]>hi ) return 0;     /* a NUL ends it here too */
    lo = 0x80; hi = 0xBF;
  }
  return n;
}

/* A JSON string. Paths are bytes, not always UTF-8: a byte that is not
** part of a well-formed UTF-8 sequence is written as \udcXX, the lone
** surrogate Python's "surrogateescape" uses for it (PEP 383), so strict
** parsers accept the output and os.fsencode() gives the bytes back. */
void output_json_string(FILE *f, const char *z){
  const unsigned char *p = (const unsigned char*)z;
  fputc('"', f);
  while( *p ){
    unsigned char c = *p;
    int n = utf8_sequence_len(p);
    if( n==0 ) fprintf(f, "\\udc%02x", c);
    else if( n>1 ) fwrite(p, 1, (size_t)n, f);
    else if( c=='"' || c=='\\' ) fprintf(f, "\\%c", c);
    else if( c=='\n' ) fputs("\\n", f);
    else if( c=='\r' ) fputs("\\r", f);
    else if( c=='\t' ) fputs("\\t", f);
    else if( c<0x20 ) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
    p += n ? n : 1;
  }
  fputc('"', f);
}

void output_csv_field(FILE *f, const char *z){
  if( strpbrk(z, ",\"\r\n")==0 ){
    fputs(z, f);
    return;
  }
  fputc('"', f);
  for(; *z; z++){
    if( *z=='"' ) fputc('"', f);
    fputc(*z, f);
  }
  fputc('"', f);
}

/* The code point at z (UTF-8) and its length in *pn; a stray byte is
** itself, one byte long. */
static unsigned output_code_point(const unsigned char *z, int *pn){
  unsigned c = z[0];
  int n = c<0xC0 ? 1 : c<0xE0 ? 2 : c<0xF0 ? 3 : 4, i;
  if( n==1 ){ *pn = 1; return c; }
  c &= 0x3F >> (n-1);
  for(i=1; i<n; i++){
    if( (z[i] & 0xC0)!=0x80 ){ *pn = 1; return z[0]; }
    c = c<<6 | (z[i] & 0x3F);
  }
  *pn = n;
  return c;
}

/* Columns a code point takes in a terminal: 0 for combining marks and
** zero-width characters, 2 for East Asian wide and full-width ones
** (CJK, Hangul, full-width forms, emoji), 1 otherwise. */
static int output_char_width(unsigned c){
  if( (c>=0x0300 && c<=0x036F) || (c>=0x200B && c<=0x200F)
   || (c>=0xFE00 && c<=0xFE0F) ) return 0;
  if( (c>=0x1100 && c<=0x115F) || (c>=0x2E80 && c<=0xA4CF && c!=0x303F)
   || (c>=0xAC00 && c<=0xD7A3) || (c>=0xF900 && c<=0xFAFF)
   || (c>=0xFE30 && c<=0xFE4F) || (c>=0xFF00 && c<=0xFF60)
   || (c>=0xFFE0 && c<=0xFFE6) || (c>=0x1F300 && c<=0x1F64F)
   || (c>=0x1F900 && c<=0x1F9FF) || (c>=0x20000 && c<=0x3FFFD) ) return 2;
  return 1;
}

/* Write z for a table cell: control characters escaped (\n, \t, \r,
** \xHH) so a name with a newline stays on its row.  Returns its width in
** terminal columns; f NULL: only measures. */
static int output_cell_text(FILE *f, const char *z){
  const unsigned char *p = (const unsigned char*)z;
  int width = 0;
  while( *p ){
    int n;
    unsigned c = output_code_point(p, &n);
    if( c<0x20 || c==0x7F ){
      char zEscape[8];
      if( c=='\n' ) strcpy(zEscape, "\\n");
      else if( c=='\t' ) strcpy(zEscape, "\\t");
      else if( c=='\r' ) strcpy(zEscape, "\\r");
      else snprintf(zEscape, sizeof(zEscape), "\\x%02X", c);
      if( f ) fputs(zEscape, f);
      width += (int)strlen(zEscape);
    }else{
      if( f ) fwrite(p, 1, (size_t)n, f);
      width += output_char_width(c);
    }
    p += n;
  }
  return width;
}

/* Display width of UTF-8 text in a table cell. */
static int output_width(const char *z){
  return output_cell_text(0, z);
}

static void output_pad(FILE *f, int n){
  while( n-- > 0 ) fputc(' ', f);
}

static void output_print_table(OutputTable *t, FILE *f){
  int *widths = calloc(t->n_column ? t->n_column : 1, sizeof(int));
  int i, j;
  if( widths==0 ) return;
  for(j=0; j<t->n_column; j++) widths[j] = output_width(t->column_names[j]);
  for(i=0; i<t->n_row; i++){
    for(j=0; j<t->n_column; j++){
      OutputCell *c = &t->cells[i*t->n_column+j];
      int w = output_width(c->z ? c->z : "NULL");
      if( w>widths[j] ) widths[j] = w;
    }
  }
  for(j=0; j<t->n_column; j++){
    fputs(j ? "  " : "", f);
    fputs(t->column_names[j], f);
    if( j<t->n_column-1 ) output_pad(f, widths[j] - output_width(t->column_names[j]));
  }
  fputc('\n', f);
  for(j=0; j<t->n_column; j++){
    int k;
    fputs(j ? "  " : "", f);
    for(k=0; k<widths[j]; k++) fputc('-', f);
  }
  fputc('\n', f);
  for(i=0; i<t->n_row; i++){
    for(j=0; j<t->n_column; j++){
      OutputCell *c = &t->cells[i*t->n_column+j];
      const char *z = c->z ? c->z : "NULL";
      int pad = widths[j] - output_width(z);
      int numeric = c->type==SQLITE_INTEGER || c->type==SQLITE_FLOAT;
      fputs(j ? "  " : "", f);
      if( numeric ) output_pad(f, pad);
      output_cell_text(f, z);
      if( !numeric && j<t->n_column-1 ) output_pad(f, pad);
    }
    fputc('\n', f);
  }
  free(widths);
}

void output_table_print(OutputTable *t, FILE *f, OutputMode mode){
  int i, j;
  if( t==0 ) return;
  switch( mode ){
    case OUTPUT_TABLE:
      output_print_table(t, f);
      break;
    case OUTPUT_CSV:
      for(j=0; j<t->n_column; j++){
        if( j ) fputc(',', f);
        output_csv_field(f, t->column_names[j]);
      }
      fputc('\n', f);
      for(i=0; i<t->n_row; i++){
        for(j=0; j<t->n_column; j++){
          OutputCell *c = &t->cells[i*t->n_column+j];
          if( j ) fputc(',', f);
          if( c->z ) output_csv_field(f, c->z);
        }
        fputc('\n', f);
      }
      break;
    case OUTPUT_JSON:
      fputc('[', f);
      for(i=0; i<t->n_row; i++){
        fputs(i ? ",\n{" : "{", f);
        for(j=0; j<t->n_column; j++){
          OutputCell *c = &t->cells[i*t->n_column+j];
          if( j ) fputc(',', f);
          output_json_string(f, t->column_names[j]);
          fputc(':', f);
          if( c->z==0 ) fputs("null", f);
          else if( c->type==SQLITE_INTEGER || c->type==SQLITE_FLOAT ) fputs(c->z, f);
          else output_json_string(f, c->z);
        }
        fputc('}', f);
      }
      fputs("]\n", f);
      break;
    case OUTPUT_LINE: {
      int w = 0;
      for(j=0; j<t->n_column; j++){
        if( output_width(t->column_names[j])>w ) w = output_width(t->column_names[j]);
      }
      for(i=0; i<t->n_row; i++){
        if( i ) fputc('\n', f);
        for(j=0; j<t->n_column; j++){
          OutputCell *c = &t->cells[i*t->n_column+j];
          output_pad(f, w - output_width(t->column_names[j]));
          fprintf(f, "%s = %s\n", t->column_names[j], c->z ? c->z : "NULL");
        }
      }
      break;
    }
  }
}

int output_statement(sqlite3_stmt *stmt, FILE *f, OutputMode mode){
  int n_column = sqlite3_column_count(stmt), i, rc;
  const char **column_names;
  OutputTable *t;
  if( n_column==0 ){
    while( (rc = sqlite3_step(stmt))==SQLITE_ROW ){}
    return rc;
  }
  column_names = calloc(n_column, sizeof(char*));
  if( column_names==0 ) return SQLITE_NOMEM;
  for(i=0; i<n_column; i++) column_names[i] = sqlite3_column_name(stmt, i);
  t = output_table_new(n_column, column_names);
  free(column_names);
  if( t==0 ) return SQLITE_NOMEM;
  while( (rc = sqlite3_step(stmt))==SQLITE_ROW ){
    if( output_table_add_stmt_row(t, stmt)!=SQLITE_OK ){ rc = SQLITE_NOMEM; break; }
  }
  if( rc==SQLITE_DONE && (t->n_row>0 || mode==OUTPUT_JSON || mode==OUTPUT_CSV) ){
    output_table_print(t, f, mode);
  }
  output_table_free(t);
  return rc;
}
