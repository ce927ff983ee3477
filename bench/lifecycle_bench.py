#!/usr/bin/env python3
"""Lifecycle benchmarks 2 to 7 of issue 6, side by side in one run.

  2  time to engine start: launch of `run` until the engine's first instruction
  3  backup plus verification against the sqlite3 CLI's .backup plus quick_check
  4  idle cost while the engine runs: the supervisor's CPU and RSS
  5  output throughput: 1 GiB of engine lines through the supervisor, against cat
  6  stop latency: SIGTERM to the supervisor until the engine has its stop signal
  7  crash detection: the engine killed until the run's record is written

4 to 7 also run the same engine under supervisord (Debian's `supervisor`).

Times come from CLOCK_MONOTONIC on both sides: the harness reads it with
time.monotonic_ns(), and es-bench-engine (bench/bench_engine.cpp) stamps its
first instruction, its stop signal (inside the handler) and its flood into a
file. Markdown goes to stdout, progress to stderr. bench/run_all.sh runs this
and records the output in bench/RESULTS.md. Linux only.
"""

import argparse
import ctypes
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text):
    print(f"lifecycle-bench: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Fixtures: a WAL DB, a supervisor config, a supervisord config.


def make_db(path, size_mb):
    """A WAL DB of about size_mb MB, shaped like the gate benchmark's:
    customers and orders with random text and four indexes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        """
        CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT UNIQUE, notes TEXT);
        CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, status TEXT,
                            amount REAL, notes TEXT);
        CREATE INDEX orders_customer ON orders(customer);
        CREATE INDEX orders_status ON orders(status, amount);
        """
    )
    rng = random.Random(42)
    letters = "abcdefghijklmnopqrstuvwxyz "
    orders = int(size_mb * 5200)  # about 200 bytes an order with its index entries
    customers = max(orders // 20, 1)
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)",
        ((i, f"customer-{i}", "".join(rng.choices(letters, k=60))) for i in range(customers)),
    )
    statuses = ["new", "open", "filled", "cancelled", "rejected"]
    for start in range(0, orders, 20000):
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            (
                (i, rng.randrange(customers), rng.choice(statuses), rng.random() * 1000,
                 "".join(rng.choices(letters, k=120)))
                for i in range(start, min(start + 20000, orders))
            ),
        )
        db.commit()
    db.close()


def write_config(folder, db, engine_command, retention=3, post_backup=True):
    config = folder / "engine-supervisor.yaml"
    (folder / "backups").mkdir(parents=True, exist_ok=True)
    command = ", ".join(json.dumps(str(a)) for a in engine_command)
    config.write_text(
        f"""database:
  path: {json.dumps(str(db))}
  backup_dir: {json.dumps(str(folder / "backups"))}
db_safeguards:
  pre_session_backup_enabled: true
  post_session_backup_enabled: {"true" if post_backup else "false"}
  backup_retention_count: {retention}
  integrity_check_on_startup: true
  integrity_check_mode: full
engine:
  command: [{command}]
  working_dir: {json.dumps(str(folder))}
  stop_signal: SIGINT
  stop_grace_seconds: 10
summary:
  dir: {json.dumps(str(folder / "logs"))}
logging:
  dir: {json.dumps(str(folder / "logs"))}
  level: info
"""
    )
    return config


class Supervisord:
    """supervisord in the foreground, running one program: the engine."""

    def __init__(self, folder, engine_command):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "supervisord.log"
        self.conf = folder / "supervisord.conf"
        self.conf.write_text(
            f"""[supervisord]
nodaemon=true
user=root
logfile={self.log}
logfile_maxbytes=0
pidfile={folder / "supervisord.pid"}
childlogdir={folder}

