"""imgsearch: the annoy vector table, vec_* and img_* functions for SQLite.

    import sqlite3, imgsearch
    db = sqlite3.connect("photos.db")
    db.enable_load_extension(True)
    imgsearch.load(db)                 # or imgsearch.load(db, vector_only=True)
    db.enable_load_extension(False)

The package holds the two loadable extensions built from this tree:
imgsearch.so (everything; needs OpenCV's shared libraries) and
imgsearch_vec.so (the annoy table and vec_* only; needs nothing but libc).

Vectors go in as BLOBs, and anything with the buffer protocol is one:
bytes, a C-contiguous numpy array of dtype float32 (float32[N] columns) or
uint8 (uint8[N] and bit[N] columns) or int8 (int8[N]). Other dtypes must be converted first
(numpy's default float64 has 8 bytes a value: v.astype(numpy.float32)).
"""
import os
import struct

__all__ = ["load", "loadable_path", "serialize_float32", "serialize_int8"]


def loadable_path(vector_only=False):
    """The loadable extension's path without its suffix, as
    sqlite3.Connection.load_extension takes it (SQLite adds .so and finds
    the entry point, sqlite3_imgsearch_init or sqlite3_imgsearchvec_init,
    from the name)."""
    name = "imgsearch_vec" if vector_only else "imgsearch"
    return os.path.normpath(os.path.join(os.path.dirname(__file__), name))


def load(conn, vector_only=False):
    """Load the extension into conn, a sqlite3.Connection on which
    enable_load_extension(True) has been called."""
    conn.load_extension(loadable_path(vector_only))


def serialize_float32(vector):
    """A sequence of numbers as the little-endian float32 BLOB that
    float32[N] columns and vec_* functions take."""
    return struct.pack("<%df" % len(vector), *vector)


def serialize_int8(vector):
    """A sequence of integers -128..127 as the BLOB int8[N] columns take."""
    return struct.pack("%db" % len(vector), *vector)
