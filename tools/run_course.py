#!/usr/bin/env python
"""Run the course as a reader would: every notebook top to bottom in numbered order, with `IN_TEST` unset so the
demos run at full size, and the cells flagged `slow`, `cuda`, `flash` and `hub` skipped (`--slow` runs the slow ones
too). Outputs are not saved: the notebooks on disk stay as they are. Prints the seconds of each notebook and the total,
and exits 1 if any notebook fails.

    python tools/run_course.py [--slow] [nbs/05_attention.ipynb ...]
"""
import sys, time
from pathlib import Path
import nbdev.test as T

def main(args):
    slow = '--slow' in args
    nbs = [Path(a) for a in args if not a.startswith('--')]
    root = Path(__file__).resolve().parent.parent/'nbs'
    nbs = nbs or [root/'index.ipynb'] + sorted(root.glob('[0-9]*.ipynb'))
    T.in_notebook = lambda: True   # nbdev sets IN_TEST unless it thinks it runs inside a notebook: keep it unset
    skip = ['cuda', 'flash', 'hub'] + ([] if slow else ['slow'])
    t0, failed = time.time(), []
    for nb in nbs:
        t = time.time()
        ok, _ = T.test_nb(str(nb.resolve()), skip_flags=skip, showerr=True)
        print(f"{nb.name:24} {time.time() - t:6.1f} s  {'ok' if ok else 'FAILED'}", flush=True)
        if not ok: failed.append(nb.name)
    print(f"course: {len(nbs) - len(failed)} of {len(nbs)} notebooks ran in {time.time() - t0:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
