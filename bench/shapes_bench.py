#!/usr/bin/env python3
"""Issue 14, targets 1, 1b and 5: the gate on four DB shapes, side by side
with the sqlite3 CLI.

Shapes (WAL mode, checkpointed: a DB at rest, as every session starts):
  narrow      ticks: rows of three numbers, one index on their time (which
              grows with the rows, with some jitter)
  wide        a trading engine's orders (text of 20 to 200 bytes) and fills,
              two secondary indexes
  blob        4 to 90 KB blobs, mostly in overflow pages (a Fossil repository)
  fragmented  the wide DB of the same size after deleting 40 % of its rows
              at random: freelist pages, half-empty leaves

For each shape and size, --runs times, alternating (medians reported):
  1   `run` (every safeguard on, post-session backup off) from launch to the
      engine's first instruction, against one `sqlite3 -bail` doing
      integrity_check; .backup; .open copy; quick_check
  1b  `check` against `sqlite3 -readonly DB 'PRAGMA integrity_check'`
  5   the peak RSS of `run` (the gate and the copy side by side), and of
      `check`, from wait4()

Markdown to stdout, progress to stderr. Linux only.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lifecycle_bench import read_stamps, write_config  # noqa: E402

SHAPES = ("narrow", "wide", "blob", "fragmented")
# Rows added per batch, and the SQL of one batch (a recursive CTE keeps the
# random data inside SQLite, so a 1 GiB DB takes about a minute).
BATCH = {
    "narrow": (200000, """INSERT INTO t(at, b, c)
        SELECT (SELECT ifnull(max(id), 0) FROM t) * 1000 + x * 1000 + abs(random()) % 5000,
               random(), random() / 7.0 FROM n;"""),
    "wide": (20000, """INSERT INTO orders(account, placed_at, status, note)
          SELECT abs(random()) % 5000, abs(random()) % 100000000,
                 substr('new paid filled cancelled', 1 + 5 * (abs(random()) % 4), 5),
                 substr(hex(randomblob(100)), 1, 20 + abs(random()) % 181) FROM n;
        INSERT INTO fills(order_id, qty, price)
          SELECT abs(random()) % (SELECT max(id) FROM orders) + 1, abs(random()) % 1000,
                 abs(random()) % 100000 / 100.0 FROM n;"""),
    "blob": (200, """INSERT INTO blob(uuid, size, content)
        SELECT hex(randomblob(20)), s, randomblob(s)
        FROM (SELECT 4000 + abs(random()) % 86000 AS s FROM n);"""),
}
SCHEMA = {
    "narrow": """CREATE TABLE t(id INTEGER PRIMARY KEY, at INTEGER, b INTEGER, c REAL);
                 CREATE INDEX t_at ON t(at);""",
    "wide": """CREATE TABLE orders(id INTEGER PRIMARY KEY, account INTEGER, placed_at INTEGER,
                                   status TEXT, note TEXT);
               CREATE TABLE fills(id INTEGER PRIMARY KEY, order_id INTEGER, qty INTEGER,
                                  price REAL);
               CREATE INDEX orders_account ON orders(account, placed_at);
               CREATE INDEX fills_order ON fills(order_id);""",
    "blob": """CREATE TABLE blob(rid INTEGER PRIMARY KEY, uuid TEXT UNIQUE, size INTEGER,
                                 content BLOB);""",
}


def log(text):
    print(f"shapes-bench: {text}", file=sys.stderr, flush=True)


def sqlite(db, sql):
    subprocess.run(["sqlite3", "-bail", str(db)], input=sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def make_shape(db, shape, size_mb):
    """A DB of about size_mb MB at rest (WAL mode, checkpointed, -wal gone)."""
    if db.exists():
        return
    log(f"building {db} ({shape}, {size_mb} MB)")
    tmp = db.with_name(db.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    if shape == "fragmented":
        # The wide DB of the same size, 40 % of its rows deleted: the file
        # keeps its size, with freelist pages and half-empty leaves.
        wide = db.with_name(f"wide-{size_mb}.db")
        make_shape(wide, "wide", size_mb)
        shutil.copy(wide, tmp)
        sqlite(tmp, """PRAGMA journal_mode=WAL;
            DELETE FROM orders WHERE abs(random()) % 10 < 4;
            DELETE FROM fills WHERE abs(random()) % 10 < 4;
            PRAGMA wal_checkpoint(TRUNCATE);""")
    else:
        rows, batch = BATCH[shape]
        numbers = f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {rows})"
        sqlite(tmp, "PRAGMA journal_mode=WAL;\n" + SCHEMA[shape])
        while tmp.stat().st_size < size_mb << 20:
            sqlite(tmp, "PRAGMA journal_mode=WAL; BEGIN;\n" +
                   "\n".join(f"{numbers} {statement.strip()};" for statement in batch.split(";")
                             if statement.strip()) + "\nCOMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
    sqlite(tmp, "PRAGMA wal_checkpoint(TRUNCATE);")
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(db)


def waited(command):
    """Wall seconds and peak RSS (MiB, the largest of the process and its
    children) of one command that must succeed."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:3]} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def bench_shape(args, work, shape, size_mb):
    folder = work / f"{shape}-{size_mb}"
    db = work / "dbs" / f"{shape}-{size_mb}.db"
    make_shape(db, shape, size_mb)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    live = folder / "data" / "live.db"
    shutil.copy(db, live)
    stamps = folder / "stamps"
    config = write_config(folder, live, [args.engine, "--stamps", stamps, "--seconds", "0"],
                          retention=1, post_backup=False)
    copy = folder / "cli-copy.db"
    script = (f"PRAGMA integrity_check;\n.backup '{copy}'\n.open '{copy}'\n"
              "PRAGMA quick_check;\n")
    result = {key: [] for key in ("pre", "cli_seq", "check", "cli_check", "rss_run", "rss_check")}
    for run in range(args.runs + 1):  # run 0 warms the page cache, and is not kept
        stamps.unlink(missing_ok=True)
        launched = time.monotonic_ns()
        _, rss_run = waited([str(args.supervisor), "run", "--config", str(config)])
        pre = (read_stamps(stamps)["start"][0] - launched) / 1e9
        start = time.monotonic()
        subprocess.run(["sqlite3", "-bail", str(live)], input=script, text=True, check=True,
                       stdout=subprocess.DEVNULL)
        cli_seq = time.monotonic() - start
        copy.unlink()
        check, rss_check = waited([str(args.supervisor), "check", "--db", str(live)])
        cli_check, _ = waited(["sqlite3", "-readonly", str(live), "PRAGMA integrity_check;"])
        if run:
            for key, value in (("pre", pre), ("cli_seq", cli_seq), ("check", check),
                               ("cli_check", cli_check), ("rss_run", rss_run),
                               ("rss_check", rss_check)):
                result[key].append(value)
        log(f"{shape} {size_mb} MB run {run}: pre {pre:.2f} s / CLI {cli_seq:.2f} s, "
            f"check {check:.2f} s / CLI {cli_check:.2f} s, RSS {rss_run:.0f} MiB")
    result["bytes"] = live.stat().st_size
    shutil.rmtree(folder)
    return result


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--supervisor", type=Path, required=True)
    parser.add_argument("--engine", type=Path, required=True, help="es-bench-engine")
    parser.add_argument("--work", type=Path, default=Path("/tmp/es-shapes-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="256,1024", help="MB, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    args.supervisor, args.engine = args.supervisor.resolve(), args.engine.resolve()
    (args.work / "dbs").mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    print("| Shape | Size | `run` to engine start | CLI sequence | ratio (≤ 0.75) "
          "| `check` | CLI `integrity_check` | ratio (≤ 1.0) | peak RSS `run` (≤ 96 MiB) "
          "| peak RSS `check` |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size_mb in sizes:
        for shape in shapes:
            r = bench_shape(args, args.work, shape, size_mb)
            pre, seq = median(r["pre"]), median(r["cli_seq"])
            check, cli = median(r["check"]), median(r["cli_check"])
            rss_run, rss_check = max(r["rss_run"]), max(r["rss_check"])
            print(f"| {shape} | {r['bytes'] / (1 << 20):.0f} MiB | {pre:.2f} s | {seq:.2f} s "
                  f"| **{pre / seq:.2f}** {'met' if pre / seq <= 0.75 else 'missed'} "
                  f"| {check:.2f} s | {cli:.2f} s "
                  f"| **{check / cli:.2f}** {'met' if check / cli <= 1.0 else 'missed'} "
                  f"| {rss_run:.0f} MiB {'met' if rss_run <= 96 else 'missed'} "
                  f"| {rss_check:.0f} MiB |", flush=True)
    print()
    print(f"Medians of {args.runs} runs after a warm-up; peak RSS is the largest of the runs "
          "(wait4's ru_maxrss: the process or its largest child).")


if __name__ == "__main__":
    main()
