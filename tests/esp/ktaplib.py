# SPDX-License-Identifier: GPL-2.0
"""What the case scripts of tests/esp (events.py, rekey.py) share: their
"ok <what>" / "fail <why>" lines, which the suites turn into KTAP cases,
and rust_ipsec's counters. The scripts run as `python3 -S DIR/script.py`,
which puts DIR (this file's directory) first on sys.path: they import it
as `import ktaplib`."""

failures = 0


def report(ok, what):
    """Prints one case's line; a failed case counts in `failures`."""
    global failures
    print(("ok " if ok else "fail ") + what, flush=True)
    if not ok:
        failures += 1


def stat(name):
    """A counter of /proc/net/rust_ipsec_stat (this namespace's), or None."""
    with open("/proc/net/rust_ipsec_stat") as f:
        for line in f:
            k, v = line.split()
            if k == name:
                return int(v)
    return None
