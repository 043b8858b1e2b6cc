"""The budget study of the "best encoder per CPU-minute" chapter: the demo recipe with one change per run, each run
given the same wall-clock budget from a cold start (corpus, tokenizer, phases, export), then scored in bits per byte
on text outside the default corpus (third-party package source, BBC News prose) and on the corpus's own held-out split.

Each run appends one line to results/budget_study.jsonl (the numbers, machine, date, command, commit).
Run: python bench/budget_study.py --minutes 6 --threads 1 --parallel 2 [--runs demo,deep6,...] [--out runs/study]
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The plain transformers route, given the same budget from a cold start: the same corpus builder and tokenizer, then
# transformers' ModernBertForMaskedLM with DataCollatorForLanguageModeling (30%) on 128-token chunks, AdamW, 50 warmup
# steps and a linear decay to 0 at the deadline. name: (what, shape changes to the demo's, vocabulary, peak lr)
HF_RUNS = {
    'hf-7m':         ('transformers route: 256 x 6, vocab 16k, AdamW lr 1e-3', {'num_hidden_layers': 6}, 16384, 1e-3),
    'hf-7m-lr2e-3':  ('transformers route: 256 x 6, vocab 16k, AdamW lr 2e-3', {'num_hidden_layers': 6}, 16384, 2e-3),
    'hf-demo':       ('transformers route: 256 x 4, vocab 4k, AdamW lr 1e-3', {}, 4096, 1e-3),
    'hf-demo-lr2e-3': ('transformers route: 256 x 4, vocab 4k, AdamW lr 2e-3', {}, 4096, 2e-3),
}

def score(folder:Path)->dict:
    "Bits per byte and accuracy of the export in `folder` on the two outside sets, at context 512 and 128."
    from modernbert.model import ModernBertForMaskedLM
    from modernbert.tokenizer import load_tokenizer
    from modernbert.budget import bits_per_byte, outside_code, outside_prose
    m, tok = ModernBertForMaskedLM.from_hf(folder), load_tokenizer(folder)
    code, prose = outside_code(), outside_prose()
    n = 32_768                                       # tokens of each set
    return {'code': bits_per_byte(m, tok, code, max_tokens=n), 'prose': bits_per_byte(m, tok, prose, max_tokens=n),
            'code_128': bits_per_byte(m, tok, code, seq_len=128, max_tokens=n), 'prose_128': bits_per_byte(m, tok, prose, seq_len=128, max_tokens=n)}

def train_hf_route(name:str, minutes:float, out:Path, start:float)->dict:
    "The transformers route within the budget; returns a summary like run_recipe's."
    from dataclasses import replace
    import torch
    sys.path.insert(0, str(Path(__file__).parent))
    from demo_vs_transformers import train_hf
    from modernbert.phases import RECIPES, build_phase_corpus, phase_configs
    from modernbert.tokenizer import load_tokenizer, never_mask_ids
    from modernbert.train import TrainConfig, eval_batches, mlm_scores
    from modernbert.data import heldout_reader
    from modernbert.model import ModernBertForMaskedLM
    what, shape, vocab, lr = HF_RUNS[name]
    demo = RECIPES['demo']
    r = replace(demo, vocab_size=vocab, model={**demo.model, **shape})
    d = out/name; d.mkdir(parents=True, exist_ok=True)
    corpus = build_phase_corpus(d/'corpus', r)
    tok = load_tokenizer(corpus/'tokenizer')
    cfg, _ = phase_configs(r, r.phases[0], tok, d/'x')
    end = time.perf_counter() + (start + minutes * 60 - time.time()) - 5.0       # 5 s to save the model
    hf, secs, steps, real = train_hf(corpus, tok, cfg, lambda: time.perf_counter() < end, lr=lr, end=end)
    hf.save_pretrained(d/'hf'); tok.save_pretrained(d/'hf')
    wall = time.time() - start
    p = demo.phases[-1]
    m = ModernBertForMaskedLM.from_hf(d/'hf')
    tc = TrainConfig(max_tokens=1, seq_len=p.seq_len, rows=p.rows, row_len=p.row_len, eval_batches=demo.eval_batches, seed=demo.seed)
    batches = eval_batches(list(heldout_reader(corpus)), tc, m.config, never_mask_ids(tok))[:demo.eval_batches]
    loss, correct, n = mlm_scores(m, batches, torch.device('cpu')).tolist()
    return {'wall_seconds': round(wall), 'parameters': sum(q.numel() for q in m.parameters()),
            'phases': [{'phase': 'transformers', 'context': 128, 'tokens': real, 'steps': steps, 'seconds': round(secs),
                        'tokens_per_s': round(real / max(secs, 1e-9)), 'eval_loss': loss / n, 'eval_accuracy': correct / n}]}

def one(name:str, minutes:float, out:Path, results:Path, command:str):
    "Train study run `name` within `minutes`, score it, append its line to `results`."
    from modernbert.phases import run_recipe, process_start
    from modernbert.budget import study_recipe, STUDY
    from modernbert.core import run_info
    start = process_start()
    if name in HF_RUNS: s, change = train_hf_route(name, minutes, out, start), HF_RUNS[name][0]
    else: s, change = run_recipe(study_recipe(name), out/name, minutes=minutes, start=start), STUDY[name][0]
    phases = [p for p in s['phases'] if 'tokens' in p]
    rec = {'name': name, 'change': change, 'budget_minutes': minutes, 'wall_seconds': s['wall_seconds'],
           'parameters': s['parameters'], 'tokens': sum(p['tokens'] for p in phases),
           'phases': phases, 'heldout': {'loss': phases[-1]['eval_loss'], 'accuracy': phases[-1]['eval_accuracy']},
           **score(out/name/'hf'), 'info': run_info(command)}
    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results, 'a') as f: f.write(json.dumps(rec) + '\n')
    print(f"{name}: code {rec['code']['bpb']:.3f} bpb / {rec['code']['accuracy']:.1%}, prose {rec['prose']['bpb']:.3f} bpb / "
          f"{rec['prose']['accuracy']:.1%}, {rec['tokens']:,} tokens in {rec['wall_seconds']} s", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--minutes', type=float, default=6.0, help='wall-clock budget of each run')
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
    names = a.runs.split(',') if a.runs else list(STUDY) + list(HF_RUNS)
    bad = [n for n in names if n not in STUDY and n not in HF_RUNS]
    if bad: raise SystemExit(f"unknown study runs {bad}; choose from {list(STUDY) + list(HF_RUNS)}")
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
