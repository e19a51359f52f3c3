#!/usr/bin/python3
"""scale_tiers_calibrate.py -- one score for "edited copy or another photo?".

Reads build/bench/scale/tiers.db (written by `scale.sh tiers`: tables
geometry and photo) and fits a logistic model of P(copy) on a verified
pair's measures, on the tuning half only:
  geometry          log(inliers), r, log(e)
  geometry+pixels   the same and agree
Each kind of pair weighs the same within its class and the two classes the
same (so the score is calibrated for a collection with as many copies as
other photos; another mix shifts it). Then, as scale_tiers_rules.sql does
for its rules: the threshold chosen on the tuning half for a bound on the
other photos called copies (5%, 10%, 20%), read on the report half (copies
kept = mean over the kinds of copy; others = share of the other pairs);
and the report half's calibration: for each band of the score, the share
of copies in it (classes and kinds weighted as in the fit).

  /usr/bin/python3 tests/bench/scale_tiers_calibrate.py [TABLE [tiers.db]]
TABLE: geometry (img_match_json's measures, the default) or words_geometry
(the visual words', scale_tiers_words.sql). Needs numpy (python3-numpy).
Prints markdown tables.
"""
import json
import sqlite3
import sys

import numpy as np

TABLE = sys.argv[1] if len(sys.argv) > 1 else 'geometry'
DB = sys.argv[2] if len(sys.argv) > 2 else 'build/bench/scale/tiers.db'
if TABLE not in ('geometry', 'words_geometry'):
    sys.exit('scale_tiers_calibrate.py: TABLE is geometry or words_geometry')
WORDS = TABLE == 'words_geometry'
rows = sqlite3.connect(DB).execute(
    'SELECT g.kind, g.copy, g.report, g.inliers, g.r, g.e, p.agree, %s'
    ' FROM %s AS g JOIN photo AS p USING (pair_rowid)'
    ' WHERE g.e IS NOT NULL AND g.inliers > 0'
    % ('g.h, g.a_w, g.a_h, g.b_w, g.b_h' if WORDS else 'NULL', TABLE)).fetchall()
kind = np.array([r[0] for r in rows])
copy = np.array([r[1] for r in rows], dtype=float)
report = np.array([r[2] for r in rows], dtype=bool)


def frame_shift(h, wa, ha, wb, hb):
    """How far H moves a's frame corners from b's, over b's diagonal
    (copy_tier.c's copy_frame_shift: 0 when the copy has the other's frame,
    a resize included), at most 10."""
    H = np.array(json.loads(h)).reshape(3, 3)
    shift = 0.0
    for (x, y), (u, v) in zip(((0, 0), (wa, 0), (wa, ha), (0, ha)), ((0, 0), (wb, 0), (wb, hb), (0, hb))):
        p = H @ np.array([x, y, 1.0])
        if abs(p[2]) < 1e-9:
            return 10.0
        shift += np.hypot(p[0] / p[2] - u, p[1] / p[2] - v)
    return min(shift / 4 / np.hypot(wb, hb), 10.0)


measures = np.array([[np.log(r[3]), r[4], np.log(max(r[5], 1e-4)), r[6],
                      np.log(frame_shift(*r[7:12]) + 1e-3) if WORDS else 0.0] for r in rows])


def weights(half):
    """Each kind the same weight in its class, each class 1 in total."""
    w = np.zeros(len(rows))
    for k in set(kind[half]):
        m = half & (kind == k)
        w[m] = 1.0 / m.sum()
    for c in (0, 1):
        m = half & (copy == c)
        w[m] /= w[m].sum()
    return w


def fit(x, y, w):
    """Weighted logistic regression by Newton's method; x has a 1s column."""
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-x @ beta))
        step = np.linalg.solve((x * (w * p * (1 - p))[:, None]).T @ x + 1e-9 * np.eye(len(beta)),
                               x.T @ (w * (p - y)))
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def rates(p, half, threshold):
    """(mean over copy kinds of the share kept, share of others called copies, per-kind)."""
    called = p >= threshold
    per_kind = {k: called[half & (kind == k)].mean() for k in sorted(set(kind[half & (copy == 1)]))}
    others = called[half & (copy == 0)].mean()
    return np.mean(list(per_kind.values())), others, per_kind


