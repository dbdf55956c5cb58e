"""Turn one run's results into ``results.json``, ``results.md`` and ``ratios.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _range(summary: dict[str, float], digits: int = 2) -> str:
    return (
        f"{summary['median']:.{digits}f} [{summary['p25']:.{digits}f}-{summary['p75']:.{digits}f}]"
    )


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | comparison | target | measured: median [p25-p75] | met |",
        "|---|---|---|---|---|",
    ]
    for t in targets:
        measured = _range(t["measured"]) if t["measured"] else "skipped"
        met = {True: "yes", False: "**no**", None: "—"}[t["met"]]
        lines.append(f"| {t['case']} | {t['comparison']} | {t['target']} | {measured} | {met} |")
    return lines


def throughput_table(throughput: dict[str, Any]) -> list[str]:
    keys = ["raw", "raw_no_env", "ours", "ours_times", "published"]
    heads = [
        "raw requests",
        "raw, trust_env=False",
        "verizon-sdk",
        "verizon-sdk, every time read",
        "published SDK",
    ]
    lines = [
        "| case (µs per call, median) | " + " | ".join(heads) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for case in throughput.values():
        cells = []
        for key in keys:
            contender = case["contenders"].get(key)
            cells.append(
                f"{contender['seconds_per_call']['median'] * 1e6:,.0f}" if contender else "—"
            )
        lines.append(f"| {case['title']} | " + " | ".join(cells) + " |")
    return lines


def informational_table(throughput: dict[str, Any]) -> list[str]:
    lines = ["| case | ratio | median [p25-p75] |", "|---|---|---|"]
    for case in throughput.values():
        for name, summary in case["ratios"].items():
            lines.append(f"| {case['title']} | {name} | {_range(summary)} |")
    return lines


def cold_table(cold: dict[str, Any]) -> list[str]:
    lines = [
        "| fresh interpreter runs | in-process, ms | whole process, ms | peak RSS (VmHWM), MiB "
        "| ru_maxrss, MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for entry in cold.values():
        if "label" not in entry:
            continue
        lines.append(
            f"| {entry['label']} | {entry['seconds']['median'] * 1e3:.1f} "
            f"| {entry['process_seconds']['median'] * 1e3:.1f} "
            f"| {entry['peak_rss_mib']['median']:.1f} | {entry['ru_maxrss_mib']['median']:.1f} |"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [
        f"# verizon-sdk benchmarks ({meta['mode']} run)",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}, {meta['cpu_count']} CPUs, {meta['system']}",
        f"- Python {meta['python']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items()),
        f"- command: `{meta['command']}`",
        f"- verizon_sdk source: commit {meta['source']['commit']}"
        + (" with uncommitted changes" if meta["source"]["modified"] else ""),
        "",
        "Ratios are throughput ratios (ours ÷ theirs; above 1 means we are faster) except the",
        "cold-start rows, which are time ratios (below 1 means we are faster). Each is the median",
        "of per-round ratios, contenders interleaved; p25-p75 is the middle half of the rounds.",
        "",
        "## Targets",
        "",
        *targets_table(results["targets"]),
        "",
    ]
    if results["skipped"]:
        out += ["Skipped:", ""]
        out += [f"- {key}: {why}" for key, why in results["skipped"].items()]
        out += [""]
    if results.get("throughput"):
        out += [
            "## Per-call time on the fixed-response server",
            "",
            *throughput_table(results["throughput"]),
            "",
            "Every ratio measured (ours ÷ the other, throughput):",
            "",
            *informational_table(results["throughput"]),
            "",
        ]
    if results.get("cold_start"):
        cold = results["cold_start"]
        out += [
            "## Cold start",
            "",
            *cold_table(cold),
            "",
            "Peak RSS is the child's own `VmHWM`. `ru_maxrss` is shown for reference: on Linux it",
            "carries over across fork and exec, so each child reports this (larger) benchmark",
            "process's peak instead of its own; launched from a shell, the two agree.",
            "",
            "Time ratios (ours ÷ the other; below 1 means we are faster):",
            "",
            "| ratio | median [p25-p75] |",
            "|---|---|",
            *[f"| {name} | {_range(summary)} |" for name, summary in cold["ratios"].items()],
            "",
        ]
    if results.get("startup"):
        up = results["startup"]
        seconds = up["process_seconds"]
        out += [
            "## Start-up (whole process)",
            "",
            f"`python -I -c` each, interleaved, {up['rounds']} runs each; medians.",
            "",
            "| process | median, ms | p25-p75, ms |",
            "|---|---:|---|",
            *[
                f"| {key} | {s['median'] * 1e3:.1f} | {s['p25'] * 1e3:.1f}-{s['p75'] * 1e3:.1f} |"
                for key, s in seconds.items()
            ],
            "",
            f"- ours ÷ requests (ratio of the medians): {up['ratio_of_medians']:.3f}; goal "
            f"<= {up['goal']:g}: {'met' if up['met'] else 'NOT met'}",
            f"- per-round ratio: {_range(up['per_round_ratio'], 3)}",
            f"- after `import verizon_sdk` + client: {len(up['loaded']['verizon_sdk'])} "
            f"verizon_sdk modules, {up['loaded']['modules']} modules in all; feature modules "
            f"loaded: {', '.join(up['loaded']['feature_modules_loaded']) or 'none'}",
            "",
        ]
    if results.get("iterate"):
        it = results["iterate"]
        out += [
            "## Iterate a fleet (simulator)",
            "",
            f"{it['devices']:,} devices in pages of {it['page_size']:,}: "
            f"{it['seconds']:.2f} s ({it['devices_per_second']:,.0f} devices/s), every "
            f"`assignment_time` read. RSS growth {it['rss_growth_mib'] * 1024:,.0f} KiB; one page "
            f"held: {it['page_held_mib'] * 1024:,.0f} KiB, one fetch's peak: "
            f"{it['page_peak_mib'] * 1024:,.0f} KiB (tracemalloc).",
            "",
        ]
    if results.get("bulk"):
        b = results["bulk"]
        few, many = (str(w) for w in b["workers"])
        seconds, rate = b["seconds"], b["ids_per_second"]
        out += [
            "## Bulk assign (simulator)",
            "",
            f"{b['devices']:,} ids, chunks of 1,000, {b['latency_seconds'] * 1e3:.0f} ms added "
            f"latency per answer: {few} worker {seconds[few]['median']:.2f} s "
            f"({rate[few]:,.0f} ids/s), {many} workers {seconds[many]['median']:.2f} s "
            f"({rate[many]:,.0f} ids/s); raw `requests` from {many} threads (the ceiling here) "
            f"{seconds['raw' + many]['median']:.2f} s ({rate['raw' + many]:,.0f} ids/s).",
            "",
            f"- {many} workers ÷ {few} worker: {_range(b['speedup'])}",
            f"- raw, {many} threads ÷ SDK, {few} worker: {_range(b['raw_speedup'])}",
            f"- SDK, {many} workers ÷ raw, {many} threads: {_range(b['sdk_over_raw'])}",
            "- client CPU per 1,000-id chunk (ms): "
            + ", ".join(f"{k} {v:.1f}" for k, v in b["client_cpu_ms_per_chunk"].items()),
            "",
        ]
    if results.get("notes"):
        out += ["## Notes", "", *[f"- {note}" for note in results["notes"]], ""]
    return "\n".join(out)


def draw(results: dict[str, Any], path: Path) -> str | None:
    """Write the ratio bar chart; return why not when matplotlib is missing."""
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return f"matplotlib not installed ({exc}); no chart; pip install -e '.[bench]'"
    rows = [t for t in results["targets"] if t["measured"] and t.get("ratio")]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.4))
    labels = [
        f"{t['case']}\n{t['comparison']}, target {t['target']}"
        + (" (lower is better)" if t["target"].startswith("<") else "")
        for t in rows
    ]
    values = [t["measured"]["median"] for t in rows]
    colors = ["#2e7d32" if t["met"] else "#c62828" for t in rows]
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, values, color=colors, height=0.6)
    for y, t, value in zip(positions, rows, values, strict=True):
        ax.plot([t["threshold"]] * 2, [y - 0.4, y + 0.4], color="black", linewidth=2)
        ax.text(max(value, t["threshold"]) * 1.03, y, f"{value:.2f}", va="center", fontsize=8)
    ax.set_yticks(positions, labels, fontsize=7)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([0.5, 1, 2, 5, 10, 20])
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("ratio, log scale (black tick: target; green: met, red: missed)")
    meta = results["meta"]
    ax.set_title(
        f"verizon-sdk ratios, {meta['date'][:10]}, {meta['machine']}, Python {meta['python']}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return None


def write(results: dict[str, Any], out: Path, *, chart: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "markdown": out / "results.md"}
    why_not = draw(results, out / "ratios.png") if chart else "chart disabled (--without chart)"
    if why_not is None:
        paths["chart"] = out / "ratios.png"
    else:
        results["skipped"]["chart"] = why_not
    paths["json"].write_text(json.dumps(results, indent=2) + "\n")
    paths["markdown"].write_text(markdown(results) + "\n")
    return paths