[program:engine]
command={" ".join(str(a) for a in engine_command)}
directory={folder}
autostart=true
autorestart=false
startsecs=0
stopsignal=INT
stopwaitsecs=10
exitcodes=0
redirect_stderr=true
stdout_logfile={folder / "engine.out.log"}
stdout_logfile_maxbytes=0
"""
        )
        self.process = subprocess.Popen(
            ["supervisord", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = 0
        return usage


def session_folder(folder, template, engine_command):
    """A folder for one `run`: a copy of the template DB, the config, and the
    path the bench engine stamps into (engine_command gets --stamps)."""
    (folder / "data").mkdir(parents=True)
    shutil.copy(template, folder / "data" / "live.db")
    stamps = folder / "stamps"
    config = write_config(folder, folder / "data" / "live.db",
                          engine_command[:1] + ["--stamps", stamps] + engine_command[1:])
    return config, stamps


def supervisor_run(supervisor, config, stdout=subprocess.DEVNULL):
    return subprocess.Popen([str(supervisor), "run", "--config", str(config)],
                            stdout=stdout, stderr=subprocess.DEVNULL)


def wait_usage(process):
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


# --------------------------------------------------------------------------
# Reading what happened.


def read_stamps(path):
    stamps = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                stamps[parts[0]] = [int(p) for p in parts[1:]]
    return stamps


def wait_for_stamp(path, event, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stamps = read_stamps(path)
        if event in stamps:
            return stamps[event]
        time.sleep(0.01)
    raise RuntimeError(f"no '{event}' stamp in {path} after {timeout} s")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def memory_kib(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class FileEvents:
    """Blocks (no polling) until inotify reports an event in a folder: the
    harness wakes within a fraction of a millisecond of a rename or a write,
    where file mtimes tick only with the kernel's coarse clock."""

    MODIFY, MOVED_TO = 0x2, 0x80
    _libc = ctypes.CDLL(None, use_errno=True)

    def __init__(self, folder, mask):
        self.fd = self._libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0 or self._libc.inotify_add_watch(self.fd, str(folder).encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify on {folder}")

    def wait_for(self, name, timeout=10.0):
        """The monotonic time at which an event for `name` arrived."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise RuntimeError(f"no inotify event for {name} in {timeout} s")
            arrived = time.monotonic_ns()
            data = os.read(self.fd, 65536)
            offset = 0
            while offset < len(data):
                _, _, _, length = struct.unpack_from("iIII", data, offset)
                event_name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode()
                offset += 16 + length
                if event_name == name:
                    return arrived

    def close(self):
        os.close(self.fd)


def timed(command, **kwargs):
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.monotonic() - start


# --------------------------------------------------------------------------
# The benchmarks. Each returns {measurement name: [one value per run]}.


def keep(result, run, **values):
    """Records one run's values, unless it was the warm-up (run 0)."""
    if run > 0:
        for key, value in values.items():
            result[key].append(value)


def bench_start(args, work):
    """2: launch of `run` until the engine's first instruction, 10 MB DB."""
    folder = work / "start"
    db = folder / "data" / "live.db"
    make_db(db, 10)
    stamps = folder / "stamps"
    config = write_config(folder, db, [args.engine, "--stamps", stamps, "--seconds", "0"])
    result = {"start": [], "gate": [], "cli_check": []}
    for run in range(args.runs + 1):
        stamps.unlink(missing_ok=True)
        launched = time.monotonic_ns()
        process = supervisor_run(args.supervisor, config)
        process.wait()
        if process.returncode != 0:
            raise RuntimeError(f"run exited {process.returncode}: see {folder / 'logs'}")
        started = read_stamps(stamps)["start"][0]
        summary = json.loads((folder / "logs" / "latest.json").read_text())
        cli = timed(["sqlite3", "-readonly", str(db), "PRAGMA integrity_check;"])
        keep(result, run, start=(started - launched) / 1e9, cli_check=cli,
             gate=summary["db_health"]["integrity_check_seconds"])
    return result


def bench_backup(args, work, size_mb):
    """3: `backup` (copy, fsync, quick_check, rename) against the CLI's
    .backup then quick_check of the copy, in one sqlite3 process."""
    folder = work / f"backup-{size_mb}"
    db = folder / "live.db"
    make_db(db, size_mb)
    copy = folder / "cli-copy.db"
    result = {"ours": [], "cli": []}
    for run in range(args.runs + 1):
        ours = timed([str(args.supervisor), "backup", "--db", str(db)])
        for manual in folder.glob("live.db.manual.*"):
            manual.unlink()
        cli = timed(["sqlite3", "-bail", str(db), f".backup '{copy}'", f".open '{copy}'",
                     "PRAGMA quick_check;"])
        copy.unlink()
        keep(result, run, ours=ours, cli=cli)
    return result


def bench_idle(args, work):
    """4: both supervisors side by side, each running the demo engine (one
    order and fill a 100 ms, a line each) for args.idle_seconds."""
    result = {"ours_cpu": [], "ours_rss": [], "ours_hwm": [],
              "supd_cpu": [], "supd_rss": [], "supd_hwm": []}
    base = work / "idle"
    base.mkdir(parents=True)
    db_template = base / "template.db"
    # The demo engine's own schema: it adds orders and fills to it.
    subprocess.run([args.demo_engine, "--db", db_template, "--seconds", "0.2"], check=True,
                   stdout=subprocess.DEVNULL)
    for run in range(args.runs):
        ours_dir, supd_dir = base / f"ours-{run}", base / f"supd-{run}"
        for d in (ours_dir, supd_dir):
            (d / "data").mkdir(parents=True)
            shutil.copy(db_template, d / "data" / "live.db")
        demo = [args.demo_engine, "--interval-ms", "100", "--seconds", "0"]
        config = write_config(ours_dir, ours_dir / "data" / "live.db", demo)
        ours = supervisor_run(args.supervisor, config)
        supd = Supervisord(supd_dir, demo + ["--db", supd_dir / "data" / "live.db"])
        time.sleep(args.idle_settle)  # gate, backup and spawn are behind us
        cpu_before = (cpu_seconds(ours.pid), cpu_seconds(supd.process.pid))
        time.sleep(args.idle_seconds)
        cpu_after = (cpu_seconds(ours.pid), cpu_seconds(supd.process.pid))
        for key, pid in (("ours", ours.pid), ("supd", supd.process.pid)):
            result[f"{key}_rss"].append(memory_kib(pid, "VmRSS") / 1024)
            result[f"{key}_hwm"].append(memory_kib(pid, "VmHWM") / 1024)
        result["ours_cpu"].append((cpu_after[0] - cpu_before[0]) / args.idle_seconds * 100)
        result["supd_cpu"].append((cpu_after[1] - cpu_before[1]) / args.idle_seconds * 100)
        ours.send_signal(signal.SIGTERM)
        ours.wait()
        supd.stop()
        log(f"idle run {run + 1}: ours {result['ours_cpu'][-1]:.3f} % "
            f"supervisord {result['supd_cpu'][-1]:.3f} %")
    return result


def flood_seconds(stamps):
    s = read_stamps(stamps)
    return (s["flood-end"][0] - s["flood-begin"][0]) / 1e9


def bench_throughput(args, work):
    """5: args.flood_bytes of 100-byte lines: into `cat > /dev/null`, through
    engine-supervisor (echoed to its stdout, here /dev/null, and written to its
    session log) and through supervisord (written to its program log). Timed
    by the engine from its first line to its last write returned."""
    base = work / "flood"
    base.mkdir(parents=True)
    make_db(base / "template.db", 1)
    flood = ["--flood-bytes", str(args.flood_bytes)]
    result = {"cat": [], "tee": [], "ours": [], "supd": [], "ours_maxrss": [], "supd_maxrss": []}
    for run in range(args.runs):
        stamps = base / f"cat-{run}.stamps"
        subprocess.run(f"'{args.engine}' --stamps '{stamps}' {' '.join(flood)} | cat >/dev/null",
                       shell=True, check=True)
        result["cat"].append(flood_seconds(stamps))
        # The same work as ours at its simplest: one log file on disk (issue 14.3).
        stamps, log_file = base / f"tee-{run}.stamps", base / f"tee-{run}.log"
        subprocess.run(f"'{args.engine}' --stamps '{stamps}' {' '.join(flood)} "
                       f"| tee '{log_file}' >/dev/null", shell=True, check=True)
        result["tee"].append(flood_seconds(stamps))
        log_file.unlink()

        folder = base / f"ours-{run}"
        config, stamps = session_folder(folder, base / "template.db", [args.engine] + flood)
        usage = wait_usage(supervisor_run(args.supervisor, config))
        result["ours"].append(flood_seconds(stamps))
        result["ours_maxrss"].append(usage.ru_maxrss / 1024)
        shutil.rmtree(folder)  # a GiB of session log

        folder = base / f"supd-{run}"
        stamps = folder / "stamps"
        supd = Supervisord(folder, [args.engine, "--stamps", stamps] + flood)
        wait_for_stamp(stamps, "flood-end", timeout=600)
        time.sleep(0.5)  # supervisord notices the exit; nothing is timed here
        usage = supd.stop()
        result["supd"].append(flood_seconds(stamps))
        result["supd_maxrss"].append(usage.ru_maxrss / 1024)
        shutil.rmtree(folder)
        log(f"flood run {run + 1}: cat {result['cat'][-1]:.2f} s, ours {result['ours'][-1]:.2f} s,"
            f" supervisord {result['supd'][-1]:.2f} s")
    return result


def bench_stop(args, work):
    """6: SIGTERM to the supervisor until the engine's handler runs."""
    base = work / "stop"
    base.mkdir(parents=True)
    make_db(base / "template.db", 1)
    result = {"ours": [], "supd": []}
    for run in range(args.runs + 1):
        config, stamps = session_folder(base / f"ours-{run}", base / "template.db", [args.engine])
        ours = supervisor_run(args.supervisor, config)
        wait_for_stamp(stamps, "start")
        time.sleep(0.3)  # the supervisor is in its watch loop, idle
        sent = time.monotonic_ns()
        ours.send_signal(signal.SIGTERM)
        ours.wait()
        ours_latency = (read_stamps(stamps)["stop"][0] - sent) / 1e9

        folder = base / f"supd-{run}"
        stamps = folder / "stamps"
        supd = Supervisord(folder, [args.engine, "--stamps", stamps])
        wait_for_stamp(stamps, "start")
        time.sleep(0.3)
        sent = time.monotonic_ns()
        supd.stop()
        supd_latency = (wait_for_stamp(stamps, "stop")[0] - sent) / 1e9
        keep(result, run, ours=ours_latency, supd=supd_latency)
    return result


def bench_crash(args, work):
    """7: SIGKILL to the engine until the run's record is on disk: for
    engine-supervisor latest.json renamed into place, less the post-session
    quick_check the summary reports; for supervisord the write of its
    'exited: engine' log line. Both seen through inotify."""
    base = work / "crash"
    base.mkdir(parents=True)
    make_db(base / "template.db", 1)
    result = {"ours": [], "ours_total": [], "supd": []}
    for run in range(args.runs + 1):
        folder = base / f"ours-{run}"
        config, stamps = session_folder(folder, base / "template.db", [args.engine])
        ours = supervisor_run(args.supervisor, config)
        engine_pid = wait_for_stamp(stamps, "start")[1]
        time.sleep(0.3)
        events = FileEvents(folder / "logs", FileEvents.MOVED_TO)
        killed = time.monotonic_ns()
        os.kill(engine_pid, signal.SIGKILL)
        written = events.wait_for("latest.json")
        events.close()
        ours.wait()
        summary = json.loads((folder / "logs" / "latest.json").read_text())
        if summary["outcome"] != "unclean":
            raise RuntimeError(f"crash run recorded {summary['outcome']}: {folder}")
        total = (written - killed) / 1e9
        post_check = summary["db_health"]["post_session_integrity_seconds"]

        folder = base / f"supd-{run}"
        stamps = folder / "stamps"
        supd = Supervisord(folder, [args.engine, "--stamps", stamps])
        engine_pid = wait_for_stamp(stamps, "start")[1]
        time.sleep(0.3)
        events = FileEvents(folder, FileEvents.MODIFY)
        killed = time.monotonic_ns()
        os.kill(engine_pid, signal.SIGKILL)
        while True:
            written = events.wait_for(supd.log.name)
            if "exited: engine" in supd.log.read_text():
                break
        events.close()
        supd.stop()
        keep(result, run, ours=total - post_check, ours_total=total,
             supd=(written - killed) / 1e9)
    return result


# --------------------------------------------------------------------------
# Markdown.


def stats(values):
    return statistics.median(values), min(values), max(values)


def row(name, values, unit, scale=1.0, digits=1):
    med, lo, hi = (v * scale for v in stats(values))
    return f"| {name} | {med:.{digits}f} {unit} | {lo:.{digits}f} | {hi:.{digits}f} |"


def verdict(met):
    return "met" if met else "**missed**"


def report(args, results):
    out = []
    n = args.runs
    header = ["| Measurement | median | min | max |", "|---|---:|---:|---:|"]

    if "start" in results:
        r = results["start"]
        start, gate, cli = (statistics.median(r[k]) for k in ("start", "gate", "cli_check"))
        out += ["### 2. Time to engine start (10 MB DB, all safeguards on)", "",
                f"{n} runs after a warm-up. From `Popen(engine-supervisor run)` to the first "
                "instruction of the engine's `main`. All safeguards on: lock, recovery, local-disk "
                "check, full integrity gate beside the verified pre-session backup, open-elsewhere "
                "check, run history fsync, spawn.", ""] + header + [
            row("launch → engine's first instruction", r["start"], "ms", 1000),
            row("the gate's own work: its integrity_check in the same run", r["gate"], "ms", 1000),
            row("sqlite3 CLI: `PRAGMA integrity_check` alone, as a process", r["cli_check"], "ms",
                1000), "",
            f"- Target ≤ 150 ms: {start * 1000:.1f} ms, {verdict(start <= 0.150)}.",
            f"- Target ≤ 2× the gate's own work: {start / gate:.2f}× its in-run check "
            f"({verdict(start <= 2 * gate)}); {start / cli:.2f}× the CLI's check alone.", ""]

    for key in sorted(k for k in results if k.startswith("backup-")):
        r = results[key]
        size = key.split("-")[1]
        ratio = statistics.median(r["ours"]) / statistics.median(r["cli"])
        out += [f"### 3. Backup plus verification, {size} MB DB", "",
                f"{n} runs after a warm-up, alternating. Ours: the `engine-supervisor backup` "
                "process: copy with the backup API, fsync, `quick_check` of the copy, rename, "
                "folder fsync, retention (the same `BackupStore::take` as the post-session "
                "backup). CLI: one `sqlite3 -bail` process: `.backup 'copy'`, `.open 'copy'`, "
                "`PRAGMA quick_check;` (no fsync).", ""] + header + [
            row("ours: `engine-supervisor backup`", r["ours"], "ms", 1000),
            row("sqlite3 CLI: `.backup` + `quick_check`", r["cli"], "ms", 1000), "",
            f"**Ratio ours / CLI: {ratio:.2f}** (target ≤ 1.0: {verdict(ratio <= 1.0)}).", ""]

    if "idle" in results:
        r = results["idle"]
        ours_cpu, supd_cpu = statistics.median(r["ours_cpu"]), statistics.median(r["supd_cpu"])
        ours_rss = statistics.median(r["ours_rss"])
        out += [f"### 4. Idle cost while the engine runs ({args.idle_seconds:.0f} s)", "",
                f"{n} runs. Both supervisors side by side, each running the demo engine "
                "(`es-demo-engine --interval-ms 100`: a transaction and a line of output every "
                "100 ms, which each supervisor drains and logs). CPU: utime + stime of the "
                "supervisor process alone (not the engine) over the window, from /proc, after "
                f"{args.idle_settle:.0f} s to settle. RSS at the end of the window.", ""] + header + [
            row("engine-supervisor CPU (% of one core)", r["ours_cpu"], "%", 1, 3),
            row("supervisord CPU (% of one core)", r["supd_cpu"], "%", 1, 3),
            row("engine-supervisor RSS", r["ours_rss"], "MiB"),
            row("engine-supervisor peak RSS (VmHWM)", r["ours_hwm"], "MiB"),
            row("supervisord RSS", r["supd_rss"], "MiB"),
            row("supervisord peak RSS (VmHWM)", r["supd_hwm"], "MiB"), "",
            f"- Target < 0.5 % of one core: {ours_cpu:.3f} %, {verdict(ours_cpu < 0.5)}. "
            f"Ratio to supervisord: {ours_cpu / supd_cpu:.3g}." if supd_cpu > 0 else
            f"- Target < 0.5 % of one core: {ours_cpu:.3f} %, {verdict(ours_cpu < 0.5)}.",
            f"- Target RSS ≤ 16 MB: {ours_rss:.1f} MiB, {verdict(ours_rss <= 16)}; issue 14.4, "
            f"≤ 8 MiB: {verdict(ours_rss <= 8)}. Ratio to "
            f"supervisord: {ours_rss / statistics.median(r['supd_rss']):.3g}.", ""]

    if "flood" in results:
        r = results["flood"]
        cat, tee, ours, supd = (statistics.median(r[k]) for k in ("cat", "tee", "ours", "supd"))
        gib = args.flood_bytes / 2**30
        out += [f"### 5. Output throughput ({gib:g} GiB of 100-byte lines)", "",
                f"{n} runs. Timed by the engine: from its first line to its last write returned "
                "(a pipe holds 64 KiB, so the consumer is at most that far behind). Ours echoes "
                "each line to its stdout (here /dev/null) and writes it, time-stamped, to the "
                "session log on disk; supervisord writes it to the program's log on disk.",
                ""] + header + [
            row("`engine | cat > /dev/null`", r["cat"], "s", 1, 2),
            row("`engine | tee session.log > /dev/null`", r["tee"], "s", 1, 2),
            row("through engine-supervisor", r["ours"], "s", 1, 2),
            row("through supervisord", r["supd"], "s", 1, 2),
            row("engine-supervisor peak RSS", r["ours_maxrss"], "MiB"),
            row("supervisord peak RSS", r["supd_maxrss"], "MiB"), "",
            f"- Target ≤ 1.5× cat: **{ours / cat:.2f}×**, {verdict(ours <= 1.5 * cat)}. "
            f"MB/s: cat {args.flood_bytes / cat / 1e6:.0f}, ours "
            f"{args.flood_bytes / ours / 1e6:.0f}, supervisord {args.flood_bytes / supd / 1e6:.0f}.",
            f"- Issue 14.3, target ≤ 1.0× supervisord: **{ours / supd:.2f}×**, "
            f"{verdict(ours <= supd)}; target ≤ 1.3× tee: **{ours / tee:.2f}×**, "
            f"{verdict(ours <= 1.3 * tee)}.", ""]

    if "stop" in results:
        r = results["stop"]
        ours, supd = statistics.median(r["ours"]), statistics.median(r["supd"])
        out += ["### 6. Stop latency", "",
                f"{n} runs after a warm-up. SIGTERM to the supervisor process until the "
                "engine's handler for its stop signal (SIGINT for both) runs.", ""] + header + [
            row("engine-supervisor", r["ours"], "ms", 1000, 2),
            row("supervisord", r["supd"], "ms", 1000, 2), "",
            f"- Target < 50 ms: {ours * 1000:.2f} ms, {verdict(ours < 0.050)}. "
            f"Ratio to supervisord: {ours / supd:.3g}.", ""]

    if "crash" in results:
        r = results["crash"]
        ours, supd = statistics.median(r["ours"]), statistics.median(r["supd"])
        out += ["### 7. Crash detection", "",
                f"{n} runs after a warm-up. SIGKILL to the engine until the run's record is on "
                "disk, seen through inotify. engine-supervisor: `latest.json` renamed into "
                "place (the exit classified and logged, the summary written and fsynced), less "
                "the post-session `quick_check` (`post_session_integrity_seconds`). "
                "supervisord: the write of its `exited: engine (terminated by SIGKILL)` log "
                "line.", ""] + header + [
            row("engine-supervisor, without the post-session check", r["ours"], "ms", 1000),
            row("engine-supervisor, with it", r["ours_total"], "ms", 1000),
            row("supervisord", r["supd"], "ms", 1000), "",
            f"- Target < 200 ms: {ours * 1000:.1f} ms, {verdict(ours < 0.200)}. "
            f"Ratio to supervisord: {ours / supd:.3g}.", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--supervisor", type=Path, required=True)
    parser.add_argument("--engine", type=Path, required=True, help="es-bench-engine")
    parser.add_argument("--demo-engine", type=Path, required=True, help="es-demo-engine")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (emptied)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--idle-settle", type=float, default=3)
    parser.add_argument("--flood-bytes", type=int, default=2**30)
    parser.add_argument("--only", default="2,3,4,5,6,7", help="comma-separated benchmark numbers")
    args = parser.parse_args()
    for name in ("supervisor", "engine", "demo_engine", "work"):
        setattr(args, name, getattr(args, name).resolve())
    only = set(args.only.split(","))
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)

    results = {}
    if "2" in only:
        log("2: time to engine start")
        results["start"] = bench_start(args, args.work)
    if "3" in only:
        for size in (10, 100):
            log(f"3: backup plus verification, {size} MB")
            results[f"backup-{size}"] = bench_backup(args, args.work, size)
    if "4" in only:
        log(f"4: idle cost, {args.runs} × {args.idle_seconds:.0f} s")
        results["idle"] = bench_idle(args, args.work)
    if "5" in only:
        log("5: output throughput")
        results["flood"] = bench_throughput(args, args.work)
    if "6" in only:
        log("6: stop latency")
        results["stop"] = bench_stop(args, args.work)
    if "7" in only:
        log("7: crash detection")
        results["crash"] = bench_crash(args, args.work)
    print(report(args, results))
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