tune, rep = ~report, report
print('| model | bound | threshold | copies kept (report) | others called copies (report) | copies lost most |')
print('|---|---|---:|---:|---:|---|')
scores = {}
MODELS = (('geometry', [0, 1, 2]), ('geometry+pixels', [0, 1, 2, 3]))
if WORDS:
    MODELS += (('geometry+frame', [0, 1, 2, 4]),)
for name, cols in MODELS:
    x = measures[:, cols]
    mean, sd = x[tune].mean(0), x[tune].std(0)
    x = np.hstack([np.ones((len(rows), 1)), (x - mean) / sd])
    beta = fit(x[tune], copy[tune], weights(tune)[tune])
    p = 1 / (1 + np.exp(-x @ beta))
    scores[name] = p
    kept, others, per_kind = rates(p, rep, 0.5)
    worst = sorted(per_kind.items(), key=lambda kv: kv[1])[:3]
    print('| %s | (the midpoint) | 0.50 | %.3f | %.3f | %s |' % (
        name, kept, others, ', '.join('%s %.2f' % kv for kv in worst)))
    for bound in (0.05, 0.10, 0.20):
        best = max((t for t in np.linspace(0.01, 0.99, 99) if rates(p, tune, t)[1] <= bound),
                   key=lambda t: rates(p, tune, t)[0], default=None)
        if best is None:
            continue
        kept, others, per_kind = rates(p, rep, best)
        worst = sorted(per_kind.items(), key=lambda kv: kv[1])[:3]
        print('| %s | %d%% | %.2f | %.3f | %.3f | %s |' % (
            name, round(bound * 100), best, kept, others,
            ', '.join('%s %.2f' % kv for kv in worst)))
    print('| %s | coefficients (standardised measures) | %s | | | |' % (
        name, ' '.join('%.3f' % b for b in beta)))
    raw = np.concatenate([[beta[0] - (beta[1:] * mean / sd).sum()], beta[1:] / sd])
    print('| %s | coefficients (raw units: 1, %s) | %s | | | |' % (
        name, ', '.join(['log(inliers)', 'r', 'log(e)', 'agree', 'log(shift+0.001)'][c] for c in cols),
        ' '.join('%.4f' % b for b in raw)))

print()
print('| model | score band (report half) | pairs | copies in it (weighted) |')
print('|---|---|---:|---:|')
w = weights(rep)
for name, p in scores.items():
    for lo in np.arange(0, 1, 0.2):
        m = rep & (p >= lo) & ((p < lo + 0.2) if lo < 0.8 else (p <= 1))
        if m.sum():
            print('| %s | %.1f–%.1f | %d | %.3f |' % (
                name, lo, lo + 0.2, m.sum(), (w[m] * copy[m]).sum() / w[m].sum()))

# The tiers at the midpoint (copy_tier.h's COPY_MIN_CONFIDENCE), report
# half, pairs as they come (not weighted): each kind's share called a
# copy, and the precision and recall of the two tiers in this mix.
p = scores['geometry+frame' if WORDS else 'geometry']
called = p >= 0.5
print()
print('| kind (report half) | pairs | called a copy (p >= 0.5) |')
print('|---|---:|---:|')
for k in sorted(set(kind[rep]), key=lambda k: (copy[rep & (kind == k)][0], k)):
    m = rep & (kind == k)
    print('| %s%s | %d | %.3f |' % (k, '' if copy[m][0] else ' (other photos)', m.sum(), called[m].mean()))
print()
print('| tier (report half, p >= 0.5) | pairs called | precision | recall |')
print('|---|---:|---:|---:|')
for name, want, said in (('copy', copy[rep] == 1, called[rep]), ('similar', copy[rep] == 0, ~called[rep])):
    print('| %s | %d | %.3f | %.3f |' % (name, said.sum(), (want & said).sum() / max(said.sum(), 1),
                                         (want & said).sum() / max(want.sum(), 1)))
