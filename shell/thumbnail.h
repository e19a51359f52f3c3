/*
** thumbnail.h — colour JPEG thumbnails as base64 (thumbnail.c).
*/
#ifndef IMGSEARCH_THUMBNAIL_H
#define IMGSEARCH_THUMBNAIL_H

/* The image file at zPath, upright, as a colour JPEG whose longest side is at most
** maxSide, base64-encoded (malloc'd, NUL-terminated); its size in *p_width,
** *p_height.  NULL with *pzError (malloc'd) if the file cannot be read or
** decoded. */
char *thumbnail_jpeg_base64(const char *zPath, int maxSide, int *p_width,
                            int *p_height, char **pzError);

#endif /* IMGSEARCH_THUMBNAIL_H */
