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
**     <div class="cards"> <figure class="card [query]"> <img ...>
**       <figcaption> label, detail, <code>path</code> </figcaption>
**     </figure> ... </div>
**   </section> ...
**
** Every piece of text (paths, headings, messages) goes through
** html_escape.  A file that cannot be thumbnailed gets a card with the
** reason instead of an image.
**
** May call: thumbnail.h, common.h (the exit codes), stdio.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
  ".card img{display:block;margin:0 auto;max-width:160px;max-height:160px}\n"
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

void html_report_card(HtmlReport *r, const char *zPath, const char *zLabel,
                      const char *zDetail, int isQuery){
  int width = 0, height = 0;
  char *zError = 0;
  char *zBase64 = thumbnail_jpeg_base64(zPath, HTML_THUMBNAIL_SIDE, &width, &height, &zError);
  fputs(isQuery ? "<figure class=\"card query\">" : "<figure class=\"card\">", r->f);
  if( zBase64 ){
    fprintf(r->f, "<img src=\"data:image/jpeg;base64,%s\" width=\"%d\" height=\"%d\" alt=\"",
            zBase64, width, height);
    html_escape(r->f, zPath);
    fputs("\">", r->f);
  }else{
    fputs("<div class=\"missing\">", r->f);
    html_escape(r->f, zError ? zError : "no thumbnail");
    fputs("</div>", r->f);
  }
  fputs("\n<figcaption>", r->f);
  if( zLabel ){
    fputs("<b>", r->f);
    html_escape(r->f, zLabel);
    fputs("</b>", r->f);
  }
  if( zDetail ) html_escape(r->f, zDetail);
  fputs("<code title=\"", r->f);
  html_escape(r->f, zPath);
  fputs("\">", r->f);
  html_escape(r->f, zPath);
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
