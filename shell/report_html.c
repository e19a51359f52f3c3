/*
** report_html.c — the HTML contact sheet written by `imgsearch report`
** and `imgsearch dups -o`.
**
** One self-contained file: CSS inline in <style>, every thumbnail a
** data:image/jpeg;base64 URI (thumbnail.c), no script, no external
** resource, so the page can be mailed or archived as it is.  Layout:
**
**   <h1>title</h1> <p class="summary">...</p>
**   <section><h2>heading</h2>
**     <div class="cards"> <figure class="card [query|copy|similar|unverified]">
**       <a class="thumb" href="file:///path"> <img ...> [<svg> outlines </svg>] </a>
**       <figcaption> label, detail, <span class="file">pixels, bytes,
**       date</span> <code>path</code> </figcaption>
**     </figure> ... </div>
**   </section> ...
**
** An outline is a region of the image drawn over its thumbnail: where a
** copy's frame falls in it (the homography of their match).
**
** Every piece of text (paths, headings, messages) goes through
** html_escape.  A file that cannot be thumbnailed gets a card with the
** reason instead of an image.
**
** May call: thumbnail.h, common.h (the exit codes, size and date text),
** stdio, stat.
*/
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "report_html.h"
#include "thumbnail.h"

#define HTML_THUMBNAIL_SIDE 160   /* longest side of a thumbnail, pixels */

struct HtmlReport {
  FILE *f;
  char *zPath;          /* for error messages (malloc'd) */
  int inSection;
};

static const char html_style[] =
  "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\n"
  "h1{font-size:1.4em;margin:0 0 .2em}\n"
  "h2{font-size:1.05em;margin:1.4em 0 .5em;word-break:break-all}\n"
  ".summary{color:#666;margin:0 0 1em}\n"
  ".cards{display:flex;flex-wrap:wrap;gap:12px}\n"
  ".card{margin:0;box-sizing:border-box;width:176px;padding:6px;background:#fff;border:1px solid #ddd;border-radius:4px}\n"
  ".card.query{border:2px solid #2a6ebb;background:#eef4fb}\n"
  ".card.copy{border:2px solid #2e8b57;background:#eef8f1}\n"
  ".card.similar{border:2px solid #c98a12;background:#fdf6e7}\n"
  ".card.unverified{border:1px dashed #aaa;opacity:.75}\n"
  ".thumb{position:relative;display:block;width:max-content;margin:0 auto}\n"
  ".card img{display:block;max-width:160px;max-height:160px}\n"
  ".thumb svg{position:absolute;left:0;top:0}\n"
  "polygon{fill:rgba(230,40,40,.12);stroke:#e02828;stroke-width:2}\n"
  "svg text{fill:#e02828;font:bold 11px system-ui,sans-serif}\n"
  "figcaption .file{display:block;color:#666}\n"
  ".card .missing{height:100px;display:flex;align-items:center;justify-content:center;"
  "text-align:center;color:#a33;font-size:.8em;background:#f3e5e5}\n"
  "figcaption{font-size:.8em;margin-top:4px}\n"
  "figcaption b{margin-right:.4em}\n"
  "figcaption code{display:block;color:#555;word-break:break-all;font-size:.9em}\n"
  ".error{color:#a33}\n";

void html_escape(FILE *f, const char *z){
  for(; z && *z; z++){
    switch( *z ){
      case '&':  fputs("&amp;", f);  break;
      case '<':  fputs("&lt;", f);   break;
      case '>':  fputs("&gt;", f);   break;
      case '"':  fputs("&quot;", f); break;
      case '\'': fputs("&#39;", f);  break;
      default:   fputc(*z, f);       break;
    }
  }
}

/* <p class="CLASS">TEXT</p>, the text escaped. */
static void html_paragraph(FILE *f, const char *zClass, const char *zText){
  fprintf(f, "<p class=\"%s\">", zClass);
  html_escape(f, zText);
  fputs("</p>\n", f);
}

