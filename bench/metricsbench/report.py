"""Printing of the results, the issue's targets (PASS/MISS) and the results JSON."""

from __future__ import annotations

import json
from pathlib import Path

from metricsbench import REPO_ROOT

# Targets of the issue.
TARGET_REPLICATE_RATIO = 1000.0  # fairlearn per replicate / ours per replicate, at least
TARGET_FLOOR_RATIO = 3.0  # engine total / floor, at most
TARGET_PEAK_RSS_BYTES = 1.5e9  # streaming audit of the Parquet file, below (decimal GB, the stricter reading)
FAMILY_FALSE_MISS = 0.01  # agreement: chance of a MISS when both bootstraps are right (see bench_agreement)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_size(block: dict) -> None:
    repeats = len(next(iter(block["attributes"].values()))["timings"]["floor"])
    print(f"\n== In memory, {block['rows']:,} rows (best of {repeats}) ==")
    header = (
        f"{'attribute':<13}{'groups':>7}{'floor ms':>10}{'count ms':>10}{'boot+metr ms':>14}{'engine ms':>11}"
        f"{'engine/floor':>14}{'us/replicate':>14}{'app count ms':>14}{'app/floor':>11}"
    )
    print(header)
    print("-" * len(header))
    for attribute, a in block["attributes"].items():
        print(
            f"{attribute:<13}{a['groups']:>7}{_ms(a['floor_s']):>10}{_ms(a['engine_count_s']):>10}"
            f"{_ms(a['engine_bootstrap_metrics_s']):>14}{_ms(a['engine_total_s']):>11}"
            f"{a['engine_over_floor']:>13.2f}x{a['ours_per_replicate_s'] * 1e6:>14.1f}"
            f"{_ms(a['app_count_s']):>14}{a['app_over_floor']:>10.2f}x"
        )
    print(
        "engine = count_table + audit_attribute(B replicates, six metrics); us/replicate = boot+metrics / B.\n"
        "The floor of 'intersection' factorizes the 3 columns; the engine counts a precomputed intersection column.\n"
        "app count = the app's own per-chunk labelling of the same rows (explainers.pipeline.counting) + count_table;\n"
        "app/floor adds boot+metrics."
    )


def print_fairlearn(block: dict | None, skipped: list[int]) -> None:
    if block is None:
        print("\n== fairlearn MetricFrame: not run ==")
        return
    print(f"\n== fairlearn MetricFrame, {block['rows']:,} rows, n_boot={block['n_boot']} (SR, TPR, FPR, PPV) ==")
    header = (
        f"{'attribute':<13}{'groups':>7}{'pass s':>9}{'with boot s':>13}{'s/replicate':>13}{'ours us/rep':>13}"
        f"{'replicate ratio':>17}{'point diff':>12}"
    )
    print(header)
    print("-" * len(header))
    for attribute, a in block["attributes"].items():
        print(
            f"{attribute:<13}{a['groups']:>7}{a['pass_s']:>9.2f}{a['with_boot_s']:>13.2f}{a['per_replicate_s']:>13.2f}"
            f"{a['ours_per_replicate_s'] * 1e6:>13.1f}{a['replicate_ratio']:>16,.0f}x{a['max_abs_point_diff']:>12.1e}"
        )
    for rows in skipped:
        print(f"fairlearn skipped at {rows:,} rows (one pass would take minutes; only --fairlearn-rows is measured).")


def print_agreement(a: dict | None) -> None:
    if a is None:
        print("\n== Interval agreement: not run ==")
        return
    print(
        f"\n== Interval agreement with fairlearn, {a['rows']:,} rows, attributes {', '.join(a['attributes'])}: "
        f"fairlearn n_boot={a['fairlearn_boot']}, ours B={a['our_boot']} =="
    )
    print(f"{a['comparisons']} interval endpoints (per-group selection rate and TPR, 2.5% and 97.5%)")
    print(
        f"max |ours - fairlearn| = {a['max_abs_endpoint_diff']:.4f} at {a['max_abs_endpoint_diff_at']} "
        f"(MC tolerance there {a['tolerance_at_max_abs_diff']:.4f} around the expected small-B quantile bias "
        f"{a['expected_diff_at_max_abs_diff']:+.4f})"
    )
    print(
        f"max standardised diff = {a['max_standardised_diff']:.2f} MC standard errors "
        f"at {a['max_standardised_diff_at']}; "
        f"allowed {a['z_allowed']:.2f} (family-wise {FAMILY_FALSE_MISS:.0%} false-miss rate); "
        f"mean {a['mean_standardised_diff']:+.2f}, rms {a['rms_standardised_diff']:.2f} (expected about 0 and 1)"
    )


