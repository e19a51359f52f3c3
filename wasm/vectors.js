/*
** vectors.js — seeded random vectors and an exact nearest-neighbour scan,
** for the demo page, the Node.js test and the benchmark (one copy; make
** wasm puts it beside imgsearch.js).  In a page it defines the global
** imgsearchVectors; under Node.js it is require()d.
**
** The generator is xorshift32 and each element is (x >> 8) / 2^23 - 1, in
** [-1, 1) and exact in float32, so tests/bench/wasm_bench.c draws the same
** vectors in C.
*/
(function (root) {
  // count vectors of dims elements, one Float32Array of count*dims.
  function randomVectors(seed, count, dims) {
    var x = seed >>> 0 || 1, out = new Float32Array(count * dims);
    for (var i = 0; i < out.length; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      out[i] = (x >>> 8) / 8388608 - 1;
    }
    return out;
  }

  // The k nearest rows of vectors (count*dims, row i has rowid i+1) to
  // query by euclidean distance: [{rowid, distance}], nearest first.
  function exactNeighbours(vectors, dims, query, k) {
    var all = [];
    for (var row = 0; row * dims < vectors.length; row++) {
      var sum = 0;
      for (var j = 0; j < dims; j++) {
        var d = vectors[row * dims + j] - query[j];
        sum += d * d;
      }
      all.push({rowid: row + 1, distance: Math.sqrt(sum)});
    }
    all.sort(function (a, b) { return a.distance - b.distance || a.rowid - b.rowid; });
    return all.slice(0, k);
  }

  var api = {randomVectors: randomVectors, exactNeighbours: exactNeighbours};
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.imgsearchVectors = api;
})(this);
