"""From a stored dataset to group-metric results: count chunks of rows, merge the counts, compute.

Count first (design.md section 9): a chunk of Parquet row groups becomes count tables (and score
histograms) that merge by addition, so memory is bounded by a chunk and chunks can run on many
workers or one after another in one process: the results are identical.

Modules, each importing only those before it:

columns   favourable-value masks and protected-group codes of a column;
spec      EngineInput and AttributeSpec, what is asked (JSON-ready), and the missing-value policies;
estimation  soft patterns of an attribute estimated from proxies (BISG / BIFSG) for one chunk;
counting  ChunkCounts, count_row_groups, merge_chunks, row_group_chunks;
score_rates  the share of each group scoring above the sample's median (a second read of the score column);
continuous  continuous-score and ranking sections (reads the score, outcome, rank and query columns whole);
finish    EngineOutput and finish: metrics with intervals, Holm across the audit, score analysis; and
          finish_without_decisions for audits of scores or ranks only;
local     count_chunks and compute_group_metrics: the whole path in one process.

A model that makes the decisions is passed in as a runner (the caller loads it), never loaded here.
Nothing is re-exported here, so that importing the light spec module (the app's choices do) does not
load the metrics.
"""
