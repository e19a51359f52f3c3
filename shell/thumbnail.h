/*
** thumbnail.h — colour JPEG thumbnails as base64 (thumbnail.c).
*/
#ifndef IMGSEARCH_THUMBNAIL_H
#define IMGSEARCH_THUMBNAIL_H

/* The image file at zPath, upright, as a colour JPEG whose longest side is at most
** maxSide, base64-encoded (malloc'd, NUL-terminated); its size in *p_width,
** *p_height, the image's own (upright) in *p_original_width,
** *p_original_height.  NULL with *pzError (malloc'd) if the file cannot be
** read or decoded. */
char *thumbnail_jpeg_base64(const char *zPath, int maxSide, int *p_width, int *p_height,
                            int *p_original_width, int *p_original_height, char **pzError);

/* The upright size of the image file at zPath, from its header: 0, or -1
** when it cannot be read or is not an image the decoders know. */
int thumbnail_image_size(const char *zPath, int *p_width, int *p_height);

#endif /* IMGSEARCH_THUMBNAIL_H */
