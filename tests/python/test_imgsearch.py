"""test_imgsearch.py — the Python package, as installed by pip.

    PYTHONPATH=SITE /usr/bin/python3 tests/python/test_imgsearch.py

Numbered cases; prints "ok - python N.M ..." or "not ok - ..." for each.
"""
import os
import sqlite3
import sys
import traceback

import numpy

import imgsearch

failures = 0


def case(name):
    def run(body):
        global failures
        try:
            body()
            print("ok - python " + name)
        except Exception:
            failures += 1
            print("not ok - python " + name)
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
        return body
    return run


def connect(vector_only=False):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    imgsearch.load(db, vector_only=vector_only)
    db.enable_load_extension(False)
    return db


def error_of(db, sql, params=()):
    try:
        db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        return str(e)
    return None


@case("1.1 loadable_path: the two extensions are in the package, named for their entry points")
def _():
    for vector_only, name in ((False, "imgsearch"), (True, "imgsearch_vec")):
        path = imgsearch.loadable_path(vector_only)
        assert os.path.basename(path) == name, path
        assert os.path.isfile(path + ".so"), path


@case("1.2 load: the full extension has vec_* and img_*")
def _():
    db = connect()
    assert db.execute("SELECT vec_json(vec_f32('[1, 2.5]'))").fetchone()[0] == "[1,2.5]"
    assert error_of(db, "SELECT img_info(X'00')").startswith("img_info: "), error_of(db, "SELECT img_info(X'00')")


@case("1.3 load(vector_only=True): vec_* without img_*")
def _():
    db = connect(vector_only=True)
    assert db.execute("SELECT vec_distance('[0, 0]', '[3, 4]')").fetchone()[0] == 5.0
    assert error_of(db, "SELECT img_info(X'00')") == "no such function: img_info"


@case("2.1 numpy float32 arrays are BLOBs: insert and MATCH")
def _():
    db = connect(vector_only=True)
    db.execute("CREATE VIRTUAL TABLE t USING annoy(v float32[4])")
    vectors = numpy.eye(4, dtype=numpy.float32)
    db.executemany("INSERT INTO t(rowid, v) VALUES (?, ?)", [(i + 1, v) for i, v in enumerate(vectors)])
    query = numpy.array([0.1, 0.9, 0.2, 0], dtype=numpy.float32)
    rows = db.execute("SELECT rowid FROM t WHERE v MATCH ? AND k = 2", (query,)).fetchall()
    assert rows == [(2,), (3,)], rows
    stored = db.execute("SELECT v FROM t WHERE rowid = 3").fetchone()[0]
    assert (numpy.frombuffer(stored, dtype=numpy.float32) == vectors[2]).all()


@case("2.2 numpy uint8 arrays for uint8[N] columns, and bytes, bytearray, memoryview")
def _():
    db = connect(vector_only=True)
    db.execute("CREATE VIRTUAL TABLE t USING annoy(v uint8[3])")
    db.execute("INSERT INTO t(rowid, v) VALUES (1, ?)", (numpy.array([1, 2, 3], dtype=numpy.uint8),))
    db.execute("INSERT INTO t(rowid, v) VALUES (2, ?)", (bytes([9, 9, 9]),))
    db.execute("INSERT INTO t(rowid, v) VALUES (3, ?)", (bytearray([200, 0, 0]),))
    db.execute("INSERT INTO t(rowid, v) VALUES (4, ?)", (memoryview(bytes([1, 2, 4])),))
    rows = db.execute("SELECT rowid, distance FROM t WHERE v MATCH ? AND k = 2",
                      (numpy.array([1, 2, 3], dtype=numpy.uint8),)).fetchall()
    assert rows == [(1, 0.0), (4, 1.0)], rows


@case("2.3 a float64 array is refused by its size (convert with astype(numpy.float32))")
def _():
    db = connect(vector_only=True)
    db.execute("CREATE VIRTUAL TABLE t USING annoy(v float32[4])")
    message = error_of(db, "INSERT INTO t(rowid, v) VALUES (1, ?)", (numpy.zeros(4),))
    assert message == "annoy: the vector: wrong vector size: a float32[4] BLOB has 16 bytes, got 32", message


@case("2.4 serialize_float32 gives what vec_f32 gives")
def _():
    db = connect(vector_only=True)
    blob = db.execute("SELECT vec_f32('[0.5, -2, 3]')").fetchone()[0]
    assert imgsearch.serialize_float32([0.5, -2, 3]) == blob


@case("2.5 int8: numpy int8 arrays and serialize_int8")
def _():
    db = connect(vector_only=True)
    db.execute("CREATE VIRTUAL TABLE t USING annoy(v int8[3])")
    db.execute("INSERT INTO t(rowid, v) VALUES (1, ?)", (numpy.array([-128, 0, 127], dtype=numpy.int8),))
    db.execute("INSERT INTO t(rowid, v) VALUES (2, ?)", (imgsearch.serialize_int8([1, 2, 3]),))
    rows = db.execute("SELECT rowid, vec_json(v, 'int8') FROM t ORDER BY rowid").fetchall()
    assert rows == [(1, "[-128,0,127]"), (2, "[1,2,3]")], rows
    rows = db.execute("SELECT rowid FROM t WHERE v MATCH ? AND k = 1", (imgsearch.serialize_int8([1, 2, 2]),)).fetchall()
    assert rows == [(2,)], rows


@case("3.1 the full extension's image functions read a numpy uint8 buffer")
def _():
    db = connect()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "samples", "box.png"), "rb") as f:
        image = numpy.frombuffer(f.read(), dtype=numpy.uint8)
    info = db.execute("SELECT json_extract(img_info(?), '$.format')", (image,)).fetchone()[0]
    assert info == "png", info


sys.exit(1 if failures else 0)