HtmlReport *html_report_open(const char *zPath, const char *zTitle,
                             const char *zSummary){
  HtmlReport *r = calloc(1, sizeof(HtmlReport));
  if( r==0 || (r->zPath = strdup(zPath))==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    free(r);
    return 0;
  }
  r->f = fopen(zPath, "w");
  if( r->f==0 ){
    fprintf(stderr, "imgsearch: cannot write %s: %s\n", zPath, strerror(errno));
    free(r->zPath);
    free(r);
    return 0;
  }
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", r->f);
  html_escape(r->f, zTitle);
  fprintf(r->f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", html_style);
  html_escape(r->f, zTitle);
  fputs("</h1>\n", r->f);
  if( zSummary ) html_paragraph(r->f, "summary", zSummary);
  return r;
}

static void html_report_end_section(HtmlReport *r){
  if( r->inSection ) fputs("</div>\n</section>\n", r->f);
  r->inSection = 0;
}

void html_report_section(HtmlReport *r, const char *zHeading, const char *zError){
  html_report_end_section(r);
  fputs("<section>\n<h2>", r->f);
  html_escape(r->f, zHeading);
  fputs("</h2>\n", r->f);
  if( zError ) html_paragraph(r->f, "error", zError);
  fputs("<div class=\"cards\">\n", r->f);
  r->inSection = 1;
}

/* zFull (an absolute path) as a file: URL, every byte but unreserved
** ones and '/' percent-encoded, for href. */
static void html_file_url(FILE *f, const char *zFull){
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *z = (const unsigned char*)zFull;
  fputs("file://", f);
  for(; *z; z++){
    if( isalnum(*z) || strchr("/-._~", *z) ) fputc(*z, f);
    else fprintf(f, "%%%c%c", hex[*z>>4], hex[*z&15]);
  }
}

/* The outlines over a thumbnail (width x height) of an image of
** original_width x original_height pixels: an SVG laid over the <img>,
** what falls outside the thumbnail clipped. */
static void html_outlines(FILE *f, const HtmlCard *card, int width, int height,
                          int original_width, int original_height){
  double sx = (double)width/original_width, sy = (double)height/original_height;
  int i, j;
  fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">", width, height, width, height);
  for(i=0; i<card->n_outline; i++){
    const HtmlOutline *o = &card->outlines[i];
    fputs("<polygon points=\"", f);
    for(j=0; j<4; j++) fprintf(f, "%s%.1f,%.1f", j ? " " : "", o->xy[2*j]*sx, o->xy[2*j+1]*sy);
    fputs("\"/>", f);
    if( o->zLabel[0] ){
      double x = o->xy[0]*sx + 3, y = o->xy[1]*sy + 12;   /* by the first corner, */
      x = x<2 ? 2 : x>width-28 ? width-28 : x;             /* inside the thumbnail */
      y = y<12 ? 12 : y>height-2 ? height-2 : y;
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x, y);
      html_escape(f, o->zLabel);
      fputs("</text>", f);
    }
  }
  fputs("</svg>", f);
}

void html_report_card(HtmlReport *r, const HtmlCard *card){
  static const char *const classes[] = {"card", "card query", "card copy", "card similar",
                                        "card unverified"};
  int width = 0, height = 0, original_width = 0, original_height = 0;
  char *zError = 0;
  char *zBase64 = thumbnail_jpeg_base64(card->zPath, HTML_THUMBNAIL_SIDE, &width, &height,
                                        &original_width, &original_height, &zError);
  struct stat st;
  fprintf(r->f, "<figure class=\"%s\">", classes[card->kind]);
  if( zBase64 ){
    char *zFull = realpath(card->zPath, 0);
    fputs("<a class=\"thumb\"", r->f);
    if( zFull ){
      fputs(" href=\"", r->f);
      html_file_url(r->f, zFull);
      fputs("\"", r->f);
      free(zFull);
    }
    fprintf(r->f, "><img src=\"data:image/jpeg;base64,%s\" width=\"%d\" height=\"%d\" alt=\"",
            zBase64, width, height);
    html_escape(r->f, card->zPath);
    fputs("\">", r->f);
    if( card->n_outline>0 && original_width>0 && original_height>0 ){
      html_outlines(r->f, card, width, height, original_width, original_height);
    }
    fputs("</a>", r->f);
  }else{
    fputs("<div class=\"missing\">", r->f);
    html_escape(r->f, zError ? zError : "no thumbnail");
    fputs("</div>", r->f);
  }
  fputs("\n<figcaption>", r->f);
  if( card->zLabel ){
    fputs("<b>", r->f);
    html_escape(r->f, card->zLabel);
    fputs("</b>", r->f);
  }
  if( card->zDetail ) html_escape(r->f, card->zDetail);
  if( stat(card->zPath, &st)==0 ){
    char zSize[32], zDate[32];
    shell_size_text((int64_t)st.st_size, zSize, sizeof(zSize));
    shell_date_text((int64_t)st.st_mtim.tv_sec*1000000000 + st.st_mtim.tv_nsec, zDate,
                    sizeof(zDate));
    if( original_width>0 ){
      fprintf(r->f, "<span class=\"file\">%dx%d, %s, %s</span>", original_width,
              original_height, zSize, zDate);
    }else{
      fprintf(r->f, "<span class=\"file\">%s, %s</span>", zSize, zDate);
    }
  }
  fputs("<code title=\"", r->f);
  html_escape(r->f, card->zPath);
  fputs("\">", r->f);
  html_escape(r->f, card->zPath);
  fputs("</code></figcaption></figure>\n", r->f);
  free(zBase64);
  free(zError);
}

int html_report_close(HtmlReport *r){
  int failed;
  html_report_end_section(r);
  fputs("</body>\n</html>\n", r->f);
  failed = ferror(r->f);
  if( fclose(r->f)!=0 ) failed = 1;
  if( failed ) fprintf(stderr, "imgsearch: error writing %s\n", r->zPath);
  free(r->zPath);
  free(r);
  return failed ? EXIT_ERROR : EXIT_OK;
}