def print_parquet(p: dict | None) -> None:
    if p is None:
        print("\n== Parquet streaming engine: not run ==")
        return
    print(
        f"\n== Parquet streaming engine (explainers.pipeline.local.compute_group_metrics), fresh child process, "
        f"{p['rows']:,} rows, "
        f"{p['row_groups']} row groups, {p['file_bytes'] / 1e6:.0f} MB file =="
    )
    print(
        f"wall {p['wall_s']:.2f} s (counting {p['counting_s']:.2f} s, bootstrap+metrics {p['metrics_s']:.2f} s); "
        f"process incl. interpreter start {p['process_wall_s']:.2f} s"
    )
    print(
        f"peak RSS (VmHWM) {p['peak_rss_bytes'] / 1e6:,.0f} MB; "
        f"after imports {p['baseline_rss_bytes_after_imports'] / 1e6:,.0f} MB; "
        f"counts equal in-memory: {p['counts_match_in_memory']}"
    )
    if "streaming_over_in_memory_floor_sum" in p:
        print(
            f"streaming wall / in-memory floor of the 4 attributes at the same size: "
            f"{p['streaming_over_in_memory_floor_sum']:.1f}x (includes Parquet decoding and favourable-value mapping)"
        )


def summarise_targets(results: dict) -> list[dict]:
    targets = []
    fl = results.get("fairlearn")
    if fl:
        worst = min(fl["attributes"].items(), key=lambda kv: kv[1]["replicate_ratio"])
        targets.append(
            {
                "target": f"per replicate >= {TARGET_REPLICATE_RATIO:,.0f}x cheaper than fairlearn",
                "value": f"{worst[1]['replicate_ratio']:,.0f}x (worst: {worst[0]}, {fl['rows']:,} rows)",
                "status": _verdict(worst[1]["replicate_ratio"] >= TARGET_REPLICATE_RATIO),
            }
        )
    for key, who in (("engine_over_floor", "engine total"), ("app_over_floor", "app counting path + metrics")):
        for block in results["sizes"]:
            worst = max(block["attributes"].items(), key=lambda kv: kv[1][key])
            targets.append(
                {
                    "target": f"{who} <= {TARGET_FLOOR_RATIO:g}x floor at {block['rows']:,} rows",
                    "value": f"{worst[1][key]:.2f}x (worst: {worst[0]})",
                    "status": _verdict(worst[1][key] <= TARGET_FLOOR_RATIO),
                }
            )
    pq_block = results.get("parquet")
    if pq_block:
        targets.append(
            {
                "target": f"{pq_block['rows']:,}-row Parquet audited in < {TARGET_PEAK_RSS_BYTES / 1e9:g} GB peak RSS",
                "value": f"{pq_block['peak_rss_bytes'] / 1e6:,.0f} MB in {pq_block['wall_s']:.1f} s",
                "status": _verdict(
                    pq_block["peak_rss_bytes"] < TARGET_PEAK_RSS_BYTES and pq_block["counts_match_in_memory"]
                ),
            }
        )
    agreement = results.get("agreement")
    if agreement:
        targets.append(
            {
                "target": "intervals agree with fairlearn within Monte-Carlo error",
                "value": (
                    f"max |diff| {agreement['max_abs_endpoint_diff']:.4f}; "
                    f"worst {agreement['max_standardised_diff']:.2f} SE "
                    f"<= {agreement['z_allowed']:.2f}"
                ),
                "status": _verdict(agreement["within_tolerance"]),
            }
        )
    return targets


def print_targets(targets: list[dict]) -> None:
    print("\n== Targets ==")
    width = max(len(t["target"]) for t in targets)
    for t in targets:
        print(f"[{t['status']}] {t['target']:<{width}}  {t['value']}")


def print_code(meta: dict) -> None:
    dirty = " + uncommitted engine changes" if meta.get("engine_sources_dirty") else ""
    print(
        f"code: git {str(meta.get('git_head'))[:10]}{dirty}, engine sources sha256 {meta.get('engine_sources_sha256')}"
        f"; app counting: {meta.get('app_counting_path')}"
    )


def print_report(results: dict) -> None:
    """Print a saved results file again (targets recomputed with this version's rules)."""
    meta = results["meta"]
    print(f"metrics_bench results of {meta['date']}: {meta.get('cpu', '')}, {meta['machine']}")
    print_code(meta)
    for block in results["sizes"]:
        print_size(block)
    fairlearn_rows = results.get("fairlearn", {}).get("rows")
    print_fairlearn(results.get("fairlearn"), [b["rows"] for b in results["sizes"] if b["rows"] != fairlearn_rows])
    print_agreement(results.get("agreement"))
    print_parquet(results.get("parquet"))
    print_targets(summarise_targets(results))


def write_results(results: dict, path: Path) -> None:
    """Drop the per-group sizes (only there to check the streamed counts), write the JSON, say where it went."""
    for block in results["sizes"]:
        for a in block["attributes"].values():
            a.pop("group_sizes", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    print(
        f"\nbenchmark process peak RSS {results['meta']['parent_peak_rss_bytes'] / 1e6:,.0f} MB; "
        f"total {results['meta']['wall_s']:.0f} s; results in {shown}"
    )
