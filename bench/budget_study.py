"""The budget study of the "best encoder per CPU-minute" chapter: the demo recipe with one change per run, each run
given the same wall-clock budget from a cold start (corpus, tokenizer, phases, export), then scored in bits per byte
on text outside the default corpus (third-party package source, BBC News prose) and on the corpus's own held-out split.

Each run appends one line to results/budget_study.jsonl (the numbers, machine, date, command, commit).
Run: python bench/budget_study.py --minutes 7 --threads 1 --parallel 2 [--runs demo,deep6,...] [--out runs/study]
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def commit()->str:
    "The checked-out commit, with '+dirty' when the working tree differs from it."
    sha = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'modernbert', 'bench'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return sha + ('+dirty' if dirty else '')

def score(folder:Path)->dict:
    "Bits per byte and accuracy of the export in `folder` on the two outside sets."
    from modernbert.model import ModernBertForMaskedLM
    from modernbert.tokenizer import load_tokenizer
    from modernbert.budget import bits_per_byte, outside_code, outside_prose
    m, tok = ModernBertForMaskedLM.from_hf(folder), load_tokenizer(folder)
    return {'code': bits_per_byte(m, tok, outside_code()), 'prose': bits_per_byte(m, tok, outside_prose())}

def one(name:str, minutes:float, out:Path, results:Path, command:str):
    "Train study run `name` within `minutes`, score it, append its line to `results`."
    import torch
    from modernbert.phases import run_recipe, process_start
    from modernbert.budget import study_recipe, STUDY
    from modernbert.evaluate import run_info
    start = process_start()
    s = run_recipe(study_recipe(name), out/name, minutes=minutes, start=start)
    phases = [p for p in s['phases'] if 'tokens' in p]
    rec = {'name': name, 'change': STUDY[name][0], 'budget_minutes': minutes, 'wall_seconds': s['wall_seconds'],
           'parameters': s['parameters'], 'tokens': sum(p['tokens'] for p in phases),
           'phases': phases, 'heldout': {'loss': phases[-1]['eval_loss'], 'accuracy': phases[-1]['eval_accuracy']},
           **score(out/name/'hf'), 'info': {**run_info(), 'command': command, 'commit': commit()}}
    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results, 'a') as f: f.write(json.dumps(rec) + '\n')
    print(f"{name}: code {rec['code']['bpb']:.3f} bpb / {rec['code']['accuracy']:.1%}, prose {rec['prose']['bpb']:.3f} bpb / "
          f"{rec['prose']['accuracy']:.1%}, {rec['tokens']:,} tokens in {rec['wall_seconds']} s", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--minutes', type=float, default=7.0, help='wall-clock budget of each run')
    ap.add_argument('--threads', type=int, default=1, help='torch threads per run')
    ap.add_argument('--parallel', type=int, default=2, help='runs at the same time')
    ap.add_argument('--runs', default=None, help='comma-separated study runs (default: all)')
    ap.add_argument('--out', default='runs/study', help='where the runs go')
    ap.add_argument('--results', default=str(ROOT/'results'/'budget_study.jsonl'))
    ap.add_argument('--one', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    out, results = Path(a.out), Path(a.results)
    command = 'python bench/budget_study.py ' + ' '.join(sys.argv[1:])
    if a.one:
        import torch; torch.set_num_threads(a.threads)
        return one(a.one, a.minutes, out, results, command)
    from modernbert.budget import STUDY
    names = a.runs.split(',') if a.runs else list(STUDY)
    bad = [n for n in names if n not in STUDY]
    if bad: raise SystemExit(f"unknown study runs {bad}; choose from {list(STUDY)}")
    taken = [n for n in names if (out/n).exists()]
    if taken: raise SystemExit(f"{[str(out/n) for n in taken]} exist: remove them or pass another --out")
    env = {**os.environ, 'OMP_NUM_THREADS': str(a.threads), 'MKL_NUM_THREADS': str(a.threads)}
    todo, running, t0 = list(names), [], time.time()
    while todo or running:
        while todo and len(running) < a.parallel:
            n = todo.pop(0); (out).mkdir(parents=True, exist_ok=True)
            log = open(out/f'{n}.log', 'w')
            cmd = [sys.executable, __file__, '--one', n, '--minutes', str(a.minutes), '--threads', str(a.threads),
                   '--out', str(out), '--results', str(results)]
            running.append((n, subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)))
            print(f"[{time.time() - t0:6.0f}s] started {n}", flush=True)
        time.sleep(2)
        for n, p in list(running):
            if p.poll() is not None:
                running.remove((n, p))
                print(f"[{time.time() - t0:6.0f}s] {n} {'done' if p.returncode == 0 else f'FAILED (see {out}/{n}.log)'}", flush=True)

if __name__ == '__main__': main()
